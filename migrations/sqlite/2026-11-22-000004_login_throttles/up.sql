-- Failed password logins per account: 5 within 15 minutes lock it (see accounts/login.rs).
CREATE TABLE login_throttles (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    failures INTEGER NOT NULL DEFAULT 0,
    window_started_at INTEGER NOT NULL,
    locked_until INTEGER,
    lockouts INTEGER NOT NULL DEFAULT 0
);
