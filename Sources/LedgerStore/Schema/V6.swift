// Frozen: this migration has shipped. A change is a new migration (Migrations.swift).

extension Schema {
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
}
