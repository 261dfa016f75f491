import Foundation

extension SessionDeriver {
    /// The most executors a session could hold, and what says so: `static` (dynamic allocation
    /// off: its `numExecutors`, else `spark.executor.instances`, else Spark's 2), `session` (its
    /// own `spark.dynamicAllocation.maxExecutors`), `cluster` (the cluster's, from the config)
    /// or `none` (dynamic allocation on and no maximum anywhere: uncapped, nil).
    ///
    /// Dynamic allocation is on unless the session's conf or the config turns it off: EMR and
    /// Glue turn it on in spark-defaults. Under it `numExecutors` only sets the first executors.
    static func executorCap(_ b: Build, cluster: DeriveSettings.ClusterSpark?) -> (cap: Int64?, source: String) {
        if !(b.conf.dynamicAllocation ?? cluster?.dynamicAllocation ?? true) {
            return (b.numExecutors ?? b.conf.instances ?? 2, "static")
        }
        if let max = b.conf.maxExecutors { return (max, "session") }
        if let max = cluster?.maxExecutors { return (Int64(max), "cluster") }
        return (nil, "none")
    }

    /// Driver + executors as requested, with Spark-on-YARN defaults for what the request leaves
    /// out: 1 core and 1 GiB each, 2 executors (or `spark.executor.instances` from the conf).
    static func requestedResources(_ b: Build) -> (vcores: Int64, memoryMB: Int64) {
        let executors = b.numExecutors ?? b.conf.instances ?? 2
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

    /// What a stored conf (`JSONText.object` of string pairs) says about the executors.
    ///
    /// The keys are read as Spark reads them (trimmed; a boolean in any case). A key that is
    /// absent or unreadable is nil.
    struct ExecutorConf: Equatable {
        /// `spark.executor.instances`: the executors of a static session; with dynamic
        /// allocation, only the first ones (Spark 2.0+), no cap.
        var instances: Int64?
        /// `spark.dynamicAllocation.enabled`.
        var dynamicAllocation: Bool?
        /// `spark.dynamicAllocation.maxExecutors`: the cap under dynamic allocation.
        var maxExecutors: Int64?

        static let keys = [
            "spark.executor.instances", "spark.dynamicAllocation.enabled", "spark.dynamicAllocation.maxExecutors",
        ]
        static let keyBytes = keys.map { Array($0.utf8) }

        init(instances: Int64? = nil, dynamicAllocation: Bool? = nil, maxExecutors: Int64? = nil) {
            self.instances = instances
            self.dynamicAllocation = dynamicAllocation
            self.maxExecutors = maxExecutors
        }

        /// From the values of ``keys``, in their order.
        init(_ values: [String?]) {
            func count(_ v: String?) -> Int64? {
                v.flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }.flatMap { $0 >= 0 ? $0 : nil }
            }
            instances = count(values[0])
            switch values[1]?.trimmingCharacters(in: .whitespaces).lowercased() {
            case "true": dynamicAllocation = true
            case "false": dynamicAllocation = false
            default: dynamicAllocation = nil
            }
            maxExecutors = count(values[2])
        }
    }

    /// ``ExecutorConf`` of a stored conf.
    static func executorConf(_ json: String?) -> ExecutorConf {
        guard var json else { return ExecutorConf() }
        if let quick = json.withUTF8(quickConfValues) { return ExecutorConf(quick) }
        guard let data = json.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: String]
        else { return ExecutorConf() }
        return ExecutorConf(ExecutorConf.keys.map { object[$0] })
    }

    /// The values of ``ExecutorConf/keys`` on the bytes, for what the Livy parser stores
    /// (`JSONText.object` of string pairs), not parsed by Foundation for every session
    /// (benchmarks/NOTES.md, `SessionDeriver`).
    ///
    /// Read here only when the text is exactly a flat object of strings with no escape, control
    /// byte or space, and names each key at most once: the values, nil where a key is absent.
    /// nil (ask Foundation) for anything else.
    static func quickConfValues(_ u: UnsafeBufferPointer<UInt8>) -> [String?]? {
        let names = ExecutorConf.keyBytes
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
        var values = [String?](repeating: nil, count: names.count)
        guard n >= 2, u[0] == 0x7B else { return nil }
        if u[1] == 0x7D { return n == 2 ? values : nil }
        var seen = [Bool](repeating: false, count: names.count)
        while true {
            guard let key = string(), i < n, u[i] == 0x3A else { return nil }
            i += 1
            guard let value = string() else { return nil }
            if let k = names.firstIndex(where: { $0.count == key.count && $0.elementsEqual(u[key]) }) {
                if seen[k] { return nil }
                seen[k] = true
                values[k] = String(decoding: UnsafeBufferPointer(rebasing: u[value]), as: UTF8.self)
            }
            guard i < n else { return nil }
            if u[i] == 0x2C {
                i += 1
            } else if u[i] == 0x7D, i + 1 == n {
                return values
            } else {
                return nil
            }
        }
    }
}
