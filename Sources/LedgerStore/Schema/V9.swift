// Frozen: this migration has shipped. A change is a new migration (Migrations.swift).

extension Schema {
    /// SQLite checks `x IN ('a', 'b', 'c', …)` (more than two constants) by building a temporary
    /// B-tree of the list, once per statement run: for a CHECK that is once per inserted row
    /// (benchmarks/NOTES.md, `v9`).
    ///
    /// The same CHECKs as chains of `=`, which SQLite evaluates in place; the tables are rebuilt to
    /// change them (SQLite cannot alter a constraint), their rows and indexes kept. `livy_event`'s
    /// index now ends in the tie-break of the session walk (`at, file_id, line`), which SQLite
    /// sorted in a temporary B-tree on every derive.
    static let v9 = """
        CREATE TABLE livy_event_v9 (
            file_id         INTEGER NOT NULL REFERENCES input_file(id) ON DELETE CASCADE,
            line            INTEGER NOT NULL,
            cluster_id      TEXT,
            at              TEXT    NOT NULL,
            event           TEXT    NOT NULL CHECK (event = 'server_start' OR event = 'server_stop'
                              OR event = 'recovered' OR event = 'create' OR event = 'ready' OR event = 'deleting'
                              OR event = 'deleted' OR event = 'stopping' OR event = 'stopped'
                              OR event = 'idle_timeout' OR event = 'finished_purge' OR event = 'heartbeat_expired'
                              OR event = 'app_not_found' OR event = 'app_submitted'),
            session_type    TEXT,
            session_id      INTEGER,
            app_id          TEXT,
            owner           TEXT,
            proxy_user      TEXT,
            kind            TEXT,
            driver_memory   TEXT,
            driver_cores    INTEGER,
            executor_memory TEXT,
            executor_cores  INTEGER,
            num_executors   INTEGER,
            queue           TEXT,
            name            TEXT,
            conf            TEXT,
            detail          TEXT,
            PRIMARY KEY (file_id, line)
        ) STRICT;
        INSERT INTO livy_event_v9 SELECT * FROM livy_event ORDER BY file_id, line;
        DROP TABLE livy_event;
        ALTER TABLE livy_event_v9 RENAME TO livy_event;
        CREATE INDEX livy_event_cluster ON livy_event(cluster_id, at, file_id, line);

        CREATE TABLE livy_request_v9 (
            file_id      INTEGER NOT NULL REFERENCES input_file(id) ON DELETE CASCADE,
            line         INTEGER NOT NULL,
            cluster_id   TEXT,
            at           TEXT    NOT NULL,
            client       TEXT    NOT NULL,
            user         TEXT,
            method       TEXT    NOT NULL,
            path         TEXT    NOT NULL,
            session_type TEXT    NOT NULL,
            session_id   INTEGER,
            action       TEXT    NOT NULL CHECK (action = 'create' OR action = 'statement' OR action = 'cancel'
                           OR action = 'delete' OR action = 'other'),
            status       INTEGER NOT NULL,
            bytes        INTEGER,
            PRIMARY KEY (file_id, line)
        ) STRICT;
        INSERT INTO livy_request_v9 SELECT * FROM livy_request ORDER BY file_id, line;
        DROP TABLE livy_request;
        ALTER TABLE livy_request_v9 RENAME TO livy_request;
        CREATE INDEX livy_request_session ON livy_request(cluster_id, session_type, session_id, at);

        CREATE TABLE session_v9 (
            session_key          TEXT    NOT NULL PRIMARY KEY,
            cluster_id           TEXT    NOT NULL,
            server_started_at    TEXT,
            livy_session_id      INTEGER NOT NULL,
            session_type         TEXT    NOT NULL CHECK (session_type IN ('interactive', 'batch')),
            kind                 TEXT,
            owner                TEXT,
            proxy_user           TEXT,
            user_id              TEXT,
            user_name            TEXT,
            cost_center          TEXT,
            app_id               TEXT,
            app_link             TEXT,
            queue                TEXT,
            created_at           TEXT    NOT NULL,
            ready_at             TEXT,
            ended_at             TEXT,
            end_reason           TEXT    NOT NULL,
            end_evidence         TEXT,
            last_activity_at     TEXT    NOT NULL,
            activity_source      TEXT    NOT NULL,
            statements           INTEGER NOT NULL,
            duration_s           INTEGER NOT NULL,
            idle_tail_s          INTEGER NOT NULL,
            interactive_s        INTEGER,
            background_s         INTEGER,
            mode_observed        TEXT,
            mode_policy          TEXT,
            vcore_seconds        INTEGER,
            memory_mb_seconds    INTEGER,
            requested_vcores     INTEGER,
            requested_memory_mb  INTEGER,
            cost_basis           TEXT    NOT NULL CHECK (cost_basis = 'yarn' OR cost_basis = 'requested'
                                   OR cost_basis = 'none'),
            rate_effective       TEXT,
            cost_usd             REAL,
            idle_cost_usd        REAL,
            background_cost_usd  REAL,
            abandoned            INTEGER NOT NULL,
            identity_status      TEXT,
            file_id              INTEGER NOT NULL,
            line                 INTEGER NOT NULL,
            onbehalfof_events    INTEGER
        ) STRICT;
        INSERT INTO session_v9 SELECT * FROM session ORDER BY rowid;
        DROP TABLE session;
        ALTER TABLE session_v9 RENAME TO session;
        CREATE INDEX session_cluster ON session(cluster_id, created_at);

        CREATE TABLE finding_v9 (
            severity TEXT NOT NULL CHECK (severity = 'high' OR severity = 'medium' OR severity = 'low'
                       OR severity = 'info'),
            code     TEXT NOT NULL,
            subject  TEXT NOT NULL,
            detail   TEXT NOT NULL,
            evidence TEXT NOT NULL
        ) STRICT;
        INSERT INTO finding_v9 SELECT * FROM finding ORDER BY rowid;
        DROP TABLE finding;
        ALTER TABLE finding_v9 RENAME TO finding;
        CREATE INDEX finding_code ON finding(code, subject);
        """
}
