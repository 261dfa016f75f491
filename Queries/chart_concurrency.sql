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
points(cluster_id, hour, at) as (
    select c.cluster_id, h.hour, h.hour from hours h cross join (select distinct cluster_id from spans) c
    union
    select cluster_id, strftime('%Y-%m-%dT%H:00:00Z', opened), opened from spans
)
select p.cluster_id as series, substr(p.hour, 6, 8) as x,
       max((select count(*) from spans s where s.cluster_id = p.cluster_id and s.opened <= p.at and p.at < s.closed)) as y
from points p
group by p.cluster_id, p.hour
order by p.hour, p.cluster_id
