-- title: Cost by cluster
-- description: What sessions cost per cluster, and how much of it was idle tail or background.
-- csv: cost_by_cluster.csv
-- order: 5
select cluster_id,
       count(*) as sessions,
       coalesce(sum(cost_usd), 0.0) as cost_usd,
       coalesce(sum(idle_cost_usd), 0.0) as idle_cost_usd,
       coalesce(sum(background_cost_usd), 0.0) as background_cost_usd,
       case when sum(cost_usd) > 0 then sum(idle_cost_usd) / sum(cost_usd) end as idle_share,
       max(account_id) as account_id
from session
where created_at >= :from and created_at < :to
group by cluster_id
order by cost_usd desc, cluster_id
