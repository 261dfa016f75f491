import Foundation
import LedgerFormats
import LedgerModel
import LedgerTestSupport
import Testing

/// Saved output of `yarn application -list` (formats.md §2.5).
///
/// Every expected value below is read off the lines of its test by hand.
@Suite("yarn-app-list: saved `yarn application -list` output")
struct YarnAppListFormatTests {
    /// A row as `ApplicationCLI` prints it: `%30s\t%20s\t%20s\t%10s\t%10s\t%18s\t%18s\t%15s\t%35s`
    /// (right-aligned, at least that wide, TAB between).
    static func row(_ fields: [String]) -> String {
        zip([30, 20, 20, 10, 10, 18, 18, 15, 35], fields).map { width, value in
            String(repeating: " ", count: max(0, width - value.count)) + value
        }.joined(separator: "\t")
    }

    static let header = row([
        "Application-Id", "Application-Name", "Application-Type", "User", "Queue", "State", "Final-State", "Progress",
        "Tracking-URL",
    ])
    static let total =
        "Total number of applications (application-types: [], states: [SUBMITTED, ACCEPTED, RUNNING] and tags: []):"
    static let anna = row([
        "application_1763544000000_0007", "livy-session-3", "SPARK", "anna", "default", "RUNNING", "UNDEFINED", "10%",
        "http://ip-172-31-0-10.ec2.internal:20888/proxy/application_1763544000000_0007/",
    ])
    static let bob = row([
        "application_1763544000000_0009", "livy-session-4", "SPARK", "bob", "default", "ACCEPTED", "UNDEFINED", "0%",
        "N/A",
    ])
    static let connecting =
        "25/11/19 10:30:01 INFO client.DefaultNoHARMFailoverProxyProvider: Connecting to ResourceManager at ip-172-31-0-10.ec2.internal/172.31.0.10:8032"

    static func text(_ v: SQLValue?) -> String? {
        if case .text(let s) = v { return s }
        return nil
    }

    @Test("a listing after a `date -u` line: its time, its states, every column of each application")
    func readsAListing() throws {
        let file = [
            "Wed Nov 19 10:30:00 UTC 2025", Self.connecting, Self.total + "2", Self.header, Self.anna, Self.bob,
        ]
        .joined(separator: "\n")
        let (parsed, r) = try rows(YarnAppListFormat.self, file, table: "yarn_app_listing")
        #expect(parsed.rejected == 0)
        #expect(r.count == 2)
        let a = r[0]
        #expect(Self.text(a["listed_at"]) == "2025-11-19T10:30:00.000Z")
        #expect(Self.text(a["listed_at_source"]) == "line")
        #expect(Self.text(a["listed_states"]) == "SUBMITTED, ACCEPTED, RUNNING")
        #expect(Self.text(a["app_id"]) == "application_1763544000000_0007")
        #expect(Self.text(a["name"]) == "livy-session-3")
        #expect(Self.text(a["app_type"]) == "SPARK")
        #expect(Self.text(a["user"]) == "anna")
        #expect(Self.text(a["queue"]) == "default")
        #expect(Self.text(a["state"]) == "RUNNING")
        #expect(Self.text(a["final_state"]) == "UNDEFINED")
        #expect(a["progress"] == .real(10))
        #expect(
            Self.text(a["tracking_url"])
                == "http://ip-172-31-0-10.ec2.internal:20888/proxy/application_1763544000000_0007/")
        #expect(Self.text(a["cluster_id"]) == "j-TEST")
        #expect(a["line"] == .integer(5))
        #expect(r[1]["progress"] == .real(0))
        #expect(r[1]["tracking_url"] == .null, "N/A is no URL")
        #expect(Self.text(r[1]["state"]) == "ACCEPTED")
        #expect(parsed.firstEventMillis == 1_763_548_200_000, "2025-11-19T10:30:00Z")
    }

    // 10:35:00+01:00 is 09:35:00Z; the second listing's time is its own date line's.
    @Test("a cron loop's file: each listing has the time of the date line before it")
    func readsSeveralListings() throws {
        let file = [
            "Wed Nov 19 10:30:00 UTC 2025", Self.total + "1", Self.header, Self.anna, "",
            "2025-11-19T10:35:00+01:00", Self.total + "1", Self.header, Self.bob,
        ].joined(separator: "\n")
        let (parsed, r) = try rows(YarnAppListFormat.self, file, table: "yarn_app_listing")
        #expect(parsed.rejected == 0)
        #expect(r.map { Self.text($0["listed_at"]) } == ["2025-11-19T10:30:00.000Z", "2025-11-19T09:35:00.000Z"])
    }

    // Berlin is UTC+1 in November: 11:40 there is 10:40Z. The mtime 1763548800 s is
    // 2025-11-19T00:00:00Z (1763510400) + 10 h 40 min (38400 s).
    @Test("without a date line, the time is the file name's (in the input's zone unless it says Z), else the mtime's")
    func timeFromNameOrMtime() throws {
        let file = [Self.total + "1", Self.header, Self.anna].joined(separator: "\n")
        let named = try rows(
            YarnAppListFormat.self, file, table: "yarn_app_listing", path: "/x/apps-20251119T1040Z.txt")
        #expect(Self.text(named.1[0]["listed_at"]) == "2025-11-19T10:40:00.000Z")
        #expect(Self.text(named.1[0]["listed_at_source"]) == "name")
        let local = try rows(
            YarnAppListFormat.self, file, table: "yarn_app_listing", timeZone: "Europe/Berlin",
            path: "/x/apps-2025-11-19_11-40.txt")
        #expect(Self.text(local.1[0]["listed_at"]) == "2025-11-19T10:40:00.000Z")
        let mtime = try rows(
            YarnAppListFormat.self, file, table: "yarn_app_listing", path: "/x/apps.txt",
            modifiedNanos: 1_763_548_800_000_000_000)
        #expect(Self.text(mtime.1[0]["listed_at"]) == "2025-11-19T10:40:00.000Z")
        #expect(Self.text(mtime.1[0]["listed_at_source"]) == "mtime")
        let none = try rows(YarnAppListFormat.self, file, table: "yarn_app_listing", path: "/x/apps.txt")
        #expect(none.1.isEmpty && none.0.rejected == 2, "no time: the listing line and its row are refused")
    }

    @Test("an application name with a tab in it keeps it; the other eight fields stay in place")
    func nameWithATab() throws {
        let fields = [
            "application_1763544000000_0011", "nightly\tjob", "SPARK", "carol", "etl", "RUNNING", "UNDEFINED", "55.5%",
            "N/A",
        ]
        let line = Self.row(fields)
        let file = ["2025-11-19T10:30:00Z", Self.total + "1", Self.header, line].joined(separator: "\n")
        let (_, r) = try rows(YarnAppListFormat.self, file, table: "yarn_app_listing")
        #expect(Self.text(r[0]["name"]) == "nightly\tjob")
        #expect(Self.text(r[0]["user"]) == "carol")
        #expect(r[0]["progress"] == .real(55.5))
    }

    // A listing that counts 3 and shows 2 was cut; an application row before any count, and a
    // line of something else, are not part of a listing. The CLI's INFO line is not a problem.
    @Test("a cut listing, a stray row and a foreign line are counted as rejected, naming the line")
    func problems() throws {
        let file = [
            Self.anna, "2025-11-19T10:30:00Z", Self.connecting, Self.total + "3", Self.header, Self.anna, Self.bob,
            "Exception in thread main",
        ].joined(separator: "\n")
        let (parsed, r) = try rows(YarnAppListFormat.self, file, table: "yarn_app_listing")
        #expect(r.count == 2)
        #expect(parsed.rejected == 3)
        #expect(parsed.quarantine.map(\.line).sorted() == [1, 4, 8])
        #expect(parsed.quarantine.contains { $0.reason.contains("counts 3 application(s), 2 follow") })
    }

    // EMR 6.x, as formats.md §2.5 quotes it (a Tez app), behind the count line of an older 2.x CLI.
    @Test("recognised among the formats; a real EMR row and the 2.x count line read")
    func recognisedAndReal() throws {
        let real =
            "application_1626484111706_0009\tHIVE-fa944d87-5a5e-4b3e-9f0c-4e0e8d2c1a11\t                 TEZ\t    hadoop\t   default\t           RUNNING\t         UNDEFINED\t             0%\thttp://ip-10-1-1-19.ap-northeast-2.compute.internal:46459/ui/"
        let file = [
            Self.connecting, "Total number of applications (application-types: [] and states: [RUNNING]):1",
            Self.header, real,
        ].joined(separator: "\n")
        let head = HeadSample(lines: file.split(separator: "\n").map(String.init))
        #expect(FormatRegistry.recognise(head)?.name == "yarn-app-list")
        let (parsed, r) = try rows(
            YarnAppListFormat.self, file, table: "yarn_app_listing", path: "/x/apps-20210717T0900Z.txt")
        #expect(parsed.rejected == 0)
        #expect(Self.text(r[0]["app_type"]) == "TEZ")
        #expect(Self.text(r[0]["user"]) == "hadoop")
        #expect(Self.text(r[0]["listed_states"]) == "RUNNING")
        // Another format's head is not taken for a listing.
        #expect(!YarnAppListFormat.recognizes(HeadSample(lines: [Self.connecting, Self.header])))
    }
}
