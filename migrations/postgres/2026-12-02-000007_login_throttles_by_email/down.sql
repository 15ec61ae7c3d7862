CREATE TABLE login_throttles_by_user (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    failures BIGINT NOT NULL DEFAULT 0,
    window_started_at BIGINT NOT NULL,
    locked_until BIGINT,
    lockouts BIGINT NOT NULL DEFAULT 0
);
INSERT INTO login_throttles_by_user (user_id, failures, window_started_at, locked_until, lockouts)
    SELECT users.id, t.failures, t.window_started_at, t.locked_until, t.lockouts
    FROM login_throttles t JOIN users ON users.email = t.email;
DROP TABLE login_throttles;
ALTER TABLE login_throttles_by_user RENAME TO login_throttles;
