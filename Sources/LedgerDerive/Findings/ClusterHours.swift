extension FindingsDeriver.SharedClusterRules {
    /// An hour of a cluster in which sessions were open (`cluster_hour`).
    struct Hour {
        /// The hour's start, Unix seconds.
        var hour: Int64
        /// The most users with a session open at once in the hour.
        var users: Int
        /// The user whose sessions held the most vCore-seconds in the hour (ties: the first
        /// name), if any held some.
        var top: (user: Int, vcoreSeconds: Double)?
    }

    struct HourUser: Hashable {
        var hour: Int64
        var user: Int
    }

    /// The hours of one cluster's sessions in which any was open, in order.
    ///
    /// Users at once: a user is on the cluster while any of their sessions is open
    /// (`created` ≤ t < `closed`); the count only rises when a session opens, so its most in an
    /// hour is at the hour's start or at an opening in it. A session holds its `vcores` for
    /// each second it is open. Done here, in one sweep, rather than in `contention.sql`: the
    /// same in SQL (stretches of each user's sessions, windows over them) is seconds over a
    /// year of sessions, which the reports' budget does not have.
    func hours(_ s: [FindingsDeriver.Occupant]) -> [Hour] {
        // Flat maps (an hour's users; an hour and user's vCore-seconds), not a map per hour:
        // a year of a busy cluster is tens of thousands of hours.
        var usersByHour: [Int64: Int] = [:]
        var held: [HourUser: Double] = [:]
        func hourOf(_ t: Int64) -> Int64 { t >= 0 ? t / 3600 * 3600 : (t - 3599) / 3600 * 3600 }

        // Openings and closings, by instant: all of an instant's are applied before it is read.
        var events: [(at: Int64, delta: Int, user: Int)] = []
        events.reserveCapacity(2 * s.count)
        for o in s where o.closed > o.created {
            events.append((o.created, 1, o.user))
            events.append((o.closed, -1, o.user))
        }
        events.sort { $0.at < $1.at }
        var open: [Int: Int] = [:]
        var users = 0
        func read(_ h: Int64) { usersByHour[h] = max(usersByHour[h] ?? 0, users) }
        var i = 0
        while i < events.count {
            let at = events[i].at
            // The starts of the hours since the last instant, at which the count stood still.
            if i > 0, users > 0 {
                var h = hourOf(events[i - 1].at) + 3600
                while h < at {
                    read(h)
                    h += 3600
                }
            }
            var opened = false
            while i < events.count, events[i].at == at {
                let e = events[i]
                let n = open[e.user, default: 0] + e.delta
                open[e.user] = n == 0 ? nil : n
                if e.delta > 0 {
                    opened = true
                    if n == 1 { users += 1 }
                } else if n == 0 {
                    users -= 1
                }
                i += 1
            }
            if opened || (hourOf(at) == at && users > 0) { read(hourOf(at)) }
        }

        for o in s where o.closed > o.created && o.vcores > 0 {
            var h = hourOf(o.created)
            while h < o.closed {
                let seconds = min(o.closed, h + 3600) - max(o.created, h)
                held[HourUser(hour: h, user: o.user), default: 0] += o.vcores * Double(seconds)
                h += 3600
            }
        }

        var top: [Int64: (user: Int, vcoreSeconds: Double)] = [:]
        for (key, value) in held {
            if let best = top[key.hour],
                best.vcoreSeconds > value
                    || (best.vcoreSeconds == value && tableName(best.user) <= tableName(key.user))
            {
                continue
            }
            top[key.hour] = (key.user, value)
        }
        return Set(usersByHour.keys).union(top.keys).sorted().map { h in
            Hour(hour: h, users: usersByHour[h] ?? 0, top: top[h])
        }
    }
}
