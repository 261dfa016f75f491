-- title: SageMaker pipelines
-- description: SageMaker Pipelines executions: who started each, how many jobs its steps ran, how it ended and on what evidence (identity_status unknown: no StartPipelineExecution call in the data).
-- csv: sagemaker_pipelines.csv
-- order: 11
select execution_arn, pipeline_name, account_id, started_at, ended_at, status, failure_reason, user_id, user_name,
       identity_status, jobs, event_id, end_evidence
from sagemaker_pipeline_execution
where coalesce(started_at, ended_at) >= :from and coalesce(started_at, ended_at) < :to
order by coalesce(started_at, ended_at), execution_arn
