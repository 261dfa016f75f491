-- title: Sessions open at once
-- description: Per cluster, the most sessions open at the same time in each hour that had any.
-- chart: line
-- order: 12
with recursive
spans as (
    select s.cluster_id, s.created_at as opened, coalesce(s.ended_at, substr(c.as_of, 1, 19) || 'Z') as closed
    from session s join cluster c on c.cluster_id = s.cluster_id
    where s.created_at >= :from and s.created_at < :to
),
hours(hour, last) as (
    select strftime('%Y-%m-%dT%H:00:00Z', min(opened)), max(closed) from spans
    union all
    select strftime('%Y-%m-%dT%H:00:00Z', hour, '+1 hour'), last from hours where strftime('%Y-%m-%dT%H:00:00Z', hour, '+1 hour') < last
),
-- Sessions open at time t: a running sum of +1 at each opening and -1 at each closing, read
-- at every opening and every hour start, in one pass (see contention.sql).
clusters as (select distinct cluster_id from spans),
events(cluster_id, at, d) as (
    select cluster_id, opened, 1 from spans where closed > opened
    union all
    select cluster_id, closed, -1 from spans where closed > opened
    union all
    select cluster_id, opened, 0 from spans where closed <= opened
    union all
    select c.cluster_id, h.hour, 0 from hours h cross join clusters c
),
running as (
    select cluster_id, at, d,
           sum(d) over (partition by cluster_id order by at range between unbounded preceding and current row) as n
    from events
)
select cluster_id as series, substr(substr(at, 1, 13) || ':00:00Z', 6, 8) as x, max(n) as y
from running
where d >= 0
group by cluster_id, substr(at, 1, 13) || ':00:00Z'
order by substr(at, 1, 13) || ':00:00Z', cluster_id
