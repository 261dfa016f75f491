-- title: Contention
-- description: Per cluster and hour, the most sessions open at once, how many started, and how many failed to start (a sign of a cluster short of YARN capacity).
-- csv: contention.csv
-- order: 12
with recursive
spans as (
    select s.cluster_id, s.created_at as opened,
           coalesce(s.ended_at, substr(c.as_of, 1, 19) || 'Z') as closed, s.end_reason
    from session s join cluster c on c.cluster_id = s.cluster_id
    where s.created_at >= :from and s.created_at < :to
),
hours(cluster_id, hour, last) as (
    select cluster_id, strftime('%Y-%m-%dT%H:00:00Z', min(opened)), max(closed) from spans group by cluster_id
    union all
    select cluster_id, strftime('%Y-%m-%dT%H:00:00Z', hour, '+1 hour'), last from hours
    where strftime('%Y-%m-%dT%H:00:00Z', hour, '+1 hour') < last
),
points(cluster_id, hour, at) as (
    select cluster_id, hour, hour from hours
    union
    select cluster_id, strftime('%Y-%m-%dT%H:00:00Z', opened), opened from spans
),
open_at as (
    select p.cluster_id, p.hour, p.at,
           (select count(*) from spans s where s.cluster_id = p.cluster_id and s.opened <= p.at and p.at < s.closed) as n
    from points p
)
select h.cluster_id,
       h.hour,
       coalesce((select max(n) from open_at o where o.cluster_id = h.cluster_id and o.hour = h.hour), 0) as max_concurrent_sessions,
       (select count(*) from spans s where s.cluster_id = h.cluster_id and strftime('%Y-%m-%dT%H:00:00Z', s.opened) = h.hour) as sessions_started,
       (select count(*) from spans s where s.cluster_id = h.cluster_id and strftime('%Y-%m-%dT%H:00:00Z', s.opened) = h.hour
                                      and s.end_reason = 'start_failed') as sessions_start_failed
from hours h
where max_concurrent_sessions > 0 or sessions_started > 0
order by h.cluster_id, h.hour
