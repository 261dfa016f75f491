// Frozen: this migration has shipped. A change is a new migration (Migrations.swift).

extension Schema {
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
}
