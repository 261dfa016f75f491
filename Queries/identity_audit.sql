-- title: Identity propagation audit
-- description: For every session, whether it ran as a real Identity Center user and whether that identity reached AWS (events on the user's behalf from the cluster's roles).
-- csv: identity_audit.csv
-- order: 8
select session_key, cluster_id, proxy_user, user_id, user_name, identity_status, onbehalfof_events, mode_policy, mode_observed,
       propagation_basis
from session
where created_at >= :from and created_at < :to
order by case identity_status when 'missing' then 0 when 'unresolved' then 1 when 'asserted' then 2 else 3 end, session_key
