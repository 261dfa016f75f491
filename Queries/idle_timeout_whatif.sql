-- title: Idle-timeout what-if
-- description: For each candidate Livy idle timeout, how many sessions would have ended sooner, and the idle hours and money that would have saved (SPEC §4: saving = Σ cost_usd / duration_s × max(0, idle_tail_s − T)).
-- csv: idle_timeout_whatif.csv
-- plot: line x=timeout_minutes y=cost_saved_usd
-- order: 6
with candidate(timeout_minutes) as (
    values (15), (30), (60), (120), (240), (480)
)
select
    c.timeout_minutes,
    count(s.session_key) as sessions_affected,
    coalesce(sum(s.idle_tail_s - c.timeout_minutes * 60), 0) / 3600.0 as idle_hours_saved,
    coalesce(sum(s.cost_usd * (s.idle_tail_s - c.timeout_minutes * 60) / s.duration_s), 0.0) as cost_saved_usd
from candidate c
left join session s
    on s.session_type = 'interactive'
   and s.idle_tail_s > c.timeout_minutes * 60
   and s.duration_s > 0
   and s.created_at >= :from and s.created_at < :to
group by c.timeout_minutes
order by c.timeout_minutes
