// Frozen: this migration has shipped. A change is a new migration (Migrations.swift).

extension Schema {
    static let v16 = """
        -- One row per SageMaker job state AWS wrote: an EventBridge `… Job State Change` event
        -- (`source` 'eventbridge', `observed_at` its time) or a saved describe-*-job answer
        -- ('describe', `observed_at` NULL: the answer does not say when it was saved).
        CREATE TABLE sagemaker_job_state (
            file_id          INTEGER NOT NULL REFERENCES input_file(id) ON DELETE CASCADE,
            line             INTEGER NOT NULL,
            source           TEXT    NOT NULL CHECK (source = 'eventbridge' OR source = 'describe'),
            account_id       TEXT,
            job_type         TEXT    NOT NULL CHECK (job_type = 'training' OR job_type = 'processing'),
            job_name         TEXT    NOT NULL,
            status           TEXT    NOT NULL,
            secondary_status TEXT,
            failure_reason   TEXT,
            created_at       TEXT,
            ended_at         TEXT,
            observed_at      TEXT,
            max_runtime_s    INTEGER,
            PRIMARY KEY (file_id, line)
        ) STRICT;
        CREATE INDEX sagemaker_job_state_job ON sagemaker_job_state(job_type, job_name);

        -- Derived: how each job ended, and on what evidence (a state change, a describe answer, or
        -- only a Stop call).
        ALTER TABLE sagemaker_job ADD COLUMN end_status TEXT;
        ALTER TABLE sagemaker_job ADD COLUMN failure_reason TEXT;
        ALTER TABLE sagemaker_job ADD COLUMN end_evidence TEXT;
        """
}
