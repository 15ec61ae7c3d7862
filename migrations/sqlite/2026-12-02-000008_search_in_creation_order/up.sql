-- The user search index in the list's default order, newest first: each user's trigram entry
-- has the rowid (2^35 - 1 - created_at) * 2^28 + (2^28 - 1 - id), so a search reads its
-- matches in the list's order straight from the index (FTS5 reads ascending rowids fastest)
-- and stops after a page, instead of sorting every match. Contentless: the index is only
-- searched; the rows are read from `users` by id (2^28 - 1 - rowid % 2^28).
-- Ids stay below 2^28 (268,435,456 accounts), which `users_id_limit` makes sure of.
DROP TRIGGER users_search_insert;
DROP TRIGGER users_search_delete;
DROP TRIGGER users_search_update;
DROP TABLE users_search;
CREATE VIRTUAL TABLE users_search USING fts5(email, name, content = '', tokenize = 'trigram');
INSERT INTO users_search (rowid, email, name) SELECT (34359738367 - created_at) * 268435456 + (268435455 - id), email, name FROM users;
CREATE TRIGGER users_id_limit AFTER INSERT ON users WHEN NEW.id >= 268435456 BEGIN
    SELECT RAISE(ABORT, 'this database holds at most 268,435,455 accounts');
END;
CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_search (rowid, email, name) VALUES ((34359738367 - NEW.created_at) * 268435456 + (268435455 - NEW.id), NEW.email, NEW.name);
END;
CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
    INSERT INTO users_search (users_search, rowid, email, name) VALUES ('delete', (34359738367 - OLD.created_at) * 268435456 + (268435455 - OLD.id), OLD.email, OLD.name);
END;
CREATE TRIGGER users_search_update AFTER UPDATE OF email, name, created_at ON users BEGIN
    INSERT INTO users_search (users_search, rowid, email, name) VALUES ('delete', (34359738367 - OLD.created_at) * 268435456 + (268435455 - OLD.id), OLD.email, OLD.name);
    INSERT INTO users_search (rowid, email, name) VALUES ((34359738367 - NEW.created_at) * 268435456 + (268435455 - NEW.id), NEW.email, NEW.name);
END;
