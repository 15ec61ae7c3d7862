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
    n INTEGER NOT NULL,
    PRIMARY KEY (role, active)
);
INSERT INTO user_counts (role, active, n) VALUES ('user', 1, 0), ('user', 0, 0), ('admin', 1, 0), ('admin', 0, 0);
UPDATE user_counts SET n = (SELECT count(*) FROM users u WHERE u.role = user_counts.role AND u.active = user_counts.active);
CREATE TRIGGER users_count_insert AFTER INSERT ON users BEGIN
    UPDATE user_counts SET n = n + 1 WHERE role = NEW.role AND active = NEW.active;
END;
CREATE TRIGGER users_count_delete AFTER DELETE ON users BEGIN
    UPDATE user_counts SET n = n - 1 WHERE role = OLD.role AND active = OLD.active;
END;
CREATE TRIGGER users_count_update AFTER UPDATE OF role, active ON users
WHEN OLD.role IS NOT NEW.role OR OLD.active IS NOT NEW.active BEGIN
    UPDATE user_counts SET n = n - 1 WHERE role = OLD.role AND active = OLD.active;
    UPDATE user_counts SET n = n + 1 WHERE role = NEW.role AND active = NEW.active;
END;

-- Substring search over email and name, any case: FTS5's trigram tokenizer.
CREATE VIRTUAL TABLE users_search USING fts5(email, name, content = 'users', content_rowid = 'id', tokenize = 'trigram');
INSERT INTO users_search (users_search) VALUES ('rebuild');
CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_search (rowid, email, name) VALUES (NEW.id, NEW.email, NEW.name);
END;
CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
    INSERT INTO users_search (users_search, rowid, email, name) VALUES ('delete', OLD.id, OLD.email, OLD.name);
END;
CREATE TRIGGER users_search_update AFTER UPDATE OF email, name ON users BEGIN
    INSERT INTO users_search (users_search, rowid, email, name) VALUES ('delete', OLD.id, OLD.email, OLD.name);
    INSERT INTO users_search (rowid, email, name) VALUES (NEW.id, NEW.email, NEW.name);
END;
