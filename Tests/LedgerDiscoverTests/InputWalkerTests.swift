import LedgerDiscover
import LedgerModel
import LedgerTestSupport
import Testing

@Suite("Finding input files and reading their layout")
struct InputWalkerTests {
    @Test("files are listed in byte order; hidden entries are skipped; the given path is kept relative-looking")
    func listsFilesInStableOrder() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("b/2.log", "x")
        try dir.write("a/10.log", "x")
        try dir.write("a/9.log", "x")
        try dir.write(".hidden/x.log", "x")
        try dir.write("a/.DS_Store", "x")
        let files = try InputWalker.discover([dir.path + "/./", dir.path + "/a/9.log"])
        #expect(files.map { String($0.path.dropFirst(dir.path.count)) } == ["/a/10.log", "/a/9.log", "/b/2.log"])
        #expect(files.allSatisfy { $0.size == 1 && $0.mtimeNanos > 0 })
    }

    @Test("a path that does not exist is an error naming it, before anything is read")
    func rejectsMissingPath() throws {
        #expect(throws: LedgerError.input(path: "/no/such/logs", message: "cannot read: No such file or directory")) {
            try InputWalker.discover(["/no/such/logs"])
        }
    }

    @Test("the EMR log-archive layout gives cluster and instance ids")
    func readsEMRLayout() {
        let c = LayoutContext.infer(
            path:
                "s3sync/elasticmapreduce/j-2AXXXXXXGAPLF/node/i-0123456789abcdef0/applications/hadoop-yarn/yarn-yarn-resourcemanager-ip-10-0-0-1.log.gz"
        )
        #expect(c.clusterID == "j-2AXXXXXXGAPLF")
        #expect(c.instanceID == "i-0123456789abcdef0")
        #expect(c.accountID == nil)
    }

    @Test("EMR's default log bucket, synced with its name, gives the clusters' account and region")
    func readsLogBucket() {
        let c = LayoutContext.infer(
            path:
                "sync/aws-logs-777788889999-eu-west-1/elasticmapreduce/j-2AXXXXXXGAPLF/node/i-0123456789abcdef0/applications/livy/livy-livy-server.out.gz"
        )
        #expect(c.clusterID == "j-2AXXXXXXGAPLF")
        #expect(c.accountID == "777788889999")
        #expect(c.region == "eu-west-1")
        // Not that bucket: an account id of 11 digits, no region, another prefix.
        #expect(LayoutContext.infer(path: "aws-logs-77778888999-eu-west-1/x.log").accountID == nil)
        #expect(LayoutContext.infer(path: "aws-logs-777788889999/x.log").accountID == nil)
        #expect(LayoutContext.infer(path: "my-aws-logs-777788889999-eu-west-1/x.log").accountID == nil)
    }

    @Test("the AWSLogs layout gives account and region, with or without an organisation id")
    func readsCloudTrailLayout() {
        let plain = LayoutContext.infer(
            path:
                "trail/AWSLogs/111122223333/CloudTrail/us-east-2/2025/01/02/111122223333_CloudTrail_us-east-2_20250102T0000Z_abc.json.gz"
        )
        #expect(plain.accountID == "111122223333")
        #expect(plain.region == "us-east-2")
        let org = LayoutContext.infer(
            path: "AWSLogs/o-exampleorgid/444455556666/CloudTrail-Digest/sa-isob-west-2r/2024/05/01/x.json.gz")
        #expect(org.accountID == "444455556666")
        #expect(org.region == "sa-isob-west-2r")  // made-up regions are taken as written
    }

    @Test("paths outside those layouts carry no context")
    func leavesOtherPathsAlone() {
        #expect(LayoutContext.infer(path: "logs/j-lowercase/node/i-1/rm.log") == InputContext())
        #expect(LayoutContext.infer(path: "/var/log/hadoop-yarn/yarn-yarn-resourcemanager-host.log") == InputContext())
    }
}
