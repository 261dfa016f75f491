-- title: Daily cost
-- description: What the sessions created each day cost, and the part of it that was idle tail or background (USD).
-- chart: line
-- order: 3
select 'total' as series, substr(created_at, 1, 10) as x, coalesce(sum(cost_usd), 0.0) as y
from session where created_at >= :from and created_at < :to group by 2
union all
select 'idle', substr(created_at, 1, 10), coalesce(sum(idle_cost_usd), 0.0)
from session where created_at >= :from and created_at < :to group by 2
union all
select 'background', substr(created_at, 1, 10), coalesce(sum(background_cost_usd), 0.0)
from session where created_at >= :from and created_at < :to group by 2
order by 2, 1
