DROP TABLE one_time_tokens;
DROP TABLE audit_events;
DROP TABLE sessions;
DROP TABLE users;
