import GRDB

/// The database schema, as migrations of frozen SQL.
///
/// A migration that has shipped is never edited: a change is a new migration appended here.
/// Tables are `STRICT`; every staging row carries its provenance (`file_id`, `line`), and
/// deleting an `input_file` row deletes what was read from it.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: manifest, quarantine, yarn_app, cluster") { db in
            try db.execute(sql: v1)
        }
        migrator.registerMigration("v2: livy_event, livy_request, yarn_audit, session") { db in
            try db.execute(sql: v2)
        }
        migrator.registerMigration("v3: livy_rest_session, livy_statement") { db in
            try db.execute(sql: v3)
        }
        migrator.registerMigration("v4: ct_event") { db in
            try db.execute(sql: v4)
        }
        migrator.registerMigration("v5: ct_digest, ct_digest_file") { db in
            try db.execute(sql: v5)
        }
        migrator.registerMigration("v6: identity, emr_cluster, security_configuration, policy_change") { db in
            try db.execute(sql: v6)
        }
        migrator.registerMigration("v7: content_sha256, sagemaker_job, finding") { db in
            try db.execute(sql: v7)
        }
        migrator.registerMigration("v8: meta") { db in
            try db.execute(sql: v8)
        }
        migrator.registerMigration("v9: CHECK lists as comparisons; livy_event in walk order") { db in
            try db.execute(sql: v9)
        }
        migrator.registerMigration("v10: session.propagation_basis, ct_file_digest, livy_rest_session.session_type, ingest_setting, input_file.parser_revision") { db in
            try db.execute(sql: v10)
        }
        return migrator
    }

    /// Staging tables whose rows have a natural key of their own (the batch's first column);
    /// the others are keyed by (`file_id`, `line`).
    static let naturalKey = ["yarn_app": "app_id", "ct_event": "event_id"]

    /// The staging tables that hold rows read from a file (all have `file_id`).
    static let stagingTables = [
        "ct_digest", "ct_digest_file", "ct_event", "livy_event", "livy_request", "livy_rest_session", "livy_statement", "quarantine", "yarn_app",
        "yarn_audit",
    ]

    static let v1 = """
        -- The manifest: one row per input file seen, whatever happened to it.
        CREATE TABLE input_file (
            id          INTEGER PRIMARY KEY,
            path        TEXT    NOT NULL UNIQUE,
            size        INTEGER NOT NULL,
            mtime_ns    INTEGER NOT NULL,
            sha256      TEXT,
            format      TEXT,
            compression TEXT    NOT NULL CHECK (compression IN ('none', 'gzip')),
            status      TEXT    NOT NULL CHECK (status IN ('ok', 'truncated', 'corrupt',
                                  'unreadable', 'unrecognised', 'duplicate', 'empty')),
            cluster_id  TEXT,
            instance_id TEXT,
            account_id  TEXT,
            region      TEXT,
            timezone    TEXT    NOT NULL,
            lines       INTEGER NOT NULL,
            records     INTEGER NOT NULL,
            rejected    INTEGER NOT NULL,
            duplicates  INTEGER NOT NULL,
            first_event TEXT,
            last_event  TEXT,
            detail      TEXT
        ) STRICT;
        CREATE INDEX input_file_sha256 ON input_file(sha256);

        -- A sample of the lines that could not be parsed (all are counted in input_file.rejected).
        CREATE TABLE quarantine (
            file_id INTEGER NOT NULL REFERENCES input_file(id) ON DELETE CASCADE,
            line    INTEGER NOT NULL,
            reason  TEXT    NOT NULL,
            excerpt TEXT    NOT NULL
        ) STRICT;
        CREATE INDEX quarantine_file ON quarantine(file_id, line);

        -- One row per YARN application summary (RMAppManager$ApplicationSummary); app ids are
        -- unique per ResourceManager, so a second copy of the same summary is a duplicate.
        CREATE TABLE yarn_app (
            app_id                      TEXT    NOT NULL PRIMARY KEY,
            file_id                     INTEGER NOT NULL REFERENCES input_file(id) ON DELETE CASCADE,
            line                        INTEGER NOT NULL,
            cluster_id                  TEXT,
            logged_at                   TEXT    NOT NULL,
            name                        TEXT,
            user                        TEXT,
            queue                       TEXT,
            state                       TEXT,
            final_status                TEXT,
            tracking_url                TEXT,
            app_master_host             TEXT,
            submit_time                 TEXT,
            start_time                  TEXT,
            launch_time                 TEXT,
            finish_time                 TEXT,
            memory_seconds              INTEGER,
            vcore_seconds               INTEGER,
            preempted_memory_seconds    INTEGER,
            preempted_vcore_seconds     INTEGER,
            preempted_am_containers     INTEGER,
            preempted_non_am_containers INTEGER,
            preempted_resources         TEXT,
            application_type            TEXT,
            resource_seconds            TEXT,
            preempted_resource_seconds  TEXT,
            application_tags            TEXT,
            application_node_label      TEXT,
            diagnostics                 TEXT,
            total_allocated_containers  INTEGER,
            extra                       TEXT
        ) STRICT;
        CREATE INDEX yarn_app_file ON yarn_app(file_id);
        CREATE INDEX yarn_app_cluster ON yarn_app(cluster_id, finish_time);

        -- Derived: one row per cluster; as_of = the latest event time in any of its inputs.
        CREATE TABLE cluster (
            cluster_id TEXT    NOT NULL PRIMARY KEY,
            files      INTEGER NOT NULL,
            as_of      TEXT
        ) STRICT;
        """

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

    static let v3 = """
        -- Sessions from saved Livy REST answers (GET /sessions, /sessions/N).
        CREATE TABLE livy_rest_session (
            file_id    INTEGER NOT NULL REFERENCES input_file(id) ON DELETE CASCADE,
            line       INTEGER NOT NULL,
            cluster_id TEXT,
            session_id INTEGER NOT NULL,
            name       TEXT,
            app_id     TEXT,
            owner      TEXT,
            proxy_user TEXT,
            state      TEXT,
            kind       TEXT,
            PRIMARY KEY (file_id, line)
        ) STRICT;

        -- Statements from saved Livy REST answers (GET /sessions/N/statements); code is not kept.
        CREATE TABLE livy_statement (
            file_id      INTEGER NOT NULL REFERENCES input_file(id) ON DELETE CASCADE,
            line         INTEGER NOT NULL,
            cluster_id   TEXT,
            session_id   INTEGER NOT NULL,
            statement_id INTEGER NOT NULL,
            state        TEXT,
            started      TEXT,
            completed    TEXT,
            PRIMARY KEY (file_id, line)
        ) STRICT;
        CREATE INDEX livy_statement_session ON livy_statement(cluster_id, session_id, started);
        """

    static let v4 = """
        -- CloudTrail events relevant to sessions, identities and policy; eventID is the natural
        -- key (CloudTrail delivers some events more than once). JSON parts are stored compact,
        -- keys sorted, values under secret-looking keys replaced by ***.
        CREATE TABLE ct_event (
            event_id               TEXT    NOT NULL PRIMARY KEY,
            file_id                INTEGER NOT NULL REFERENCES input_file(id) ON DELETE CASCADE,
            line                   INTEGER NOT NULL,
            event_time             TEXT    NOT NULL,
            event_source           TEXT,
            event_name             TEXT,
            event_type             TEXT,
            aws_region             TEXT,
            recipient_account_id   TEXT,
            source_ip              TEXT,
            error_code             TEXT,
            identity_type          TEXT,
            principal_id           TEXT,
            identity_arn           TEXT,
            identity_account_id    TEXT,
            user_name              TEXT,
            session_issuer_arn     TEXT,
            on_behalf_of_user_id   TEXT,
            on_behalf_of_store_arn TEXT,
            credential_id          TEXT,
            source_identity        TEXT,
            shared_event_id        TEXT,
            request_parameters     TEXT,
            response_elements      TEXT,
            additional_event_data  TEXT,
            service_event_details  TEXT,
            resources              TEXT
        ) STRICT;
        CREATE INDEX ct_event_file ON ct_event(file_id);
        CREATE INDEX ct_event_name ON ct_event(event_source, event_name, event_time);
        CREATE INDEX ct_event_on_behalf_of ON ct_event(on_behalf_of_user_id, event_time);
        """

    static let v5 = """
        -- CloudTrail digest files: the hour each covers and the hash of the previous digest.
        CREATE TABLE ct_digest (
            file_id            INTEGER NOT NULL REFERENCES input_file(id) ON DELETE CASCADE,
            line               INTEGER NOT NULL,
            account_id         TEXT    NOT NULL,
            region             TEXT,
            digest_start       TEXT    NOT NULL,
            digest_end         TEXT    NOT NULL,
            digest_s3_bucket   TEXT    NOT NULL,
            digest_s3_object   TEXT    NOT NULL,
            previous_s3_bucket TEXT,
            previous_s3_object TEXT,
            previous_hash      TEXT,
            log_files          INTEGER NOT NULL,
            PRIMARY KEY (file_id, line)
        ) STRICT;

        -- The log files a digest lists, with the SHA-256 of their uncompressed content.
        CREATE TABLE ct_digest_file (
            file_id          INTEGER NOT NULL REFERENCES input_file(id) ON DELETE CASCADE,
            line             INTEGER NOT NULL,
            digest_s3_object TEXT    NOT NULL,
            s3_bucket        TEXT    NOT NULL,
            s3_object        TEXT    NOT NULL,
            hash_value       TEXT    NOT NULL,
            newest_event     TEXT,
            oldest_event     TEXT,
            PRIMARY KEY (file_id, line)
        ) STRICT;
        CREATE INDEX ct_digest_file_object ON ct_digest_file(s3_object);
        """

    static let v6 = """
        -- Derived: Identity Center users, from identities.csv and from CloudTrail sign-ins that
        -- carry both the typed user name and onBehalfOf.userId.
        CREATE TABLE identity (
            user_id     TEXT NOT NULL PRIMARY KEY,
            user_name   TEXT NOT NULL,
            email       TEXT,
            cost_center TEXT,
            source      TEXT NOT NULL CHECK (source IN ('identities.csv', 'cloudtrail'))
        ) STRICT;

        -- Derived: EMR clusters as RunJobFlow launched them.
        CREATE TABLE emr_cluster (
            cluster_id             TEXT NOT NULL PRIMARY KEY,
            created_at             TEXT NOT NULL,
            account_id             TEXT,
            release_label          TEXT,
            security_configuration TEXT,
            roles                  TEXT,
            event_id               TEXT NOT NULL
        ) STRICT;

        -- Derived: EMR security configurations and their user-background-session flag
        -- (NULL: the configuration says nothing about it).
        CREATE TABLE security_configuration (
            name               TEXT    NOT NULL,
            created_at         TEXT    NOT NULL,
            deleted_at         TEXT,
            account_id         TEXT,
            background_enabled INTEGER,
            event_id           TEXT    NOT NULL,
            PRIMARY KEY (name, created_at)
        ) STRICT;

        -- Derived: every change of background-session policy (policy_changes.csv, SPEC §5).
        CREATE TABLE policy_change (
            event_time TEXT NOT NULL,
            account_id TEXT,
            actor      TEXT,
            event_name TEXT NOT NULL,
            target     TEXT,
            setting    TEXT NOT NULL,
            old_value  TEXT,
            new_value  TEXT,
            event_id   TEXT NOT NULL PRIMARY KEY
        ) STRICT;

        -- Events from the cluster's roles that carried the session user's onBehalfOf.userId.
        ALTER TABLE session ADD COLUMN onbehalfof_events INTEGER;
        """

    static let v7 = """
        -- SHA-256 of a file's uncompressed content (CloudTrail logs: what digests record).
        ALTER TABLE input_file ADD COLUMN content_sha256 TEXT;

        -- Derived: SageMaker training and processing jobs, their user and their time limits.
        CREATE TABLE sagemaker_job (
            job_name          TEXT    NOT NULL,
            job_type          TEXT    NOT NULL CHECK (job_type IN ('training', 'processing')),
            account_id        TEXT,
            created_at        TEXT    NOT NULL,
            ended_at          TEXT,
            user_id           TEXT,
            user_name         TEXT,
            identity_status   TEXT    NOT NULL,
            max_runtime_s     INTEGER,
            session_limit_s   INTEGER,
            effective_limit_s INTEGER,
            event_id          TEXT    NOT NULL,
            PRIMARY KEY (job_type, job_name, created_at)
        ) STRICT;

        -- Derived: findings (findings.csv, SPEC §4): one row each, with its evidence.
        CREATE TABLE finding (
            severity TEXT NOT NULL CHECK (severity IN ('high', 'medium', 'low', 'info')),
            code     TEXT NOT NULL,
            subject  TEXT NOT NULL,
            detail   TEXT NOT NULL,
            evidence TEXT NOT NULL
        ) STRICT;
        CREATE INDEX finding_code ON finding(code, subject);
        """

    static let v8 = """
        -- Counters that make a crash harmless: `generation` goes up with every stored file (in
        -- the file's own transaction), `derived` is the generation the derived tables were
        -- rebuilt at. A run that died between the two is finished by the next one.
        CREATE TABLE meta (
            key   TEXT    NOT NULL PRIMARY KEY,
            value INTEGER NOT NULL
        ) STRICT;
        INSERT INTO meta (key, value) VALUES ('generation', 0), ('derived', 0);
        """

    /// SQLite checks `x IN ('a', 'b', 'c', …)` (more than two constants) by building a temporary
    /// B-tree of the list, once per statement run: for a CHECK that is once per inserted row
    /// (benchmarks/NOTES.md, `v9`). The same CHECKs
    /// as chains of `=`, which SQLite evaluates in place; the tables are rebuilt to change them
    /// (SQLite cannot alter a constraint), their rows and indexes kept. `livy_event`'s index
    /// now ends in the tie-break of the session walk (`at, file_id, line`), which SQLite sorted
    /// in a temporary B-tree on every derive.
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

    static let v10 = """
        -- Which roles an `onBehalfOf` event had to come from to count for identity_status:
        -- `cluster_role` (the cluster's roles are known) or `any_role` (they are not).
        ALTER TABLE session ADD COLUMN propagation_basis TEXT;

        -- A saved REST answer's session is interactive or batch (NULL: the answer does not say).
        ALTER TABLE livy_rest_session ADD COLUMN session_type TEXT;

        -- What the last derive was made with, written in its transaction: `derive_settings`
        -- (JSON), and for the reports' provenance `time_zones`, `rate_card`, `config_digest`.
        CREATE TABLE ingest_setting (
            key   TEXT NOT NULL PRIMARY KEY,
            value TEXT NOT NULL
        ) STRICT;

        -- The revision of the parser that read each file: a file an earlier revision read is read
        -- again (every file stored so far was read by revision 1).
        ALTER TABLE input_file ADD COLUMN parser_revision INTEGER NOT NULL DEFAULT 1;

        -- Derived: what the digests say of each CloudTrail log file. `verified` (listed, same
        -- hash), `mismatch` (listed, other hash or unreadable to the end), `not_covered`
        -- (delivered before the newest digest of its account and region, listed in none),
        -- `pending` (delivered after it: its digest is not in the data yet).
        CREATE TABLE ct_file_digest (
            file_id       INTEGER NOT NULL PRIMARY KEY REFERENCES input_file(id) ON DELETE CASCADE,
            digest_status TEXT    NOT NULL CHECK (digest_status = 'verified' OR digest_status = 'mismatch'
                            OR digest_status = 'not_covered' OR digest_status = 'pending'),
            detail        TEXT
        ) STRICT;
        """
}
