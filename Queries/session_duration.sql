-- title: Session duration
-- description: How long sessions ran, per cluster and user; percentiles by the nearest-rank method (the p-th percentile is the smallest duration with at least p % of the sessions at or below it).
-- csv: session_duration.csv
-- order: 13
-- nearest_rank() is session-ledger's own aggregate (see README.md here): one pass per group,
-- where row_number() and count(*) windows took seconds over a year of sessions.
select cluster_id,
       coalesce(user_name, proxy_user, owner, '(no user)') as user_name,
       count(*) as sessions,
       sum(duration_s) / 3600.0 as total_hours,
       nearest_rank(duration_s, 50) / 60.0 as p50_minutes,
       nearest_rank(duration_s, 90) / 60.0 as p90_minutes,
       max(duration_s) / 60.0 as max_minutes
from session
where created_at >= :from and created_at < :to
group by 1, 2
order by 1, 2
