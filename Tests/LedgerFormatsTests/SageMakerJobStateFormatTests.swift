import Foundation
import LedgerFormats
import LedgerModel
import LedgerTestSupport
import Testing

/// `sagemaker-job-state`: EventBridge job state changes and saved describe answers.
@Suite("sagemaker-job-state: how SageMaker jobs ended")
struct SageMakerJobStateFormatTests {
    func parse(_ text: String, modifiedNanos: Int64? = nil, table: String = "sagemaker_job_state") throws -> (
        ParsedFile, [[String: SQLValue]]
    ) {
        let context = ParseContext(
            path: "events.jsonl", input: InputContext(), clock: try LocalTimeConverter(identifier: "UTC"),
            modifiedNanos: modifiedNanos)
        var parser = SageMakerJobStateFormat(context: context)
        Array(text.utf8).withUnsafeBytes { parser.consume(chunk: $0) }
        let parsed = parser.finish()
        guard let batch = parsed.batches.first(where: { $0.table == table }) else { return (parsed, []) }
        return (
            parsed,
            (0..<batch.rowCount).map { i in
                var row = Dictionary(uniqueKeysWithValues: zip(batch.columns, batch.row(i)))
                row["line"] = .integer(Int64(batch.lines[i]))
                return row
            }
        )
    }

    // Line 1: a training job's failure (times epoch ms: 1763719200000 is 2025-11-21T10:00:00Z,
    // 1763723670000 is 11:14:30); its hyperparameters are not kept. Line 2: blank. Line 3: a
    // processing job stopped. Line 4: another service's event. Line 5: not JSON.
    @Test("EventBridge events, one a line: job, status, reason, times and limit; other events and junk rejected")
    func readsEvents() throws {
        let text = [
            #"{"version":"0","id":"1","detail-type":"SageMaker Training Job State Change","source":"aws.sagemaker","account":"111122223333","time":"2025-11-21T11:14:32Z","region":"us-east-1","resources":[],"detail":{"TrainingJobName":"risk-scoring","TrainingJobStatus":"Failed","SecondaryStatus":"Failed","FailureReason":"ClientError: expired","CreationTime":1763719200000,"TrainingEndTime":1763723670000,"StoppingCondition":{"MaxRuntimeInSeconds":86400},"HyperParameters":{"api_token":"do-not-keep"}}}"#,
            "",
            #"{"version":"0","id":"2","detail-type":"SageMaker Processing Job State Change","source":"aws.sagemaker","account":"444455556666","time":"2025-11-21T12:00:00Z","region":"us-east-1","resources":[],"detail":{"ProcessingJobName":"prep","ProcessingJobStatus":"Stopped","ProcessingEndTime":1763726400000,"StoppingCondition":{"MaxRuntimeInSeconds":3600}}}"#,
            #"{"version":"0","id":"3","detail-type":"SageMaker Endpoint State Change","source":"aws.sagemaker","detail":{}}"#,
            "not json",
        ].joined(separator: "\n")
        let (parsed, r) = try parse(text)
        #expect(parsed.rejected == 2)
        #expect(r.count == 2)
        guard r.count == 2 else { return }
        #expect(r[0]["line"] == .integer(1) && r[0]["source"] == .text("eventbridge"))
        #expect(r[0]["job_type"] == .text("training") && r[0]["job_name"] == .text("risk-scoring"))
        #expect(r[0]["status"] == .text("Failed") && r[0]["failure_reason"] == .text("ClientError: expired"))
        #expect(r[0]["created_at"] == .text("2025-11-21T10:00:00.000Z"))
        #expect(r[0]["ended_at"] == .text("2025-11-21T11:14:30.000Z"))
        #expect(r[0]["observed_at"] == .text("2025-11-21T11:14:32.000Z"))
        #expect(r[0]["max_runtime_s"] == .integer(86400) && r[0]["account_id"] == .text("111122223333"))
        #expect(!r[0].values.contains(.text("do-not-keep")))
        #expect(r[1]["line"] == .integer(3) && r[1]["job_type"] == .text("processing"))
        #expect(r[1]["status"] == .text("Stopped") && r[1]["ended_at"] == .text("2025-11-21T12:00:00.000Z"))
        #expect(r[1]["account_id"] == .text("444455556666") && r[1]["failure_reason"] == .null)
    }

    // CLI v2 prints ISO times with microseconds and an offset (13:01:00.250000+02:00 is 11:01:00.250
    // UTC); CLI v1 epoch seconds (1763983260.5 is 2025-11-24T11:21:00.500Z). A describe answer
    // does not say when it was saved (the file's mtime is the copy's): no observed_at. Its
    // account is in the ARN.
    @Test("a saved describe answer, pretty-printed: CLI v2 and v1 times, the account from the ARN")
    func readsDescribeAnswers() throws {
        let v2 = """
            {
                "TrainingJobName": "anon",
                "TrainingJobArn": "arn:aws:sagemaker:us-east-1:777788889999:training-job/anon",
                "TrainingJobStatus": "Completed",
                "CreationTime": "2025-11-24T12:31:00.512000+02:00",
                "TrainingEndTime": "2025-11-24T13:01:00.250000+02:00"
            }
            """
        let (_, a) = try parse(v2, modifiedNanos: 1_764_000_000_000_000_000)
        #expect(a.count == 1)
        #expect(a.first?["source"] == .text("describe") && a.first?["line"] == .integer(1))
        #expect(a.first?["ended_at"] == .text("2025-11-24T11:01:00.250Z"))
        #expect(a.first?["created_at"] == .text("2025-11-24T10:31:00.512Z"))
        #expect(a.first?["observed_at"] == .null)
        #expect(a.first?["account_id"] == .text("777788889999"))
        let v1 =
            #"{"ProcessingJobName": "prep", "ProcessingJobStatus": "Completed", "ProcessingEndTime": 1763983260.5}"#
        let (_, b) = try parse(v1)
        #expect(b.first?["ended_at"] == .text("2025-11-24T11:21:00.500Z") && b.first?["observed_at"] == .null)
    }

    // The shapes of AWS's own examples (SageMaker developer guide, "Events that Amazon SageMaker
    // sends to Amazon EventBridge"). Line 1: a processing step succeeded; line 2: a training step
    // failed, the job's name taken from its ARN; line 3: a condition step, which runs no job;
    // line 4: the execution failed; line 5: a step event without its step's name.
    @Test("Pipelines execution and step events: the execution, step, status, times and the job a step ran")
    func readsPipelineEvents() throws {
        let execution = "arn:aws:sagemaker:us-east-1:111122223333:pipeline/churn/execution/p4jn9xou8a8s"
        let pipeline = "arn:aws:sagemaker:us-east-1:111122223333:pipeline/churn"
        func step(_ detail: String) -> String {
            #"{"version":"0","id":"s","detail-type":"SageMaker Model Building Pipeline Execution Step Status Change","source":"aws.sagemaker","account":"111122223333","time":"2025-11-19T14:40:00Z","region":"us-east-1","resources":[],"detail":{\#(detail),"pipelineArn":"\#(pipeline)","pipelineExecutionArn":"\#(execution)"}}"#
        }
        let text = [
            step(
                #""metadata":{"processingJob":{"arn":"arn:aws:sagemaker:us-east-1:111122223333:processing-job/pipelines-p4jn9xou8a8s-prepare-tmgxry49ug"}},"stepStartTime":"2025-11-19T14:03:14Z","stepEndTime":"2025-11-19T14:10:09Z","stepName":"Prepare","stepType":"Processing","previousStepStatus":"Executing","currentStepStatus":"Succeeded""#
            ),
            step(
                #""metadata":{"trainingJob":{"arn":"arn:aws:sagemaker:us-east-1:111122223333:training-job/pipelines-p4jn9xou8a8s-train-zio0jed2xl"}},"stepStartTime":"2025-11-19T14:10:12Z","stepEndTime":"2025-11-19T14:39:58Z","stepName":"Train","stepType":"Training","currentStepStatus":"Failed","failureReason":"ClientError: expired""#
            ),
            step(
                #""metadata":{"condition":{"outcome":"True"}},"stepName":"Check","stepType":"Condition","currentStepStatus":"Succeeded""#
            ),
            #"{"version":"0","id":"e","detail-type":"SageMaker Model Building Pipeline Execution Status Change","source":"aws.sagemaker","account":"111122223333","time":"2025-11-19T14:40:01Z","region":"us-east-1","resources":[],"detail":{"currentPipelineExecutionStatus":"Failed","previousPipelineExecutionStatus":"Executing","executionStartTime":"2025-11-19T14:03:13Z","executionEndTime":"2025-11-19T14:40:00Z","pipelineArn":"\#(pipeline)","pipelineExecutionArn":"\#(execution)"}}"#,
            step(#""stepType":"Training","currentStepStatus":"Executing""#),
        ].joined(separator: "\n")
        let (parsed, r) = try parse(text, table: "sagemaker_pipeline_state")
        #expect(parsed.rejected == 1 && parsed.quarantine.first?.line == 5)
        #expect(try parse(text).1.isEmpty)
        #expect(r.count == 4)
        guard r.count == 4 else { return }
        #expect(r.allSatisfy { $0["execution_arn"] == .text(execution) && $0["account_id"] == .text("111122223333") })
        #expect(r[0]["step_name"] == .text("Prepare") && r[0]["status"] == .text("Succeeded"))
        #expect(r[0]["job_type"] == .text("processing"))
        #expect(r[0]["job_name"] == .text("pipelines-p4jn9xou8a8s-prepare-tmgxry49ug"))
        #expect(r[0]["started_at"] == .text("2025-11-19T14:03:14.000Z"))
        #expect(r[0]["ended_at"] == .text("2025-11-19T14:10:09.000Z"))
        #expect(r[0]["observed_at"] == .text("2025-11-19T14:40:00.000Z") && r[0]["pipeline_arn"] == .text(pipeline))
        #expect(r[1]["job_type"] == .text("training") && r[1]["failure_reason"] == .text("ClientError: expired"))
        #expect(r[1]["job_name"] == .text("pipelines-p4jn9xou8a8s-train-zio0jed2xl") && r[1]["line"] == .integer(2))
        #expect(r[2]["step_type"] == .text("Condition") && r[2]["job_name"] == .null && r[2]["job_type"] == .null)
        #expect(r[3]["step_name"] == .null && r[3]["status"] == .text("Failed") && r[3]["line"] == .integer(4))
        #expect(r[3]["started_at"] == .text("2025-11-19T14:03:13.000Z"))
        #expect(r[3]["ended_at"] == .text("2025-11-19T14:40:00.000Z"))
    }

    @Test("recognised by its event type or its job keys; CloudTrail and Livy REST answers are not")
    func recognises() {
        func head(_ text: String) -> HeadSample { HeadSample(lines: text.components(separatedBy: "\n")) }
        #expect(SageMakerJobStateFormat.recognizes(head(#"{"detail-type":"SageMaker Training Job State Change"}"#)))
        #expect(
            SageMakerJobStateFormat.recognizes(
                head(#"{"detail-type":"SageMaker Model Building Pipeline Execution Step Status Change"}"#)))
        #expect(
            SageMakerJobStateFormat.recognizes(
                head("{\n  \"ProcessingJobName\": \"p\",\n  \"ProcessingJobStatus\": \"Failed\"\n}")))
        #expect(
            !SageMakerJobStateFormat.recognizes(
                head(
                    #"{"Records":[{"eventSource":"sagemaker.amazonaws.com","requestParameters":{"trainingJobName":"x"}}]}"#
                )))
        #expect(!SageMakerJobStateFormat.recognizes(head(#"{"id":0,"state":"idle","kind":"spark","appInfo":{}}"#)))
    }
}
