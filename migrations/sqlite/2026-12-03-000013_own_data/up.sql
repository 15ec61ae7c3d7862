-- An account's owner asked for it to be deleted, where an admin approves deletions
-- (GATEHOUSE_ACCOUNT_DELETION=approval; see accounts/own_data.rs).
CREATE TABLE deletion_requests (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    requested_at INTEGER NOT NULL
);

-- Pending invitations (see accounts/invitations.rs): one per email, the link's token stored
-- only as its SHA-256, valid until `expires_at`; deleted when accepted or revoked.
CREATE TABLE invitations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    invited_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX invitations_expiry ON invitations (expires_at);
