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
-- How many sessions are open at time t: those opened at or before t and not closed by t, i.e. a
-- running sum of +1 at each opening and -1 at each closing, read at every opening and every
-- hour start (the count only rises at openings, so its peak in an hour is at one of those).
-- One pass with a window function: a year of sessions is 500,000 rows. Hours are cut from the
-- ISO text (substr), not strftime, which costs a microsecond a row.
events(cluster_id, at, d) as (
    select cluster_id, opened, 1 from spans where closed > opened
    union all
    select cluster_id, closed, -1 from spans where closed > opened
    union all
    select cluster_id, opened, 0 from spans where closed <= opened
    union all
    select cluster_id, hour, 0 from hours
),
running as (
    select cluster_id, at, d,
           sum(d) over (partition by cluster_id order by at range between unbounded preceding and current row) as n
    from events
),
peaks as (
    select cluster_id, substr(at, 1, 13) || ':00:00Z' as hour, max(n) as n
    from running where d >= 0
    group by 1, 2
),
starts as (
    select cluster_id, substr(opened, 1, 13) || ':00:00Z' as hour, count(*) as started,
           sum(end_reason = 'start_failed') as failed
    from spans
    group by 1, 2
)
select h.cluster_id,
       h.hour,
       coalesce(p.n, 0) as max_concurrent_sessions,
       coalesce(st.started, 0) as sessions_started,
       coalesce(st.failed, 0) as sessions_start_failed
from hours h
left join peaks p on p.cluster_id = h.cluster_id and p.hour = h.hour
left join starts st on st.cluster_id = h.cluster_id and st.hour = h.hour
where max_concurrent_sessions > 0 or sessions_started > 0
order by h.cluster_id, h.hour
