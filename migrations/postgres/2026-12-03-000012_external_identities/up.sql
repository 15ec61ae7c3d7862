-- Accounts at external OpenID Connect providers linked to Gatehouse accounts (see
-- accounts/external_sign_in.rs). `provider` is the operator's short name for the provider,
-- `subject` the provider's own id for the person (its `sub` claim: emails change, it does
-- not). One provider account opens one Gatehouse account, and an account links a provider once.
CREATE TABLE external_identities (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider TEXT NOT NULL,
    subject TEXT NOT NULL,
    email TEXT,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE UNIQUE INDEX external_identities_subject ON external_identities (provider, subject);
CREATE UNIQUE INDEX external_identities_user ON external_identities (user_id, provider);
