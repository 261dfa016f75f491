import LedgerDerive
import LedgerModel
import LedgerPipeline
import Testing

@Suite("The TOML config file")
struct ConfigurationTests {
    @Test("every setting is read; relative paths are anchored at the file's directory")
    func readsEverySetting() throws {
        let text = """
            database = "state/ledger.sqlite"
            timezone = "Europe/Berlin"

            [[inputs]]
            path = "logs/emr"

            [[inputs]]
            path = "/srv/glue"
            format = "yarn-rm"
            cluster = "glue-dev-endpoint"
            timezone = "America/New_York"

            [thresholds]
            abandon_after = "90m"
            interactive_session_duration = 3600

            [[rates]]
            effective = 2025-07-01
            vcpu_hour_usd = 0.05
            gb_hour_usd = 0.004

            [[rates]]
            effective = "2025-01-01"
            vcpu_hour_usd = 0.06
            gb_hour_usd = 0

            [gates]
            max_quarantined_files = 0
            min_identity_coverage = 0.95

            [identities]
            file = "identities.csv"
            """
        let c = try Configuration.parse(text, path: "/etc/session-ledger/config.toml")
        #expect(c.database == "/etc/session-ledger/state/ledger.sqlite")
        #expect(c.timeZone == "Europe/Berlin")
        #expect(
            c.inputs == [
                Configuration.Input(path: "/etc/session-ledger/logs/emr"),
                Configuration.Input(
                    path: "/srv/glue", format: "yarn-rm", cluster: "glue-dev-endpoint", timeZone: "America/New_York"),
            ])
        #expect(c.abandonAfterSeconds == 5400)
        #expect(c.interactiveSessionDurationSeconds == 3600)
        #expect(c.rates.map(\.effective) == ["2025-01-01", "2025-07-01"])  // sorted by date
        #expect(c.rates.map(\.vcpuHourUSD) == [0.06, 0.05])
        #expect(c.gates.maxQuarantinedFiles == 0)
        #expect(c.gates.minIdentityCoverage == 0.95)
        #expect(c.gates.maxCoverageGaps == nil)
        #expect(c.identitiesFile == "/etc/session-ledger/identities.csv")
    }

    @Test("a cluster's spark-defaults: dynamic allocation and its maximum, each optional; 0 is refused")
    func readsClusterSpark() throws {
        let text = """
            [[clusters]]
            id = "j-1ANALYTICSW47"
            max_executors = 8

            [[clusters]]
            id = "glue-dev"
            dynamic_allocation = false
            account = "444455556666"

            [[clusters]]
            id = "j-ROLESONLY"
            roles = ["EMR_EC2_DefaultRole"]
            """
        let c = try Configuration.parse(text, path: "c.toml")
        #expect(
            c.clusterSpark == [
                "j-1ANALYTICSW47": .init(maxExecutors: 8), "glue-dev": .init(dynamicAllocation: false),
            ])
        #expect(try c.deriveSettings().clusterSpark == c.clusterSpark)
        #expect(c.clusterAccounts == ["glue-dev": "444455556666"])
        #expect(try c.deriveSettings().clusterAccounts == c.clusterAccounts)
        #expect(
            throws: LedgerError.config(
                path: "c.toml", line: 3, message: "'clusters.account' must be a 12-digit AWS account id")
        ) {
            try Configuration.parse("[[clusters]]\nid = \"x\"\naccount = \"4444-5555-6666\"\n", path: "c.toml")
        }
        #expect(
            throws: LedgerError.config(
                path: "c.toml", line: 3,
                message: "'clusters.max_executors' must be 1 or more (Spark refuses a maximum of 0 executors)")
        ) {
            try Configuration.parse("[[clusters]]\nid = \"x\"\nmax_executors = 0\n", path: "c.toml")
        }
        #expect(
            throws: LedgerError.config(
                path: "c.toml", line: 3, message: "'clusters.dynamic_allocation' must be true or false")
        ) {
            try Configuration.parse("[[clusters]]\nid = \"x\"\ndynamic_allocation = \"no\"\n", path: "c.toml")
        }
    }

    @Test("no config: documented defaults")
    func hasDefaults() throws {
        let c = try Configuration.parse("", path: "empty.toml")
        #expect(c.database == "ledger.sqlite")
        #expect(c.timeZone == "UTC")
        #expect(c.abandonAfterSeconds == 3600)
        #expect(c.interactiveSessionDurationSeconds == 28800)
        #expect(c.rates == Configuration.defaultRates)
    }

    @Test("a misspelt key is an error naming the file, the line and the key")
    func rejectsUnknownKeys() {
        let text = "timezone = \"UTC\"\n\n[[inputs]]\npath = \"a\"\n\n[[inputs]]\npath = \"b\"\ntimezon = \"UTC\"\n"
        #expect(
            throws: LedgerError.config(
                path: "c.toml", line: 8,
                message: "unknown setting 'inputs.timezon'; known here: cluster, format, path, timezone")
        ) {
            try Configuration.parse(text, path: "c.toml")
        }
    }

    @Test("broken TOML is an error with the parser's line")
    func reportsSyntaxErrorLine() {
        do {
            _ = try Configuration.parse("database = \"x\"\n[thresholds\n", path: "c.toml")
            Issue.record("expected an error")
        } catch {
            guard case .config(let path, let line, let message) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(path == "c.toml")
            #expect(line == 2)
            #expect(message.hasPrefix("not valid TOML"))
        }
    }

    @Test(
        "wrong values are errors naming the line",
        arguments: [
            (
                "[thresholds]\nabandon_after = \"soon\"\n", 2,
                "'thresholds.abandon_after' must be seconds or a duration such as \"15m\", \"8h\", \"7d\""
            ),
            (
                "[[inputs]]\npath = \"x\"\ntimezone = \"Mars/Base\"\n", 3,
                "unknown time zone 'Mars/Base': use an IANA name such as UTC or Europe/Berlin"
            ),
            (
                "[[rates]]\neffective = \"last year\"\nvcpu_hour_usd = 1\ngb_hour_usd = 1\n", 2,
                "'rates.effective' must be a date such as 2025-01-01"
            ),
            ("[gates]\nmax_quarantined_files = -1\n", 2, "'gates.max_quarantined_files' must be a whole number ≥ 0"),
        ])
    func rejectsWrongValues(text: String, line: Int, message: String) {
        #expect(throws: LedgerError.config(path: "c.toml", line: line, message: message)) {
            try Configuration.parse(text, path: "c.toml")
        }
    }
}
