import Foundation
import LedgerModel
import Testing

@Suite("JSONText.canonical: JSON stored as the same bytes for the same value")
struct JSONTextCanonicalTests {
    // Every CloudTrail JSON column is stored through `canonical`: keys sorted, no spaces,
    // booleans as booleans, whole numbers without a point, null kept, strings escaped. The
    // containers are tested before NSNumber (a cast to a class bridges a Swift dictionary first,
    // which cost a twentieth of a trail's ingest); this pins that the order changes no output.
    // How this was seen to fail: without the boolean check, `true` came out as `1`.
    @Test("canonical text of a parsed document: sorted keys, true/false, whole numbers, null, escapes")
    func canonicalText() throws {
        let text = #"{"b":[true,false,null,1,2.5,-3,"x\"y\\z\n"],"a":{"z":{},"y":[],"x":1e2},"c":"é"}"#
        let value = try JSONSerialization.jsonObject(with: Data(text.utf8))
        #expect(JSONText.canonical(value) == #"{"a":{"x":100,"y":[],"z":{}},"b":[true,false,null,1,2.5,-3,"x\"y\\z\n"],"c":"é"}"#)
    }
}
