-- title: Policy timeline
-- description: Every change of background-session policy: security configurations and Identity Center application settings, who made them and when.
-- csv: policy_changes.csv
-- order: 9
select substr(event_time, 1, 19) || 'Z' as event_time, account_id, actor, event_name, target, setting, old_value, new_value, event_id
from policy_change
where substr(event_time, 1, 19) || 'Z' >= :from and substr(event_time, 1, 19) || 'Z' < :to
order by event_time, event_id
