-- Two-step login (see accounts/two_factor.rs). `users.two_factor_since` says whether it is on
-- (and is loaded with every session, so no page needs another query to know); the secret
-- lives apart, sealed with a key derived from the secret key; recovery codes are stored as
-- their SHA-256 only.
ALTER TABLE users ADD COLUMN two_factor_since BIGINT;
CREATE INDEX users_two_factor ON users (two_factor_since) WHERE two_factor_since IS NOT NULL;

CREATE TABLE totp_secrets (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    sealed_secret TEXT NOT NULL,
    -- NULL while set-up waits for its first code.
    confirmed_at BIGINT,
    created_at BIGINT NOT NULL,
    -- The last 30-second step a code was accepted for: a code is accepted once.
    last_used_step BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE recovery_codes (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);
