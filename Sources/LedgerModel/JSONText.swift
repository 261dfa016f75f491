import Foundation

/// Minimal JSON text writing: the JSON columns parsers fill (unknown fields kept as an object)
/// and the `--format json` output, without Foundation's encoder for a few strings.
public enum JSONText {
    /// `s` as a JSON string literal.
    public static func quote(_ s: String) -> String {
        // Only `"`, `\` and the control characters are escaped, each one byte in UTF-8 that no
        // other character's bytes contain: a string with none of them is quoted as it is. (Nearly
        // every string is, and every create line's conf passes here: benchmarks/NOTES.md,
        // `JSONText.quote`.)
        var s = s
        let plain = s.withUTF8 { utf8 in !utf8.contains { $0 == 0x22 || $0 == 0x5C || $0 < 0x20 } }
        if plain { return "\"" + s + "\"" }
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// A JSON object of string values, keys in the given order.
    public static func object(_ pairs: [(String, String)]) -> String {
        "{" + pairs.map { quote($0.0) + ":" + quote($0.1) }.joined(separator: ",") + "}"
    }

    /// Any JSON value (as Foundation's parser returns it) as compact text with sorted keys, so
    /// that the same value is always stored as the same bytes.
    public static func canonical(_ value: Any) -> String {
        // Containers before NSNumber: casting a Swift dictionary or array to a class bridges it
        // to Foundation first (most of what this cost on CloudTrail records).
        switch value {
        case let s as String: return quote(s)
        case let a as [Any]: return "[" + a.map(canonical).joined(separator: ",") + "]"
        case let o as [String: Any]:
            return "{" + o.keys.sorted().map { quote($0) + ":" + canonical(o[$0]!) }.joined(separator: ",") + "}"
        case let n as NSNumber:
            // Foundation's parser gives booleans as NSNumbers of ObjC type `c`, and nothing else.
            if String(cString: n.objCType) == "c" { return n.boolValue ? "true" : "false" }
            let i = n.int64Value
            if n.doubleValue == Double(i) { return String(i) }
            return "\(n.doubleValue)"
        default: return "null"
        }
    }
}
