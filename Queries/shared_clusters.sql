-- title: Shared clusters
-- description: What a platform owner can do where users share a cluster: whose sessions to cap (uncapped sessions beside other users', and the starts they starved), which YARN apps to kill (apps still running after their session), and the workers the busiest moment needs at 5 executors a user (users × 5 + 1).
-- csv: shared_clusters.csv
-- order: 12
with
uncapped as materialized (
    select s.cluster_id, coalesce(s.user_name, s.proxy_user, s.owner, '(no user)') as who, s.session_key, f.evidence,
           coalesce(s.starts_held_back, 0) as held_back,
           row_number() over (partition by s.cluster_id, coalesce(s.user_name, s.proxy_user, s.owner, '(no user)')
                              order by s.session_key) as r
    from finding f join session s on s.session_key = f.subject
    where f.code = 'uncapped_session_on_shared_cluster' and s.created_at >= :from and s.created_at < :to
),
caps as (
    select cluster_id, who, count(*) as sessions, min(session_key) as first_key, sum(held_back) as held_back,
           max(case when r = 1 then evidence end) as evidence
    from uncapped
    group by 1, 2
),
-- The busiest hour of each cluster: the most users with a session open at once (cluster_hour,
-- which the derive fills), and the first hour it happened.
most as (
    select cluster_id, max(max_concurrent_users) as users
    from cluster_hour where hour >= :from and hour < :to
    group by 1
),
peaks as (
    select m.cluster_id, m.users, min(ch.hour) as hour
    from most m join cluster_hour ch on ch.cluster_id = m.cluster_id and ch.max_concurrent_users = m.users
    where ch.hour >= :from and ch.hour < :to
    group by 1, 2
)
select 'cap' as action, c.cluster_id, c.who as subject,
       c.sessions || ' session(s) with no executor cap while other users'' sessions ran (' || c.first_key
           || case when c.sessions > 1 then ', …' else '' end || '); '
           || c.held_back || ' start(s) of others failed or took over 60 s behind them. Cap them: '
           || '%%configure -f {"conf":{"spark.dynamicAllocation.maxExecutors":"5"}}, or the cluster''s '
           || 'spark.dynamicAllocation.maxExecutors' as detail,
       c.evidence
from caps c
union all
select 'kill', s.cluster_id, f.subject, f.detail, f.evidence
from finding f join session s on s.app_id = f.subject
where f.code = 'orphaned_yarn_app' and s.created_at >= :from and s.created_at < :to
union all
select 'size', p.cluster_id, p.users || ' users at once',
       'at most ' || p.users || ' users had sessions open at once (first in the hour from ' || p.hour
           || '): at a cap of 5 executors each, '
           || (p.users * 5 + 1) || ' workers (users × 5 + 1)',
       ''
from peaks p
where p.users > 1
order by 1, 2, 3
