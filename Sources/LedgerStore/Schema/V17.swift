// Frozen: this migration has shipped. A change is a new migration (Migrations.swift).

extension Schema {
    static let v17 = """
        -- One row per SageMaker Pipelines state AWS wrote: an EventBridge `SageMaker Model Building
        -- Pipeline Execution Status Change` (`step_name` NULL) or `… Execution Step Status Change`
        -- (the step, its status, and the job it ran: `job_type`, `job_name`).
        CREATE TABLE sagemaker_pipeline_state (
            file_id        INTEGER NOT NULL REFERENCES input_file(id) ON DELETE CASCADE,
            line           INTEGER NOT NULL,
            account_id     TEXT,
            execution_arn  TEXT    NOT NULL,
            pipeline_arn   TEXT,
            step_name      TEXT,
            step_type      TEXT,
            status         TEXT    NOT NULL,
            failure_reason TEXT,
            started_at     TEXT,
            ended_at       TEXT,
            observed_at    TEXT,
            job_type       TEXT CHECK (job_type IS NULL OR job_type = 'training' OR job_type = 'processing'),
            job_name       TEXT,
            PRIMARY KEY (file_id, line)
        ) STRICT;
        CREATE INDEX sagemaker_pipeline_state_execution ON sagemaker_pipeline_state(execution_arn);

        -- Derived: SageMaker Pipelines executions (`StartPipelineExecution`, and what EventBridge
        -- wrote of them): who started each, how it ended, and on what evidence.
        CREATE TABLE sagemaker_pipeline_execution (
            execution_arn   TEXT    NOT NULL PRIMARY KEY,
            pipeline_name   TEXT    NOT NULL,
            account_id      TEXT,
            started_at      TEXT,
            ended_at        TEXT,
            status          TEXT,
            failure_reason  TEXT,
            user_id         TEXT,
            user_name       TEXT,
            identity_status TEXT    NOT NULL,
            jobs            INTEGER NOT NULL,
            event_id        TEXT,
            end_evidence    TEXT
        ) STRICT;

        -- Derived: the pipeline execution a job ran in, its step, and how that link is known.
        ALTER TABLE sagemaker_job ADD COLUMN pipeline_execution_arn TEXT;
        ALTER TABLE sagemaker_job ADD COLUMN pipeline_step TEXT;
        ALTER TABLE sagemaker_job ADD COLUMN user_evidence TEXT;
        """
}
