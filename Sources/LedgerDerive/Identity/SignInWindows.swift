import GRDB

extension IdentityDeriver {
    /// Per user id: the times the user was signed in.
    ///
    /// A sign-in opens a window that closes at the user's next logout or after `duration`,
    /// whichever is first.
    static func signInWindows(_ db: Database, directory: IdentityDirectory, duration: Int64) throws -> [String: [(
        Int64, Int64
    )]] {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT event_time, event_name, on_behalf_of_user_id AS id, user_name,
                       CASE WHEN json_valid(additional_event_data) THEN json_extract(additional_event_data, '$.UserName') END AS typed,
                       CASE WHEN json_valid(service_event_details) THEN json_extract(service_event_details, '$.UserAuthentication') END AS outcome,
                       error_code
                FROM ct_event
                WHERE (event_source = 'signin.amazonaws.com' AND event_name IN ('UserAuthentication', 'Logout'))
                   OR (event_source = 'sso.amazonaws.com' AND event_name IN ('Authenticate', 'Federate', 'Logout'))
                ORDER BY event_time, event_id
                """)
        var signIns: [String: [Int64]] = [:]
        var logouts: [String: [Int64]] = [:]
        for r in rows {
            guard let time = SessionDeriver.seconds(r["event_time"]) else { continue }
            let name: String? = r["typed"] ?? r["user_name"]
            guard let user: String = r["id"] ?? name.flatMap({ directory.resolve($0)?.userID }) else { continue }
            if (r["event_name"] as String) == "Logout" {
                logouts[user, default: []].append(time)
            } else if (r["error_code"] as String?) == nil, (r["outcome"] as String?).map({ $0 == "Success" }) ?? true {
                signIns[user, default: []].append(time)
            }
        }
        var windows: [String: [(Int64, Int64)]] = [:]
        for (user, starts) in signIns {
            let outs = logouts[user, default: []]
            windows[user] = starts.map { start in
                let logout = outs.first { $0 >= start }
                return (start, min(start + duration, logout ?? Int64.max))
            }
        }
        return windows
    }

    /// Seconds of [from, to) covered by the union of `windows`.
    static func covered(_ windows: [(Int64, Int64)], from: Int64, to: Int64) -> Int64 {
        let clipped = windows.compactMap { w -> (Int64, Int64)? in
            let s = max(w.0, from)
            let e = min(w.1, to)
            return s < e ? (s, e) : nil
        }.sorted { $0.0 < $1.0 }
        var total: Int64 = 0
        var current: (Int64, Int64)?
        for w in clipped {
            if let c = current, w.0 <= c.1 {
                current = (c.0, max(c.1, w.1))
            } else {
                if let c = current { total += c.1 - c.0 }
                current = w
            }
        }
        if let c = current { total += c.1 - c.0 }
        return total
    }
}
