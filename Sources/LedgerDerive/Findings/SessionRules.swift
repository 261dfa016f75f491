extension FindingsDeriver {
    /// A finding of each session (SPEC §4) that SQLite finds in `session`: one statement a rule
    /// instead of a round trip through Swift for every session (a year is 600,000; that loop was
    /// most of deriving findings).
    ///
    /// `detail` and `condition` are SQL over `session s`; the numbers in them are integers written
    /// by Swift, as SQLite writes them (decimal, `-` when negative).
    struct SessionRule {
        let severity: String
        let code: String
        let detail: String
        let condition: String
    }

    /// The session rules.
    ///
    /// `who` is the user name, else the proxy user, else the owner; the evidence is the `path:line`
    /// of the session's create line.
    static func sessionRules(_ settings: DeriveSettings) -> [SessionRule] {
        let who = "coalesce(s.user_name, s.proxy_user, s.owner, 'the Livy service user')"
        let grace: Int64 = IdentityDeriver.backgroundGraceSeconds
        let limit = Int64(settings.backgroundSessionDurationSeconds)
        return [
            SessionRule(
                severity: "high", code: "unexpected_background",
                detail:
                    "\(who) || '''s session ran ' || s.background_s || ' s after the sign-in ended; policy at creation: interactive'",
                condition: "s.background_s IS NOT NULL AND s.mode_policy = 'interactive' AND s.background_s > \(grace)"),
            SessionRule(
                severity: "medium", code: "background_over_limit",
                detail:
                    "\(who) || '''s session ran ' || s.background_s || ' s in background; the limit in force is \(limit) s'",
                condition: "s.background_s IS NOT NULL AND s.background_s > \(limit)"),
            SessionRule(
                severity: "high", code: "identity_missing",
                detail: "'no proxyUser and no owner: the session ran as the Livy service user'",
                condition: "s.identity_status = 'missing'"),
            SessionRule(
                severity: "medium", code: "identity_unresolved",
                detail: "'''' || \(who) || ''' maps to no Identity Center user'",
                condition: "s.identity_status = 'unresolved'"),
            // The rate card has no price for the day: the session is priced with its first entry
            // (a guess), and this says so.
            SessionRule(
                severity: "low", code: "priced_before_rate_card",
                detail:
                    "'created ' || substr(s.created_at, 1, 10) || ', before the rate card''s first entry (' || s.rate_effective || '); priced with that entry'",
                condition: "s.rate_effective IS NOT NULL AND s.rate_effective > substr(s.created_at, 1, 10)"),
        ]
    }
}
