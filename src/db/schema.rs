//! Diesel table definitions shared by both backends (kept by hand: see `diesel.toml`).
//! Times are Unix seconds in `BigInt` columns on SQLite and PostgreSQL alike.

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        name -> Text,
        password_hash -> Text,
        role -> Text,
        active -> Bool,
        email_verified_at -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
        last_login_at -> Nullable<BigInt>,
        /// When two-step login was turned on; `NULL` while it is off.
        two_factor_since -> Nullable<BigInt>,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        key_hash -> Text,
        public_id -> Text,
        user_id -> Nullable<BigInt>,
        state -> Text,
        remember -> Bool,
        created_at -> BigInt,
        last_seen_at -> BigInt,
        expires_at -> BigInt,
        absolute_expires_at -> BigInt,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        created_at -> BigInt,
        actor_id -> Nullable<BigInt>,
        actor -> Nullable<Text>,
        action -> Text,
        target_id -> Nullable<BigInt>,
        target -> Nullable<Text>,
        ip -> Nullable<Text>,
        outcome -> Text,
        detail -> Nullable<Text>,
    }
}

diesel::table! {
    one_time_tokens (id) {
        id -> BigInt,
        purpose -> Text,
        token_hash -> Text,
        user_id -> Nullable<BigInt>,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(one_time_tokens -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(users, sessions, audit_events, one_time_tokens);

diesel::table! {
    /// Exact user counts per role and status, kept by triggers (see migration 3).
    user_counts (role, active) {
        role -> Text,
        active -> Bool,
        n -> BigInt,
    }
}

diesel::table! {
    /// PostgreSQL only: exact users per creation day, role and status (see migration 3).
    user_created_days (role, active, day) {
        role -> Text,
        active -> Bool,
        day -> BigInt,
        n -> BigInt,
    }
}

diesel::table! {
    /// Failed password logins per account and the lock they lead to.
    login_throttles (email) {
        email -> Text,
        failures -> BigInt,
        window_started_at -> BigInt,
        locked_until -> Nullable<BigInt>,
        lockouts -> BigInt,
    }
}

diesel::table! {
    /// Personal API tokens: the SHA-256 of each token, never the token itself.
    api_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        name -> Text,
        token_hash -> Text,
        created_at -> BigInt,
        expires_at -> Nullable<BigInt>,
        last_used_at -> Nullable<BigInt>,
    }
}

diesel::joinable!(api_tokens -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(api_tokens, users);

diesel::table! {
    /// Authenticator-app secrets, sealed (see `crypto::Sealer`); one per account.
    totp_secrets (user_id) {
        user_id -> BigInt,
        sealed_secret -> Text,
        confirmed_at -> Nullable<BigInt>,
        created_at -> BigInt,
        last_used_step -> BigInt,
    }
}

diesel::table! {
    /// Single-use recovery codes: the SHA-256 of each code, never the code itself.
    recovery_codes (id) {
        id -> BigInt,
        user_id -> BigInt,
        code_hash -> Text,
        created_at -> BigInt,
        used_at -> Nullable<BigInt>,
    }
}

diesel::joinable!(totp_secrets -> users (user_id));
diesel::joinable!(recovery_codes -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(totp_secrets, users);
diesel::allow_tables_to_appear_in_same_query!(recovery_codes, users);

diesel::table! {
    /// Passkeys (WebAuthn credentials): `passkey` is webauthn-rs's credential as JSON.
    passkeys (id) {
        id -> BigInt,
        user_id -> BigInt,
        credential_id -> Text,
        user_handle -> Text,
        name -> Text,
        passkey -> Text,
        sign_count -> BigInt,
        backup_eligible -> Bool,
        backup_state -> Bool,
        created_at -> BigInt,
        last_used_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    /// Passkey ceremonies between their two requests: taken once, within five minutes.
    passkey_ceremonies (id) {
        id -> Text,
        purpose -> Text,
        user_id -> Nullable<BigInt>,
        state -> Text,
        expires_at -> BigInt,
    }
}

diesel::joinable!(passkeys -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(passkeys, users);

diesel::table! {
    /// The per-IP limit: when each client address's allowance is full again (Unix ms).
    ip_limits (network) {
        network -> Text,
        full_at_ms -> BigInt,
    }
}

diesel::table! {
    /// Accounts at external OpenID Connect providers linked to Gatehouse accounts.
    external_identities (id) {
        id -> BigInt,
        user_id -> BigInt,
        provider -> Text,
        subject -> Text,
        email -> Nullable<Text>,
        created_at -> BigInt,
        last_used_at -> Nullable<BigInt>,
    }
}

diesel::joinable!(external_identities -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(external_identities, users);

diesel::table! {
    /// Deletions asked for by the account's owner, waiting for an admin.
    deletion_requests (user_id) {
        user_id -> BigInt,
        requested_at -> BigInt,
    }
}

diesel::table! {
    /// Pending invitations: one per email, the link's token as its SHA-256.
    invitations (id) {
        id -> BigInt,
        email -> Text,
        role -> Text,
        token_hash -> Text,
        invited_by -> Nullable<BigInt>,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::joinable!(deletion_requests -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(deletion_requests, users);
