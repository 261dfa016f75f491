import Foundation
import LedgerTestSupport
import Testing

/// `report.html` in a real browser: headless Chromium (Debian's `chromium`), driven by
/// `Tests/Browser/check_report.py` through Playwright (PyPI); `.ci/run` installs both.
///
/// The script checks the demo's page against the CSVs beside it: every chart's points, every
/// table's rows, sorting, filtering, every evidence link, no console error and no network
/// request. Its screenshots (desktop, narrow, dark, print) and a PDF go to `.build/browser/`.
@Suite("report.html in Chromium", .serialized)
struct BrowserTests {
    static let script = Fixtures.project + "/Tests/Browser/check_report.py"

    /// The script's exit status, and all it printed.
    static func check(_ report: String, artifacts: String, screenshot: String? = nil) throws -> CLI.Result {
        let r = try CLI.python(
            [script, report, "--artifacts", artifacts] + (screenshot.map { ["--screenshot", $0] } ?? []))
        return CLI.Result(status: r.status, stdout: r.stdout + r.stderr, stderr: "")
    }

    /// The demo's output directory (its reports beside the ledger).
    static let demo = Task { () throws -> TemporaryDirectory in
        let dir = try TemporaryDirectory.removedAtExit("ledger-browser")
        let r = try CLI.run(["demo", "--out", dir.path + "/demo"])
        try #require(r.status == 0, "\(r.stderr)")
        return dir
    }

    // RECORD_SCREENSHOT=1 also saves the top of the page as Reports/report-html.png, the
    // README's picture.
    @Test("the demo's report.html: charts with their points, full tables, sorting, filtering, evidence links")
    func demoPage() async throws {
        let dir = try await Self.demo.value
        let record = ProcessInfo.processInfo.environment["RECORD_SCREENSHOT"] != nil
        let r = try Self.check(
            dir.path + "/demo/report.html", artifacts: Fixtures.project + "/.build/browser",
            screenshot: record ? Fixtures.project + "/Reports/report-html.png" : nil)
        #expect(r.status == 0, "\(r.stdout)")
        #expect(r.stdout.contains("checks passed"), "\(r.stdout)")
    }

    // The checks must be able to fail: the same page with a chart's point and an evidence
    // target taken out.
    @Test("the check fails when a chart loses a point or an evidence link its target")
    func brokenPageFails() async throws {
        let dir = try await Self.demo.value
        var html = try String(contentsOfFile: dir.path + "/demo/report.html", encoding: .utf8)
        let point = try #require(html.range(of: #"<circle class="point"#))
        let end = try #require(html.range(of: "</circle>", range: point.upperBound..<html.endIndex))
        html.removeSubrange(point.lowerBound..<end.upperBound)
        let target = try #require(html.range(of: #"<tr id="event-"#))
        html.replaceSubrange(target, with: #"<tr id="gone-"#)
        let broken = try TemporaryDirectory("ledger-browser-broken")
        defer { broken.remove() }
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path + "/demo") where name.hasSuffix(".csv")
        {
            try FileManager.default.copyItem(atPath: dir.path + "/demo/" + name, toPath: broken.path + "/" + name)
        }
        try html.write(toFile: broken.path + "/report.html", atomically: true, encoding: .utf8)
        let r = try Self.check(broken.path + "/report.html", artifacts: broken.path + "/artifacts")
        #expect(r.status == 1, "\(r.stdout)")
        #expect(r.stdout.contains("points, its data has"), "\(r.stdout)")
        #expect(r.stdout.contains("links to nothing: ['#event-"), "\(r.stdout)")
    }
}
