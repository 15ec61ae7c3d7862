DROP INDEX audit_events_target_label;
DROP INDEX audit_events_actor_label;
