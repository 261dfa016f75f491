// Frozen: this migration has shipped. A change is a new migration (Migrations.swift).

extension Schema {
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
