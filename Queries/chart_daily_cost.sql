-- title: Daily cost
-- description: What the sessions created each day cost, and the part of it that was idle tail or background (USD).
-- chart: line
-- order: 3
-- One pass over the sessions (a year is 500,000 rows), then a row per series and day.
with days as materialized (
    select substr(created_at, 1, 10) as x, coalesce(sum(cost_usd), 0.0) as total,
           coalesce(sum(idle_cost_usd), 0.0) as idle, coalesce(sum(background_cost_usd), 0.0) as background
    from session where created_at >= :from and created_at < :to group by 1
)
select 'total' as series, x, total as y from days
union all
select 'idle', x, idle from days
union all
select 'background', x, background from days
order by 2, 1
