import Foundation
import LedgerDerive
import LedgerModel

/// `identities.csv`: the Identity Center users, with cost centres (SPEC §2, reference data).
///
/// A header row names the columns, in any order and case: `userId`, `userName`, `email`,
/// `costCenter` (the first two required). RFC 4180 quoting. A short hand-written reader: the
/// file is small and this is its only CSV.
enum IdentitiesFile {
    static func load(path: String) throws(LedgerError) -> [Identity] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw .config(path: path, line: nil, message: "cannot read the identities file")
        }
        // Excel's "CSV UTF-8" export begins with a byte-order mark; Foundation's UTF-8 reading
        // drops it (PartialDataTests holds it to that).
        let rows = parse(text)
        guard let header = rows.first?.1 else { return [] }
        let names = header.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        func column(_ name: String) -> Int? { names.firstIndex(of: name.lowercased()) }
        guard let id = column("userId"), let user = column("userName") else {
            throw .config(
                path: path, line: 1,
                message: "the header must name userId and userName (and may name email, costCenter)")
        }
        let email = column("email")
        let cost = column("costCenter")
        var out: [Identity] = []
        for (line, fields) in rows.dropFirst() where !(fields.count == 1 && fields[0].isEmpty) {
            func value(_ i: Int?) -> String? {
                guard let i, i < fields.count else { return nil }
                let v = fields[i].trimmingCharacters(in: .whitespaces)
                return v.isEmpty ? nil : v
            }
            guard let userID = value(id), let userName = value(user) else {
                throw .config(path: path, line: line, message: "userId and userName are required")
            }
            out.append(Identity(userID: userID, userName: userName, email: value(email), costCenter: value(cost)))
        }
        return out
    }

    /// Rows with the line each starts on.
    static func parse(_ text: String) -> [(Int, [String])] {
        var rows: [(Int, [String])] = []
        var field = ""
        var fields: [String] = []
        var quoted = false
        var line = 1
        var rowStart = 1
        var chars = Array(text.unicodeScalars)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" {
                        field.unicodeScalars.append("\"")
                        chars.removeFirst()
                    } else {
                        quoted = false
                    }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                fields.append(field)
                field = ""
            } else if c == "\n" || c == "\r" {
                if c == "\r", chars.first == "\n" { chars.removeFirst() }
                fields.append(field)
                rows.append((rowStart, fields))
                fields = []
                field = ""
                line += 1
                rowStart = line
            } else {
                field.unicodeScalars.append(c)
            }
        }
        if !field.isEmpty || !fields.isEmpty {
            fields.append(field)
            rows.append((rowStart, fields))
        }
        return rows
    }
}
