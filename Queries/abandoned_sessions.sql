-- title: Abandoned sessions
-- description: Sessions whose idle tail (time from the last activity to the end, or to now) reached the abandon threshold, longest first.
-- csv: abandoned_sessions.csv
-- order: 3
select session_key, cluster_id, coalesce(user_name, proxy_user, owner, '(no user)') as user_name,
       created_at, last_activity_at, ended_at, end_reason, idle_tail_s, idle_cost_usd
from session
where abandoned = 1 and created_at >= :from and created_at < :to
order by idle_tail_s desc, session_key
