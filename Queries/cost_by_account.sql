-- title: Cost by account
-- description: What sessions cost per AWS account (the account of the cluster they ran on), and how much of it was idle tail or background; sessions whose user came from another account (a cross-account role) are counted apart.
-- csv: cost_by_account.csv
-- order: 5
select coalesce(account_id, '(unknown)') as account_id,
       count(*) as sessions,
       coalesce(sum(cost_usd), 0.0) as cost_usd,
       coalesce(sum(idle_cost_usd), 0.0) as idle_cost_usd,
       coalesce(sum(background_cost_usd), 0.0) as background_cost_usd,
       case when sum(cost_usd) > 0 then sum(idle_cost_usd) / sum(cost_usd) end as idle_share,
       count(user_account_id) as cross_account_sessions,
       coalesce(sum(cost_usd) filter (where user_account_id is not null), 0.0) as cross_account_cost_usd
from session
where created_at >= :from and created_at < :to
group by 1
order by cost_usd desc, account_id
