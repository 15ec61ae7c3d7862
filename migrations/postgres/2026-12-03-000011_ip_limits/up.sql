-- The per-IP limit, shared by every instance on the database (it was kept in each
-- instance's memory). One row per client address (an IPv6 client per network): the time,
-- in Unix milliseconds, at which its allowance is full again (the "theoretical arrival
-- time" of the generic cell rate algorithm). A row whose time has passed says nothing more
-- than no row, and is purged with the expired sessions.
CREATE TABLE ip_limits (
    network TEXT PRIMARY KEY NOT NULL,
    full_at_ms BIGINT NOT NULL
);
