-- title: SageMaker jobs
-- description: Training and processing jobs, the user they ran for, the limit the user's session put on them, and how each ended, on what evidence; a pipeline step's job is the user's who started the pipeline.
-- csv: sagemaker_jobs.csv
-- order: 11
select job_name, job_type, account_id, created_at, ended_at, user_id, user_name, identity_status,
       max_runtime_s, session_limit_s, effective_limit_s, end_status, failure_reason, end_evidence,
       pipeline_execution_arn, pipeline_step, user_evidence
from sagemaker_job
where created_at >= :from and created_at < :to
order by created_at, job_name
