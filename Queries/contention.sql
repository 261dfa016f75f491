-- title: Contention
-- description: Per cluster and hour, the most sessions open at once, how many started, and how many failed to start (a sign of a cluster short of YARN capacity); who held the most of it, the most users at once, and the workers those users need at 5 executors each (users × 5 + 1, the shared-endpoint sizing rule).
-- csv: contention.csv
-- order: 12
with recursive
-- Times as Unix seconds: integers sort and compare several times faster than ISO text, and a
-- year of sessions is 1.2 million events to sort. A session closes at created_at + duration_s,
-- which is its end (or, while it runs, the cluster's as-of time) as derive computed it.
spans as materialized (
    select c.rowid as cl, unixepoch(s.created_at) as opened, unixepoch(s.created_at) + s.duration_s as closed, s.end_reason
    from session s join cluster c on c.cluster_id = s.cluster_id
    where s.created_at >= :from and s.created_at < :to
),
hours(cl, hour, last) as (
    select cl, min(opened) / 3600 * 3600, max(closed) from spans group by cl
    union all
    select cl, hour + 3600, last from hours where hour + 3600 < last
),
-- How many sessions are open at time t: those opened at or before t and not closed by t, i.e. a
-- running sum of +1 at each opening and -1 at each closing, read at every opening and every
-- hour start (the count only rises at openings, so its peak in an hour is at one of those).
-- One pass with a window function. At equal times closings (-1) sort before hour starts (0)
-- and openings (+1), so the last row of an instant holds the count after all its events.
events(cl, at, d) as (
    select cl, opened, 1 from spans where closed > opened
    union all
    select cl, closed, -1 from spans where closed > opened
    union all
    select cl, opened, 0 from spans where closed <= opened
    union all
    select cl, hour, 0 from hours
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
),
starts as (
    select cl, opened / 3600 * 3600 as hour, count(*) as started,
           sum(end_reason = 'start_failed') as failed
    from spans
    group by 1, 2
),
-- Users at once and the top holder come from cluster_hour, which the derive fills in one sweep
-- over every session open in the hour (whenever it was created): the same in SQL is seconds
-- over a year.
hourly as (
    select c.cluster_id,
           strftime('%Y-%m-%dT%H:00:00Z', h.hour, 'unixepoch') as hour,
           coalesce(p.n, 0) as max_concurrent_sessions,
           coalesce(st.started, 0) as sessions_started,
           coalesce(st.failed, 0) as sessions_start_failed
    from hours h
    join cluster c on c.rowid = h.cl
    left join peaks p on p.cl = h.cl and p.hour = h.hour
    left join starts st on st.cl = h.cl and st.hour = h.hour
    where max_concurrent_sessions > 0 or sessions_started > 0
)
select r.cluster_id, r.hour, r.max_concurrent_sessions, r.sessions_started, r.sessions_start_failed,
       ch.top_user,
       ch.top_user_vcore_seconds / 3600.0 as top_user_vcore_hours,
       coalesce(ch.max_concurrent_users, 0) as max_concurrent_users,
       case when ch.max_concurrent_users > 0 then ch.max_concurrent_users * 5 + 1 else 0 end as workers_needed_at_cap_5
from hourly r
left join cluster_hour ch on ch.cluster_id = r.cluster_id and ch.hour = r.hour
order by r.cluster_id, r.hour
