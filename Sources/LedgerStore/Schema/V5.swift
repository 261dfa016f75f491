// Frozen: this migration has shipped. A change is a new migration (Migrations.swift).

extension Schema {
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
}
