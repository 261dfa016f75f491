// Frozen: this migration has shipped. A change is a new migration (Migrations.swift).

extension Schema {
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
}
