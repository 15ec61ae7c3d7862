-- Failed password logins per account: 5 within 15 minutes lock it (see accounts/login.rs).
CREATE TABLE login_throttles (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    failures BIGINT NOT NULL DEFAULT 0,
    window_started_at BIGINT NOT NULL,
    locked_until BIGINT,
    lockouts BIGINT NOT NULL DEFAULT 0
);
