import Foundation
import GRDB
import LedgerScenarios
import LedgerTestSupport
import Testing

/// The most containers and vCores a session's YARN app held at once, from the ResourceManager's
/// container audit lines across its rotated logs (issue 20).
@Suite("Sessions: the most containers and vCores their app held")
struct ContainerPeakTests {
    static let livy = """
        25/03/05 08:00:02 INFO WebServer: Starting server on http://h:8998
        25/03/05 09:00:00 INFO InteractiveSession$: Creating Interactive session 0: [owner: knox, request: [kind: pyspark, proxyUser: Some(pia), heartbeatTimeoutInSecond: 0]]
        25/03/05 09:00:30 INFO InteractiveSession: Interactive session 0 created [appid: application_1741150000000_0003, owner: knox, proxyUser: Some(pia), state: idle, kind: pyspark, info: {driverLogUrl=null, sparkUiUrl=null}]
        25/03/05 09:05:00 INFO InteractiveSession$: Creating Interactive session 1: [owner: knox, request: [kind: pyspark, proxyUser: Some(max), heartbeatTimeoutInSecond: 0]]
        25/03/05 09:05:30 INFO InteractiveSession: Interactive session 1 created [appid: application_1741150000000_0004, owner: knox, proxyUser: Some(max), state: idle, kind: pyspark, info: {driverLogUrl=null, sparkUiUrl=null}]
        """

    static func audit(_ time: String, _ op: String, _ container: Int, vcores: Int, memory: Int) -> String {
        "2025-03-05 \(time),000 INFO org.apache.hadoop.yarn.server.resourcemanager.RMAuditLogger: USER=pia\t"
            + "OPERATION=AM \(op) Container\tTARGET=SchedulerApp\tRESULT=SUCCESS\tAPPID=application_1741150000000_0003\t"
            + "CONTAINERID=container_1741150000000_0003_01_\(String(format: "%06d", container))\t"
            + "RESOURCE=<memory:\(memory), vCores:\(vcores)>\tQUEUENAME=default"
    }

    // The older log (.log.1): the AM container (1 vCore) and two executors (2 vCores each): 3
    // containers, 5 vCores. The newer log: executor 2 released, executors 4, 5, 6 allocated: from
    // 0, -1 then up to 2 containers (-2 then up to 4 vCores), on top of the 3 (5) the older log
    // left: 5 containers, 9 vCores. Then all released. max's app (0004) has no container lines:
    // nothing said, NULL.
    // How this was seen to fail: with the logs' rows taken each from 0 (no sum of the ones before),
    // the peak was the older log's 3 containers and 5 vCores.
    @Test("an app's logs added up in time order: what the older one left held, plus the newer one's peak")
    func peaksAcrossRotatedLogs() async throws {
        let older = [
            Self.audit("09:00:10", "Allocated", 1, vcores: 1, memory: 2048),
            Self.audit("09:00:20", "Allocated", 2, vcores: 2, memory: 4096),
            Self.audit("09:00:21", "Allocated", 3, vcores: 2, memory: 4096),
        ]
        let newer =
            [
                Self.audit("09:30:00", "Released", 2, vcores: 2, memory: 4096),
                Self.audit("09:30:05", "Allocated", 4, vcores: 2, memory: 4096),
                Self.audit("09:30:06", "Allocated", 5, vcores: 2, memory: 4096),
                Self.audit("09:30:07", "Allocated", 6, vcores: 2, memory: 4096),
            ] + [1, 3, 4, 5, 6].map { Self.audit("10:00:00", "Released", $0, vcores: $0 == 1 ? 1 : 2, memory: 4096) }
        let (dir, sessions) = try await ingestCluster([
            "livy/livy-livy-server.out": Self.livy,
            "hadoop-yarn/yarn-yarn-resourcemanager-h.log.1": older.joined(separator: "\n"),
            "hadoop-yarn/yarn-yarn-resourcemanager-h.log": newer.joined(separator: "\n"),
        ])
        defer { dir.remove() }
        #expect(sessions.count == 2)
        #expect(sessions.map { $0["peak_containers"] as Int64? } == [5, nil])
        #expect(sessions.map { $0["peak_vcores"] as Int64? } == [9, nil])
    }
}
