import Foundation
import LedgerModel
import LedgerTestSupport
import Testing

@testable import LedgerReports

/// `report.html` of the hand-built ledger (`HandLedger`): what a reader opens, checked here for
/// its content; `BrowserTests` opens the demo's in Chromium.
@Suite("report.html: every row, charts as SVG, evidence as links")
struct HTMLReportTests {
    func html() async throws -> String { try #require(try await ReportTests.ledger.value["report.html"]) }

    // Mustache's own escaping looks at whole Characters: a quote with a combining mark after it
    // is one Character, not a quote, yet it ends an attribute in a browser.
    @Test("log data cannot leave an attribute: every quote is escaped, even one a combining mark follows")
    func escapesScalars() {
        #expect(HTMLScalarEscaping.escape("x\"\u{301} onmouseover=alert(1)") == "x&quot;\u{301} onmouseover=alert(1)")
        #expect(HTMLScalarEscaping.escape("<a href='x'>&</a>") == "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;")
        #expect(HTMLScalarEscaping.escape("plain café") == "plain café")
        // Both templates of the page escape that way.
        for name in ["report", "section"] {
            let template = try? String(
                contentsOfFile: Fixtures.project + "/Reports/templates/\(name).html.mustache", encoding: .utf8)
            #expect(template?.hasPrefix("{{% CONTENT_TYPE: HTML_SCALARS}}") == true, "\(name).html.mustache")
        }
    }

    @Test("self-contained: no script, style, image or font from anywhere else")
    func selfContained() async throws {
        let html = try await html()
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(!html.contains("src="))
        #expect(!html.contains("http://") && !html.contains("https://"))
        #expect(html.contains("default-src 'none'"))
    }

    // HandLedger's findings cite `logs/a.out.gz:7` and `eventID e1`; its SageMaker
    // pipeline execution `e4`, which no ct_event row holds.
    @Test(
        "evidence: a file:line links to its file in the appendix, an eventID to its event, even one not in the ledger")
    func evidenceLinks() async throws {
        let html = try await html()
        #expect(html.contains(##"<td><a href="#file-logs/a.out.gz">logs/a.out.gz:7</a></td>"##))
        #expect(html.contains(##"<td>eventID <a href="#event-e1">e1</a></td>"##))
        #expect(html.contains(##"<a href="#event-e4">e4</a>"##))
        #expect(
            html.contains(
                #"<tr id="file-logs/a.out.gz"><td><code>logs/a.out.gz</code></td><td>livy-server</td><td>ok</td>"#))
        #expect(
            html.contains(#"<tr id="event-e1"><td><code>e1</code></td><td></td><td></td><td>(not in the ledger)</td>"#))
        // Every link inside the page has its target.
        let targets = Set(html.matches(of: /id="([^"]+)"/).map { String($0.1) })
        let links = html.matches(of: #/href="#([^"]+)"/#).map { String($0.1) }
        #expect(!links.isEmpty)
        #expect(links.filter { !targets.contains($0) }.isEmpty, "\(links.filter { !targets.contains($0) })")
        // A path's anchor keeps it readable and unambiguous: what could end an attribute or a
        // fragment is written as its code, and so is the `~` those codes use.
        #expect(EvidenceIndex.anchor(#"logs/a b"c~.gz:7"#) == "file-logs/a~20~b~22~c~7e~.gz:7")
    }

    @Test("every row of every report is a row of its table")
    func fullTables() async throws {
        let reports = try await ReportTests.ledger.value
        let html = try await html()
        for (name, text) in reports where name.hasSuffix(".csv") {
            let rows = text.split(separator: "\n").count - 1
            let id = "t-" + name.dropLast(4)
            guard rows > 0 else {
                #expect(!html.contains(#"<table id="\#(id)""#), "\(name)")
                continue
            }
            let start = try #require(html.range(of: #"<table id="\#(id)""#), "\(name)")
            let end = try #require(html.range(of: "</table>", range: start.upperBound..<html.endIndex))
            let table = html[start.lowerBound..<end.lowerBound]
            #expect(table.components(separatedBy: "<tr>").count - 2 == rows, "\(name): header row + \(rows) rows")
        }
        // The first of the sessions, as sessions.csv has it.
        #expect(html.contains(#"<tr><td>s1</td><td>c1</td><td class="num">0</td>"#))
    }

    @Test("the what-if curve and the per-user bars: one data point per row and column")
    func plots() async throws {
        let html = try await html()
        let reports = try await ReportTests.ledger.value
        let whatif = try #require(reports["idle_timeout_whatif.csv"]).split(separator: "\n").count - 1
        let users = try #require(reports["usage_mode.csv"]).split(separator: "\n").count - 1
        #expect(html.contains(#"<figure class="chart" data-chart="idle_timeout_whatif" data-points="\#(whatif)">"#))
        #expect(html.contains(#"<figure class="chart" data-chart="usage_mode" data-points="\#(users * 2)">"#))
        #expect(html.contains(#"data-chart="chart_daily_cost""#))
    }

    // The frame: 720 × 280, plot from x 64 to 704 and y 16 to 232 (216 high). Two x values share
    // it in bands of 320: centres at 224 and 544. The top of the axis for a largest value of 17.5
    // is 20 (step 5), so 10 sits at 232 − 216 × 10 / 20 = 124, and 17.5 at 232 − 189 = 43.
    @Test("chart geometry: nice scale, band centres, value to height")
    func geometry() throws {
        #expect(SVGChart.niceScale(17.5) == (20, 5))
        #expect(SVGChart.niceScale(0.07) == (0.08, 0.02))
        #expect(SVGChart.niceScale(0) == (1, 0.25))
        let table = ResultTable(
            columns: ["series", "x", "y"],
            rows: [[.text("a"), .text("d1"), .real(10)], [.text("a"), .text("d2"), .real(17.5)]])
        let context = SVGChart(kind: .line, longRows: table).context
        let series = try #require(context["series"] as? [[String: Any]])
        #expect(series.first?["points"] as? String == "224,124 544,43")
        #expect(context["points"] as? Int == 2)
        let ticks = try #require(context["y_ticks"] as? [[String: Any]]).map { $0["label"] as? String ?? "" }
        #expect(ticks == ["0", "5", "10", "15", "20"])
    }
}

/// `findings.ocsf.json` is written by hand as the rows stream: it must stay JSON whatever the
/// findings' text holds.
@Suite("findings.ocsf.json: written by hand, read back by a JSON parser")
struct OCSFSinkTests {
    // A detail with a quote, a backslash, a line feed, a tab, a control character and non-ASCII
    // text, whose evidence names a file of the ledger with its line and an eventID; then another
    // finding of that code and subject, twice: the second of those is numbered.
    @Test("escapes what JSON escapes, numbers repeated ids, and reads evidence into observables")
    func roundTrips() throws {
        let dir = try TemporaryDirectory("ledger-ocsf-sink")
        defer { dir.remove() }
        let path = dir.path + "/findings.ocsf.json"
        var sink = try OCSFSink(
            path: path, time: 1_700_000_000_000, toolVersion: "t", evidence: EvidenceIndex(paths: ["logs/a.gz"]))
        let detail = "a \"quoted\" \\ path\nnext\tline \u{1} café"
        try sink.record(
            severity: "high", code: "identity_missing", subject: "s1", detail: detail,
            cited: "logs/a.gz:7; eventID e-1")
        try sink.record(severity: "low", code: "identity_missing", subject: "s1", detail: "again", cited: "")
        try sink.record(severity: "low", code: "identity_missing", subject: "s1", detail: "again", cited: "")
        try sink.finish()
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let records = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        #expect(records.count == 3)
        let info = records.map { $0["finding_info"] as? [String: Any] ?? [:] }
        #expect(info[0]["desc"] as? String == detail)
        // Ids: the code and a hash of what the finding says; the same finding twice is numbered.
        let ids = info.map { $0["uid"] as? String ?? "" }
        #expect(ids.allSatisfy { $0.hasPrefix("session-ledger:identity_missing:") })
        #expect(ids[0] != ids[1] && ids[2] == ids[1] + "/2")
        #expect(ids[0].count == "session-ledger:identity_missing:".count + 32)
        #expect(records[0]["time"] as? Int == 1_700_000_000_000 && records[1]["severity_id"] as? Int == 2)
        let observables = (records[0]["observables"] as? [[String: Any]] ?? []).map {
            "\($0["name"] as? String ?? "")=\($0["value"] as? String ?? "")"
        }
        #expect(
            observables == [
                "evidence.log_line=logs/a.gz:7", "evidence.cloudtrail_event_uid=e-1",
            ])
        // Nothing but the file itself is left.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["findings.ocsf.json"])
    }
}
