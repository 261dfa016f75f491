import Foundation
import LedgerTestSupport
import Testing

@Suite("Reports/samples: the committed rendering of samples/")
struct ReportDriftTests {
    @Test(
        "demo renders exactly the committed report.md and CSVs (after an intended change: RECORD_GOLDENS=1 swift test --disable-xctest --filter ReportDriftTests)"
    )
    func reportsDoNotDrift() throws {
        let dir = try TemporaryDirectory("ledger-drift")
        defer { dir.remove() }
        let r = try CLI.run(["demo", "--out", dir.path + "/out"], in: Fixtures.project)
        #expect(r.status == 0, "\(r.stderr)")
        let committed = Fixtures.project + "/Reports/samples"
        // What the demo wrote and what is committed: a report added or gone is a difference too.
        func reports(_ directory: String) throws -> Set<String> {
            Set(
                try FileManager.default.contentsOfDirectory(atPath: directory).filter {
                    $0.hasSuffix(".csv") || $0.hasSuffix(".md") || $0.hasSuffix(".html") || $0.hasSuffix(".json")
                })
        }
        let names = try reports(committed).union(reports(dir.path + "/out")).sorted()
        // 13 CSVs of SPEC §5 (cost has two), shared_clusters.csv, cost_by_account.csv,
        // sagemaker_pipelines.csv, report.md, report.html and findings.ocsf.json.
        #expect(names.count == 19)
        for name in names {
            let have = try? Data(contentsOf: URL(fileURLWithPath: dir.path + "/out/" + name))
            #expect(
                try Golden.matches(have, golden: committed + "/" + name), "\(name) differs from Reports/samples/\(name)"
            )
        }
    }

    @Test("each CSV has exactly the columns SPEC §5 lists, in order")
    func csvColumnsAreTheContract() throws {
        let committed = Fixtures.project + "/Reports/samples/"
        func header(_ file: String) throws -> String {
            String(try String(contentsOfFile: committed + file, encoding: .utf8).split(separator: "\r\n").first ?? "")
        }
        // SPEC §5's columns, then those added at the end (never renamed, never moved).
        #expect(
            try header("sessions.csv")
                == "session_key,cluster_id,livy_session_id,kind,owner,proxy_user,user_id,user_name,cost_center,app_id,queue,created_at,ready_at,ended_at,end_reason,last_activity_at,statements,duration_s,idle_tail_s,interactive_s,background_s,mode_observed,mode_policy,vcore_seconds,memory_mb_seconds,cost_basis,cost_usd,idle_cost_usd,background_cost_usd,abandoned,identity_status"
                + ",executor_cap,executor_cap_source,peak_containers,peak_vcores,account_id,user_account_id"
        )
        #expect(
            try header("session_duration.csv")
                == "cluster_id,user_name,sessions,total_hours,p50_minutes,p90_minutes,max_minutes")
        #expect(
            try header("usage_mode.csv")
                == "user_name,cost_center,sessions,interactive_hours,background_hours,background_share,background_cost_usd,unexpected_background_sessions"
        )
        #expect(
            try header("abandoned_sessions.csv")
                == "session_key,cluster_id,user_name,created_at,last_activity_at,ended_at,end_reason,idle_tail_s,idle_cost_usd"
        )
        #expect(
            try header("idle_timeout_whatif.csv") == "timeout_minutes,sessions_affected,idle_hours_saved,cost_saved_usd"
        )
        #expect(
            try header("cost_by_user.csv")
                == "user_name,cost_center,sessions,cost_usd,idle_cost_usd,background_cost_usd,idle_share")
        #expect(
            try header("cost_by_cluster.csv")
                == "cluster_id,sessions,cost_usd,idle_cost_usd,background_cost_usd,idle_share" + ",account_id")
        #expect(
            try header("identity_audit.csv")
                == "session_key,cluster_id,proxy_user,user_id,user_name,identity_status,onbehalfof_events,mode_policy,mode_observed"
                + ",propagation_basis")
        #expect(
            try header("policy_changes.csv")
                == "event_time,account_id,actor,event_name,target,setting,old_value,new_value,event_id")
        #expect(try header("findings.csv") == "severity,code,subject,detail,evidence")
        #expect(
            try header("sagemaker_jobs.csv")
                == "job_name,job_type,account_id,created_at,ended_at,user_id,user_name,identity_status,max_runtime_s,session_limit_s,effective_limit_s"
                + ",end_status,failure_reason,end_evidence,pipeline_execution_arn,pipeline_step,user_evidence"
        )
        #expect(
            try header("contention.csv")
                == "cluster_id,hour,max_concurrent_sessions,sessions_started,sessions_start_failed"
                + ",top_user,top_user_vcore_hours,max_concurrent_users,workers_needed_at_cap_5")
        // Reports not in SPEC §5: new files, never new columns of the listed ones.
        #expect(try header("shared_clusters.csv") == "action,cluster_id,subject,detail,evidence")
        #expect(
            try header("sagemaker_pipelines.csv")
                == "execution_arn,pipeline_name,account_id,started_at,ended_at,status,failure_reason,user_id,user_name,identity_status,jobs,event_id,end_evidence"
        )
        #expect(
            try header("cost_by_account.csv")
                == "account_id,sessions,cost_usd,idle_cost_usd,background_cost_usd,idle_share,cross_account_sessions,cross_account_cost_usd"
        )
        #expect(
            try header("data_quality.csv")
                == "path,format,status,records,rejected,duplicates,first_event,last_event,detail"
                + ",records_read,digest_status")
    }
}
