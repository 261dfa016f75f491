-- title: Findings
-- description: What an auditor should look at, most severe first, each with its evidence (a log line or a CloudTrail event).
-- csv: findings.csv
-- order: 10
select severity, code, subject, detail, evidence
from finding
order by case severity when 'high' then 0 when 'medium' then 1 when 'low' then 2 else 3 end, code, subject, detail
