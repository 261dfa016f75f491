-- title: Background vs interactive
-- description: Per user, how much session time ran while they were signed in and how much after (background), and what the background part cost.
-- csv: usage_mode.csv
-- plot: bar x=user_name y=interactive_hours,background_hours
-- order: 7
select coalesce(user_name, proxy_user, owner, '(no user)') as user_name,
       cost_center,
       count(*) as sessions,
       coalesce(sum(interactive_s), 0) / 3600.0 as interactive_hours,
       coalesce(sum(background_s), 0) / 3600.0 as background_hours,
       case when sum(interactive_s) + sum(background_s) > 0
            then 1.0 * sum(background_s) / (sum(interactive_s) + sum(background_s)) end as background_share,
       coalesce(sum(background_cost_usd), 0.0) as background_cost_usd,
       coalesce(sum(mode_policy = 'interactive' and background_s > 900), 0) as unexpected_background_sessions
from session
where created_at >= :from and created_at < :to
group by 1, 2
order by background_hours desc, user_name
