// Frozen: this migration has shipped. A change is a new migration (Migrations.swift).

extension Schema {
    static let v11 = """
        -- One row per application per saved `yarn application -list` (formats.md §2.5): who held
        -- the cluster at `listed_at`. `listed_at_source` says how that time is known: `line` (a
        -- `date` line before the listing), `name` (the file's name) or `mtime` (the file's).
        CREATE TABLE yarn_app_listing (
            file_id          INTEGER NOT NULL REFERENCES input_file(id) ON DELETE CASCADE,
            line             INTEGER NOT NULL,
            cluster_id       TEXT,
            listed_at        TEXT    NOT NULL,
            listed_at_source TEXT    NOT NULL CHECK (listed_at_source = 'line' OR listed_at_source = 'name'
                               OR listed_at_source = 'mtime'),
            listed_states    TEXT,
            app_id           TEXT    NOT NULL,
            name             TEXT,
            app_type         TEXT,
            user             TEXT,
            queue            TEXT,
            state            TEXT,
            final_state      TEXT,
            progress         REAL,
            tracking_url     TEXT,
            PRIMARY KEY (file_id, line)
        ) STRICT;
        CREATE INDEX yarn_app_listing_app ON yarn_app_listing(app_id, listed_at);
        CREATE INDEX yarn_app_listing_cluster ON yarn_app_listing(cluster_id, listed_at);
        """
}
