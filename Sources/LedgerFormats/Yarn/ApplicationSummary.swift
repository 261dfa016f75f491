import LedgerModel

/// One `RMAppManager$ApplicationSummary` message, unescaped.
///
/// The message is `key=value` pairs joined by `,`; values were escaped by Hadoop's
/// `StringUtils.escapeString` (`\,` `\=` `\\`) and then had line breaks written as `\n` / `\r`
/// (formats.md §2.3). Keys appear in a fixed order that grew over Hadoop versions; any prefix of
/// the list is accepted, and keys this code does not know are kept in `extra` (JSON).
struct ApplicationSummary {
    struct Problem: Error {
        let reason: String
    }

    var fields: [(key: String, value: String)]

    /// Splits and unescapes the message bytes in `range`.
    static func parse(_ b: UnsafeRawBufferPointer, _ range: Range<Int>) -> Result<ApplicationSummary, Problem> {
        var fields: [(key: String, value: String)] = []
        var key: [UInt8] = []
        var value: [UInt8] = []
        var inValue = false
        var orphan = false  // a piece without `=`: Hadoop 2.0 did not escape commas in values

        func close() {
            if inValue {
                fields.append((String(decoding: key, as: UTF8.self), String(decoding: value, as: UTF8.self)))
            } else if !key.isEmpty {
                // `a,b` with an unescaped comma: the piece belongs to the previous value.
                if let last = fields.popLast() {
                    fields.append((last.key, last.value + "," + String(decoding: key, as: UTF8.self)))
                } else {
                    orphan = true
                }
            }
            key.removeAll(keepingCapacity: true)
            value.removeAll(keepingCapacity: true)
            inValue = false
        }

        var i = range.lowerBound
        while i < range.upperBound {
            // A run of plain bytes is copied at once, not byte by byte (a summary is some 700
            // bytes: benchmarks/NOTES.md, `ApplicationSummary`); it ends at a backslash, a comma,
            // or the first `=` of a field.
            var j = i
            while j < range.upperBound {
                let d = b[j]
                if d == 0x5C || d == 0x2C || (d == 0x3D && !inValue) { break }
                j += 1
            }
            if j > i {
                let run = UnsafeRawBufferPointer(rebasing: b[i..<j])
                if inValue { value.append(contentsOf: run) } else { key.append(contentsOf: run) }
                i = j
                continue
            }
            var c = b[i]
            if c == 0x5C, i + 1 < range.upperBound {  // backslash escape
                i += 1
                switch b[i] {
                case 0x6E: c = 0x0A  // \n
                case 0x72: c = 0x0D  // \r
                default: c = b[i]  // \, \= \\ and anything else: the character itself
                }
                if inValue { value.append(c) } else { key.append(c) }
            } else if c == 0x2C {  // unescaped comma ends a field
                close()
            } else if c == 0x3D && !inValue {  // first unescaped = splits key and value
                inValue = true
            } else if inValue {
                value.append(c)  // a backslash that ends the message
            } else {
                key.append(c)
            }
            i += 1
        }
        close()
        if orphan { return .failure(Problem(reason: "application summary starts with a field without '='")) }
        guard !fields.isEmpty else { return .failure(Problem(reason: "empty application summary")) }
        return .success(ApplicationSummary(fields: fields))
    }

    /// The `yarn_app` row; throws the first problem (no appId, a number that is not one).
    func row(clusterID: String?, loggedAt: Int64) throws(Problem) -> [SQLValue] {
        // Each known key's first value, by its place in `knownKeys`; Hadoop writes the keys in
        // that order, so the next expected key is tried before the dictionary.
        var slots = [String?](repeating: nil, count: Self.knownKeys.count)
        var extra: [(String, String)] = []
        var expected = 0
        for (k, v) in fields {
            let slot: Int?
            if expected < Self.knownKeys.count, Self.knownKeys[expected] == k {
                slot = expected
            } else {
                slot = Self.slotByKey[k]
            }
            if let slot {
                if slots[slot] == nil { slots[slot] = v }
                expected = slot + 1
            } else {
                extra.append((k, v))
            }
        }
        func text(_ key: Key) -> String? { slots[key.rawValue] }
        guard let appID = text(.appId), Self.isApplicationID(appID) else {
            throw Problem(
                reason: "application summary without a valid appId (\(text(.appId).map { "'\($0)'" } ?? "none"))")
        }
        func integer(_ key: Key) throws(Problem) -> SQLValue {
            guard let raw = text(key) else { return .null }
            guard let v = Int64(raw) else { throw Problem(reason: "\(key) is not an integer: '\(raw)'") }
            return .integer(v)
        }
        func time(_ key: Key) throws(Problem) -> SQLValue {
            guard let raw = text(key) else { return .null }
            guard let v = Int64(raw), v >= 0 else {
                throw Problem(reason: "\(key) is not epoch milliseconds: '\(raw)'")
            }
            return v == 0 ? .null : .text(UTCTime.iso8601(millis: v))  // 0 = never happened
        }
        func string(_ key: Key) -> SQLValue { .optionalText(text(key)) }
        return [
            .text(appID), .optionalText(clusterID), .text(UTCTime.iso8601(millis: loggedAt)),
            string(.name), string(.user), string(.queue), string(.state), string(.finalStatus),
            string(.trackingUrl), string(.appMasterHost),
            try time(.submitTime), try time(.startTime), try time(.launchTime), try time(.finishTime),
            try integer(.memorySeconds), try integer(.vcoreSeconds),
            try integer(.preemptedMemorySeconds), try integer(.preemptedVcoreSeconds),
            try integer(.preemptedAMContainers), try integer(.preemptedNonAMContainers),
            string(.preemptedResources), string(.applicationType), string(.resourceSeconds),
            string(.preemptedResourceSeconds), string(.applicationTags),
            string(.applicationNodeLabel), string(.diagnostics),
            try integer(.totalAllocatedContainers),
            extra.isEmpty ? .null : .text(JSONText.object(extra)),
        ]
    }

    /// The keys Hadoop writes, in the order it writes them (later versions add at the end;
    /// formats.md §2.3).
    enum Key: Int, CaseIterable {
        case appId, name, user, queue, state, trackingUrl, appMasterHost, submitTime
        case startTime, launchTime, finishTime, finalStatus, memorySeconds, vcoreSeconds
        case preemptedMemorySeconds, preemptedVcoreSeconds, preemptedAMContainers
        case preemptedNonAMContainers, preemptedResources, applicationType, resourceSeconds
        case preemptedResourceSeconds, applicationTags, applicationNodeLabel, diagnostics
        case totalAllocatedContainers
    }
    static let knownKeys = Key.allCases.map { "\($0)" }
    static let slotByKey = Dictionary(uniqueKeysWithValues: knownKeys.enumerated().map { ($1, $0) })

    /// `application_<cluster timestamp>_<sequence>` (formats.md §2.2).
    static func isApplicationID(_ s: String) -> Bool {
        // On the UTF-8 bytes: this runs for every application summary.
        var parts = 0  // underscores seen
        var digits = 0  // digits in the current numeric part
        var prefix = 0  // bytes of `application` matched
        for c in s.utf8 {
            if parts == 0 {
                if prefix < 11 {
                    guard c == Self.applicationWord[prefix] else { return false }
                    prefix += 1
                } else {
                    guard c == 0x5F else { return false }
                    parts = 1
                }
            } else if c == 0x5F {
                guard parts == 1, digits > 0 else { return false }
                parts = 2
                digits = 0
            } else {
                guard c >= 0x30, c <= 0x39 else { return false }
                digits += 1
            }
        }
        return parts == 2 && digits > 0
    }

    private static let applicationWord = Array("application".utf8)
}
