import ArgumentParser
import LedgerModel
import LedgerPipeline
import LedgerReports

struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Check CloudTrail log files against their digest files: hashes, the digest chain, files missing or not covered.",
        discussion: """
            Give the directories that hold both AWSLogs/…/CloudTrail and AWSLogs/…/CloudTrail-Digest. \
            Exits 0 when everything checks out, 3 when something does not. Digest signatures are not \
            checked: CloudTrail keeps them in S3 object metadata, which a synced copy does not have.
            """)

    @Argument(help: ArgumentHelp("CloudTrail log and digest files or directories.", valueName: "path"))
    var paths: [String] = []

    func validate() throws {
        if paths.isEmpty { throw ValidationError("give the CloudTrail directories to verify") }
    }

    func run() async throws {
        try await withExitCodes {
            let report = try DigestVerifier.verify(paths: paths)
            print(
                "verify: \(report.logFiles) log file(s), \(report.digests) digest(s); \(report.verified) verified, \(report.pending) newer than the newest digest; \(report.findings.count) finding(s)"
            )
            if !report.findings.isEmpty {
                let table = ResultTable(
                    columns: ["finding", "subject", "detail"],
                    rows: report.findings.map { [.text($0.kind.rawValue), .text($0.subject), .text($0.detail)] })
                print(TableRenderer.render(table, as: .table), terminator: "")
            }
            print(
                "Signatures are not checked: CloudTrail keeps them in S3 object metadata, which a synced copy does not have."
            )
            if !report.findings.isEmpty { throw ExitCode(3) }
        }
    }
}
