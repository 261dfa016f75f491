-- title: Sessions
-- description: Every Livy session created in the window, one row each, with what it cost and how it ended (SPEC §4).
-- csv: sessions.csv
-- order: 15
select session_key, cluster_id, livy_session_id, kind, owner, proxy_user, user_id, user_name, cost_center,
       app_id, queue, created_at, ready_at, ended_at, end_reason, last_activity_at, statements, duration_s,
       idle_tail_s, interactive_s, background_s, mode_observed, mode_policy, vcore_seconds, memory_mb_seconds,
       cost_basis, cost_usd, idle_cost_usd, background_cost_usd, abandoned, identity_status, executor_cap,
       executor_cap_source, peak_containers, peak_vcores, account_id, user_account_id
from session
where created_at >= :from and created_at < :to
order by created_at, session_key
