import Foundation

extension SessionDeriver {
    /// Driver + executors as requested, with Spark-on-YARN defaults for what the request leaves
    /// out: 1 core and 1 GiB each, 2 executors (or `spark.executor.instances` from the conf).
    static func requestedResources(_ b: Build) -> (vcores: Int64, memoryMB: Int64) {
        let executors = b.numExecutors ?? b.confExecutors ?? 2
        let vcores = (b.driverCores ?? 1) + executors * (b.executorCores ?? 1)
        let memory = memoryMB(b.driverMemory) + executors * memoryMB(b.executorMemory)
        return (vcores, memory)
    }

    /// Spark memory strings (`512m`, `2g`, `1t`, `2048k`; a bare number is MiB) in MiB; 1 GiB
    /// when absent or unreadable.
    static func memoryMB(_ s: String?) -> Int64 {
        guard let s = s?.lowercased().trimmingCharacters(in: .whitespaces), !s.isEmpty else { return 1024 }
        let number = s.prefix { $0.isNumber }
        guard let n = Int64(number) else { return 1024 }
        switch s.dropFirst(number.count).first {
        case "k": return max(1, n / 1024)
        case "m", nil: return n
        case "g": return n * 1024
        case "t": return n * 1024 * 1024
        default: return 1024
        }
    }

    /// `spark.executor.instances` of a stored conf (`JSONText.object` of string pairs).
    static func confExecutors(_ json: String?) -> Int64? {
        guard var json else { return nil }
        if let quick = json.withUTF8(quickExecutors) { return quick }
        guard let data = json.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: String],
            let v = object["spark.executor.instances"]
        else { return nil }
        return Int64(v)
    }

    /// `confExecutors` on the bytes, for what the Livy parser stores (`JSONText.object` of string
    /// pairs), not parsed by Foundation for every session (benchmarks/NOTES.md, `SessionDeriver`).
    ///
    /// Read here only when the text is exactly a flat object of strings with no escape, control
    /// byte or space, and names the key at most once: `.some(count)`, where `count` is nil when the
    /// key is absent or its value is no number. nil (ask Foundation) for anything else.
    static func quickExecutors(_ u: UnsafeBufferPointer<UInt8>) -> Int64?? {
        let name: StaticString = "spark.executor.instances"
        let n = u.count
        var i = 1
        /// The contents of the string at `i`, which is then moved past it.
        func string() -> Range<Int>? {
            guard i < n, u[i] == 0x22 else { return nil }
            let start = i + 1
            var j = start
            while j < n, u[j] != 0x22 {
                if u[j] == 0x5C || u[j] < 0x20 { return nil }
                j += 1
            }
            guard j < n else { return nil }
            i = j + 1
            return start..<j
        }
        guard n >= 2, u[0] == 0x7B else { return nil }
        if u[1] == 0x7D { return n == 2 ? .some(nil) : nil }
        var count: Int64?
        var seen = false
        while true {
            guard let key = string(), i < n, u[i] == 0x3A else { return nil }
            i += 1
            guard let value = string() else { return nil }
            if key.count == name.utf8CodeUnitCount,
                memcmp(u.baseAddress! + key.lowerBound, name.utf8Start, key.count) == 0
            {
                if seen { return nil }
                seen = true
                count = Int64(String(decoding: UnsafeBufferPointer(rebasing: u[value]), as: UTF8.self))
            }
            guard i < n else { return nil }
            if u[i] == 0x2C {
                i += 1
            } else if u[i] == 0x7D, i + 1 == n {
                return .some(count)
            } else {
                return nil
            }
        }
    }
}
