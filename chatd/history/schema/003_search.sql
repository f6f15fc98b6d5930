-- Full-text search over message text (SQLite FTS5), kept in step with messages by triggers.
-- messages has no integer rowid, so fts_ids gives each message one for the index;
-- deletes (redaction, retention) then find their index row by key, not by scanning.

CREATE TABLE fts_ids (
    rid INTEGER PRIMARY KEY,
    id  TEXT NOT NULL UNIQUE
);

CREATE VIRTUAL TABLE messages_fts USING fts5(text, tokenize = 'unicode61 remove_diacritics 2');

INSERT INTO fts_ids (id) SELECT id FROM messages ORDER BY id;
INSERT INTO messages_fts (rowid, text) SELECT fts_ids.rid, messages.text FROM fts_ids JOIN messages USING (id);

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO fts_ids (id) VALUES (new.id);
    INSERT INTO messages_fts (rowid, text) VALUES (last_insert_rowid(), new.text);
END;

CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    DELETE FROM messages_fts WHERE rowid = (SELECT rid FROM fts_ids WHERE id = old.id);
    DELETE FROM fts_ids WHERE id = old.id;
END;
