// Frozen: this migration has shipped. A change is a new migration (Migrations.swift).

extension Schema {
    static let v13 = """
        -- Derived: per cluster and hour in which sessions were open, the most users with a
        -- session open at once, and the user whose sessions held the most vCore-seconds in it
        -- (a session holds its YARN app's average vCores, else what it requested).
        CREATE TABLE cluster_hour (
            cluster_id             TEXT    NOT NULL,
            hour                   TEXT    NOT NULL,
            max_concurrent_users   INTEGER NOT NULL,
            top_user               TEXT,
            top_user_vcore_seconds REAL,
            PRIMARY KEY (cluster_id, hour)
        ) STRICT;
        -- Derived: how many other users' starts failed or took over 60 s while this uncapped
        -- session held the cluster (start_starved findings that name it).
        ALTER TABLE session ADD COLUMN starts_held_back INTEGER;
        """
}
