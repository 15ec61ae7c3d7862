-- Failed logins are counted per typed email (trimmed, lower-cased), whether or not an
-- account has it, so that a lock tells nobody which emails exist. Current locks move over.
CREATE TABLE login_throttles_by_email (
    email TEXT PRIMARY KEY NOT NULL,
    failures BIGINT NOT NULL DEFAULT 0,
    window_started_at BIGINT NOT NULL,
    locked_until BIGINT,
    lockouts BIGINT NOT NULL DEFAULT 0
);
INSERT INTO login_throttles_by_email (email, failures, window_started_at, locked_until, lockouts)
    SELECT users.email, t.failures, t.window_started_at, t.locked_until, t.lockouts
    FROM login_throttles t JOIN users ON users.id = t.user_id;
DROP TABLE login_throttles;
ALTER TABLE login_throttles_by_email RENAME TO login_throttles;
