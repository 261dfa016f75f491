import Foundation
import LedgerFormats
import LedgerModel
import LedgerTestSupport
import Testing

@Suite("Damaged input never crashes the yarn-rm parser")
struct MutationTests {
    // How this was seen to fail: with the bounds check on the millisecond digits removed from
    // Log4jLine.parse, cut lines such as "2021-11-23 10:06:56,7" trapped within the first
    // few hundred mutations.
    @Test("thousands of mutated ResourceManager logs parse to counts that add up")
    func survivesMutatedLogs() throws {
        var rng = SeededGenerator(seed: 0x5EED)
        let originals = try [
            "rm/hadoop3/yarn-liuxy-resourcemanager-LAPTOP-GCQQL01V.log",
            "rm/hadoop2/rm-appsummary.log",
            "rm/emr/yarn-yarn-resourcemanager-ip-172-31-23-116.log",
        ].map(Fixtures.bytes)
        for round in 0..<3000 {
            let damaged = mutate(originals[round % originals.count], using: &rng)
            let parsed = try parseRM(String(decoding: damaged, as: UTF8.self))
            let candidates = damaged.split(separator: 0x0A).filter { line in
                let text = String(decoding: line, as: UTF8.self)
                return text.contains("RMAppManager$ApplicationSummary") || text.contains("RMAuditLogger")
            }.count
            #expect(parsed.records + parsed.rejected <= candidates, "round \(round)")
            #expect(parsed.quarantine.count == min(parsed.rejected, ParseTally.quarantineSampleLimit))
        }
    }

    @Test("random bytes are not recognised as any format and do not crash it")
    func ignoresRandomBytes() throws {
        var rng = SeededGenerator(seed: 42)
        for _ in 0..<500 {
            let junk = (0..<Int.random(in: 0...4096, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            #expect(FormatRegistry.recognise(HeadSample(bytes: junk)) == nil)
            let parsed = try parseRM(String(decoding: junk, as: UTF8.self))
            #expect(parsed.records == 0)
        }
    }
}

@Suite("Damaged input never crashes the CloudTrail parser")
struct CloudTrailMutationTests {
    @Test("thousands of mutated real CloudTrail files parse to counts that add up")
    func survivesMutatedTrails() throws {
        var rng = SeededGenerator(seed: 0xC10D)
        let originals = try [
            "trailscraper-fixtures/events-for-smoke-test.json",
            "elastic-integrations-cloudtrail-fixtures/test-user-authentication.log",
            "stratus-red-team-detonation-logs/aws.discovery.ec2-download-user-data.json",
            "aws-cloudtrail-processing-library-fixtures/SerializerTestFileBadJsonFormat.json",
        ].map { try Data(contentsOf: URL(fileURLWithPath: Fixtures.realdata + "/" + $0)).map { $0 } }
        for round in 0..<2000 {
            let damaged = mutate(originals[round % originals.count], using: &rng)
            let (parsed, rows, skipped) = try parseTrail(String(decoding: damaged, as: UTF8.self), chunk: 1 + round % 4096)
            #expect(rows.count + skipped <= parsed.lines, "round \(round)")
            #expect(parsed.rejected <= parsed.lines + 1, "round \(round)")
        }
    }
}
