// Frozen: this migration has shipped. A change is a new migration (Migrations.swift).

extension Schema {
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
}
