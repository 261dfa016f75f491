// Frozen: this migration has shipped. A change is a new migration (Migrations.swift).

extension Schema {
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
}
