-- The audit page filters on the actor and target as recorded (they outlive deleted accounts).
CREATE INDEX audit_events_actor_label ON audit_events (actor, id);
CREATE INDEX audit_events_target_label ON audit_events (target, id);
