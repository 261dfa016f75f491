-- title: Cost by user
-- description: What sessions cost per user and cost centre, and how much of it was idle tail or background.
-- csv: cost_by_user.csv
-- order: 4
select coalesce(user_name, proxy_user, owner, '(no user)') as user_name,
       cost_center,
       count(*) as sessions,
       coalesce(sum(cost_usd), 0.0) as cost_usd,
       coalesce(sum(idle_cost_usd), 0.0) as idle_cost_usd,
       coalesce(sum(background_cost_usd), 0.0) as background_cost_usd,
       case when sum(cost_usd) > 0 then sum(idle_cost_usd) / sum(cost_usd) end as idle_share
from session
where created_at >= :from and created_at < :to
group by 1, 2
order by cost_usd desc, user_name
