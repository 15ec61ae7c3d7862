-- Two-step login (see accounts/two_factor.rs). `users.two_factor_since` says whether it is on
-- (and is loaded with every session, so no page needs another query to know); the secret
-- lives apart, sealed with a key derived from the secret key; recovery codes are stored as
-- their SHA-256 only.
ALTER TABLE users ADD COLUMN two_factor_since INTEGER;
CREATE INDEX users_two_factor ON users (two_factor_since) WHERE two_factor_since IS NOT NULL;

CREATE TABLE totp_secrets (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    sealed_secret TEXT NOT NULL,
    -- NULL while set-up waits for its first code.
    confirmed_at INTEGER,
    created_at INTEGER NOT NULL,
    -- The last 30-second step a code was accepted for: a code is accepted once.
    last_used_step INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE recovery_codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    used_at INTEGER
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);
