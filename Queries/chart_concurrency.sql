-- title: Sessions open at once
-- description: Per cluster, the most sessions open at the same time in each hour that had any.
-- chart: line
-- order: 12
with recursive
-- Unix seconds, as in contention.sql (which explains the running sum).
spans as materialized (
    select c.rowid as cl, unixepoch(s.created_at) as opened, unixepoch(s.created_at) + s.duration_s as closed
    from session s join cluster c on c.cluster_id = s.cluster_id
    where s.created_at >= :from and s.created_at < :to
),
hours(hour, last) as (
    select min(opened) / 3600 * 3600, max(closed) from spans
    union all
    select hour + 3600, last from hours where hour + 3600 < last
),
clusters as (select distinct cl from spans),
events(cl, at, d) as (
    select cl, opened, 1 from spans where closed > opened
    union all
    select cl, closed, -1 from spans where closed > opened
    union all
    select cl, opened, 0 from spans where closed <= opened
    union all
    select c.cl, h.hour, 0 from hours h cross join clusters c
),
running as (
    select cl, at, d,
           sum(d) over (partition by cl order by at, d rows between unbounded preceding and current row) as n
    from events
),
peaks as (
    select cl, at / 3600 * 3600 as hour, max(n) as n
    from running where d >= 0
    group by 1, 2
)
select c.cluster_id as series, strftime('%m-%dT%H', p.hour, 'unixepoch') as x, p.n as y
from peaks p join cluster c on c.rowid = p.cl
order by p.hour, c.cluster_id
