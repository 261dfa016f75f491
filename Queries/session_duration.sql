-- title: Session duration
-- description: How long sessions ran, per cluster and user; percentiles by the nearest-rank method (the p-th percentile is the smallest duration with at least p % of the sessions at or below it).
-- csv: session_duration.csv
-- order: 13
with d as (
    select cluster_id,
           coalesce(user_name, proxy_user, owner, '(no user)') as user_name,
           duration_s,
           row_number() over (partition by cluster_id, coalesce(user_name, proxy_user, owner, '(no user)') order by duration_s) as rank,
           count(*) over (partition by cluster_id, coalesce(user_name, proxy_user, owner, '(no user)')) as n
    from session
    where created_at >= :from and created_at < :to
)
select cluster_id,
       user_name,
       max(n) as sessions,
       sum(duration_s) / 3600.0 as total_hours,
       max(case when rank = (n * 50 + 99) / 100 then duration_s end) / 60.0 as p50_minutes,
       max(case when rank = (n * 90 + 99) / 100 then duration_s end) / 60.0 as p90_minutes,
       max(duration_s) / 60.0 as max_minutes
from d
group by cluster_id, user_name
order by cluster_id, user_name
