-- title: Summary
-- description: The totals the report opens with (one row; not written as a CSV).
-- order: 1
select count(*) as sessions,
       coalesce(sum(cost_usd), 0.0) as cost_usd,
       coalesce(sum(idle_cost_usd), 0.0) as idle_cost_usd,
       coalesce(sum(background_cost_usd), 0.0) as background_cost_usd,
       sum(abandoned) as abandoned_sessions,
       coalesce(sum(case when abandoned = 1 then idle_cost_usd end), 0.0) as abandoned_idle_cost_usd,
       sum(mode_policy = 'interactive' and background_s > 900) as unexpected_background_sessions,
       sum(identity_status in ('missing', 'unresolved')) as sessions_without_identity,
       sum(end_reason = 'still_running') as running_sessions,
       (select count(*) from finding where severity = 'high') as high_findings,
       sum(session_type = 'interactive' and activity_source = 'none' and end_reason <> 'start_failed') as idle_upper_bound_sessions,
       min(created_at) as first_session,
       max(created_at) as last_session
from session
where created_at >= :from and created_at < :to
