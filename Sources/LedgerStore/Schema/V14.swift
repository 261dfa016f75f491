// Frozen: this migration has shipped. A change is a new migration (Migrations.swift).

extension Schema {
    static let v14 = """
        -- Per run of a YARN application's containers in a ResourceManager log (until it holds
        -- none again, or the file ends): the scheduler's container audit lines (`AM Allocated
        -- Container`, `AM Released Container`) summed. Counts start at 0 (a rotated log can begin
        -- with containers held); `peak_*` is the most held at once in the run, `net_*` what it
        -- ended with. vCores and memory are NULL where a line had no
        -- RESOURCE (Hadoop 2). `line` is the run's first line.
        CREATE TABLE yarn_app_containers (
            file_id         INTEGER NOT NULL REFERENCES input_file(id) ON DELETE CASCADE,
            line            INTEGER NOT NULL,
            cluster_id      TEXT,
            app_id          TEXT    NOT NULL,
            first_at        TEXT    NOT NULL,
            last_at         TEXT    NOT NULL,
            allocated       INTEGER NOT NULL,
            released        INTEGER NOT NULL,
            peak_containers INTEGER NOT NULL,
            net_containers  INTEGER NOT NULL,
            peak_vcores     INTEGER,
            net_vcores      INTEGER,
            peak_memory_mb  INTEGER,
            net_memory_mb   INTEGER,
            PRIMARY KEY (file_id, line)
        ) STRICT;
        CREATE INDEX yarn_app_containers_cluster ON yarn_app_containers(cluster_id, app_id, first_at);

        -- Derived: the most containers and vCores the session's YARN app held at once, where the
        -- ResourceManager's container audit lines say (NULL where they do not).
        ALTER TABLE session ADD COLUMN peak_containers INTEGER;
        ALTER TABLE session ADD COLUMN peak_vcores INTEGER;
        """
}
