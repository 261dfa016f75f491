// Frozen: this migration has shipped. A change is a new migration (Migrations.swift).

extension Schema {
    static let v2 = """
        -- One row per Livy server lifecycle line (formats.md §1.3, §1.6); natural key (file, line).
        CREATE TABLE livy_event (
            file_id         INTEGER NOT NULL REFERENCES input_file(id) ON DELETE CASCADE,
            line            INTEGER NOT NULL,
            cluster_id      TEXT,
            at              TEXT    NOT NULL,
            event           TEXT    NOT NULL CHECK (event IN ('server_start', 'server_stop', 'recovered',
                              'create', 'ready', 'deleting', 'deleted', 'stopping', 'stopped', 'idle_timeout',
                              'finished_purge', 'heartbeat_expired', 'app_not_found', 'app_submitted')),
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
        CREATE INDEX livy_event_cluster ON livy_event(cluster_id, at);

        -- Livy REST requests that change something (POST/PUT/DELETE on /sessions, /batches).
        CREATE TABLE livy_request (
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
            action       TEXT    NOT NULL CHECK (action IN ('create', 'statement', 'cancel', 'delete', 'other')),
            status       INTEGER NOT NULL,
            bytes        INTEGER,
            PRIMARY KEY (file_id, line)
        ) STRICT;
        CREATE INDEX livy_request_session ON livy_request(cluster_id, session_type, session_id, at);

        -- ResourceManager audit lines (RMAuditLogger): who asked for what, on which app.
        CREATE TABLE yarn_audit (
            file_id     INTEGER NOT NULL REFERENCES input_file(id) ON DELETE CASCADE,
            line        INTEGER NOT NULL,
            cluster_id  TEXT,
            at          TEXT    NOT NULL,
            user        TEXT    NOT NULL,
            ip          TEXT,
            operation   TEXT    NOT NULL,
            target      TEXT,
            result      TEXT,
            app_id      TEXT,
            queue       TEXT,
            description TEXT,
            PRIMARY KEY (file_id, line)
        ) STRICT;
        CREATE INDEX yarn_audit_app ON yarn_audit(app_id, operation);

        -- Derived: one row per Livy session, identity (cluster, server start, session id).
        -- Columns follow sessions.csv (SPEC §5); identity and background columns are filled by
        -- the CloudTrail work and NULL until then.
        CREATE TABLE session (
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
            cost_basis           TEXT    NOT NULL CHECK (cost_basis IN ('yarn', 'requested', 'none')),
            rate_effective       TEXT,
            cost_usd             REAL,
            idle_cost_usd        REAL,
            background_cost_usd  REAL,
            abandoned            INTEGER NOT NULL,
            identity_status      TEXT,
            file_id              INTEGER NOT NULL,
            line                 INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX session_cluster ON session(cluster_id, created_at);
        """
}
