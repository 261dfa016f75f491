import Mustache

/// The escaping of `report.html`'s templates (`{{% CONTENT_TYPE: HTML_SCALARS}}`).
///
/// Mustache's own HTML escaping looks at whole Characters: a `"` followed by a combining mark
/// is one Character that is not a quote to it, yet the browser ends the attribute there. Log
/// data (a user or cluster name) reaches attributes of the page, so every Unicode scalar is
/// looked at.
struct HTMLScalarEscaping: MustacheContentType {
    static let name = "HTML_SCALARS"

    func escapeText(_ text: String) -> String { Self.escape(text) }

    static func escape(_ text: String) -> String {
        // The five are ASCII: one byte each in UTF-8, never part of another scalar's bytes.
        guard text.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 }) else {
            return text
        }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out.append(contentsOf: "&amp;".unicodeScalars)
            case "<": out.append(contentsOf: "&lt;".unicodeScalars)
            case ">": out.append(contentsOf: "&gt;".unicodeScalars)
            case "\"": out.append(contentsOf: "&quot;".unicodeScalars)
            case "'": out.append(contentsOf: "&#39;".unicodeScalars)
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    /// Registers it with Mustache, once.
    static let registered: Void = MustacheContentTypes.register(HTMLScalarEscaping(), named: name)
}
