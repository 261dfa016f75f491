import Foundation

/// Reading JSON text stored by the parsers, with keys matched case-insensitively (CloudTrail's
/// casing varies by service: `releaseLabel` and `ReleaseLabel` both occur).
enum JSONValue {
    static func parse(_ text: String?) -> Any? {
        guard let text, let data = text.data(using: .utf8) else { return nil }
        return try? JSONSerialization.jsonObject(with: data)
    }

    static func object(_ text: String?) -> [String: Any]? { parse(text) as? [String: Any] }

    static func member(_ object: [String: Any]?, _ key: String) -> Any? {
        guard let object else { return nil }
        if let v = object[key] { return v }
        let lower = key.lowercased()
        return object.first { $0.key.lowercased() == lower }?.value
    }

    static func string(_ object: [String: Any]?, _ key: String) -> String? {
        member(object, key) as? String
    }

    /// A whole number, written as a number or as a string of digits.
    static func integer(_ object: [String: Any]?, _ key: String) -> Int64? {
        switch member(object, key) {
        case let n as NSNumber: return n.int64Value
        case let s as String: return Int64(s)
        default: return nil
        }
    }

    static func bool(_ value: Any) -> Bool? {
        if let s = value as? String {
            return s.lowercased() == "true" ? true : (s.lowercased() == "false" ? false : nil)
        }
        if let n = value as? NSNumber { return n.boolValue }
        return nil
    }
}
