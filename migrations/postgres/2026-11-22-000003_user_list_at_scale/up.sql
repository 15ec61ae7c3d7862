-- The admin user list at a million rows: an index per sort order, exact counts kept by
-- triggers (no count(*) over the table per page view), and a trigram search index.
CREATE INDEX users_created ON users (created_at, id);
CREATE INDEX users_name ON users (name, id);
CREATE INDEX users_role_id ON users (role, id);
CREATE INDEX users_active_id ON users (active, id);
CREATE INDEX users_last_login ON users (COALESCE(last_login_at, 0), id);
CREATE INDEX users_active_created ON users (active, created_at, id);
CREATE INDEX users_role_created ON users (role, created_at, id);

CREATE TABLE user_counts (
    role TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (role, active)
);
INSERT INTO user_counts (role, active, n) VALUES ('user', TRUE, 0), ('user', FALSE, 0), ('admin', TRUE, 0), ('admin', FALSE, 0);
UPDATE user_counts SET n = (SELECT count(*) FROM users u WHERE u.role = user_counts.role AND u.active = user_counts.active);

-- Exact users per creation day (and role, status): a deep page of the newest-first list
-- finds its day from these counts and walks the index only within that day.
CREATE TABLE user_created_days (
    role TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    day BIGINT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (role, active, day)
);
INSERT INTO user_created_days (role, active, day, n)
    SELECT role, active, created_at / 86400, count(*) FROM users GROUP BY 1, 2, 3;

-- Statement-level triggers with transition tables: one grouped update per statement, so a
-- bulk insert does not rewrite the same counter row once per user (quadratic under MVCC).
CREATE FUNCTION users_count_add(rows_role TEXT, rows_active BOOLEAN, delta BIGINT) RETURNS void
LANGUAGE sql AS $$
    UPDATE user_counts SET n = n + delta WHERE role = rows_role AND active = rows_active;
$$;
CREATE FUNCTION users_days_add(rows_role TEXT, rows_active BOOLEAN, rows_day BIGINT, delta BIGINT) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO user_created_days (role, active, day, n) VALUES (rows_role, rows_active, rows_day, delta)
    ON CONFLICT (role, active, day) DO UPDATE SET n = user_created_days.n + EXCLUDED.n;
$$;
CREATE FUNCTION users_count_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM users_count_add(role, active, count(*)) FROM new_rows GROUP BY role, active;
    PERFORM users_days_add(role, active, created_at / 86400, count(*)) FROM new_rows GROUP BY role, active, created_at / 86400;
    RETURN NULL;
END;
$$;
CREATE FUNCTION users_count_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM users_count_add(role, active, -count(*)) FROM old_rows GROUP BY role, active;
    PERFORM users_days_add(role, active, created_at / 86400, -count(*)) FROM old_rows GROUP BY role, active, created_at / 86400;
    RETURN NULL;
END;
$$;
CREATE FUNCTION users_count_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM users_count_add(role, active, sum(delta)::BIGINT)
    FROM (SELECT role, active, 1 AS delta FROM new_rows UNION ALL SELECT role, active, -1 FROM old_rows) AS changes
    GROUP BY role, active HAVING sum(delta) <> 0;
    PERFORM users_days_add(role, active, day, sum(delta)::BIGINT)
    FROM (SELECT role, active, created_at / 86400 AS day, 1 AS delta FROM new_rows
          UNION ALL SELECT role, active, created_at / 86400, -1 FROM old_rows) AS changes
    GROUP BY role, active, day HAVING sum(delta) <> 0;
    RETURN NULL;
END;
$$;
CREATE TRIGGER users_count_insert AFTER INSERT ON users
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION users_count_after_insert();
CREATE TRIGGER users_count_delete AFTER DELETE ON users
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION users_count_after_delete();
CREATE TRIGGER users_count_update AFTER UPDATE ON users
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION users_count_after_update();

-- Substring search over email and name, any case: pg_trgm (a trusted extension).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX users_search_trgm ON users USING gin ((email || ' ' || lower(name)) gin_trgm_ops);
