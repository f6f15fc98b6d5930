-- The full-text index is filled after a batch of messages is committed, not inside its
-- transaction: a message only queues its id here, and the store indexes the queue in its own
-- transactions when no messages wait to be written. Indexing was nearly half the cost of a
-- commit, and a crash can lose only what was never committed (the queue is committed with the
-- messages, so a restart indexes whatever was left).

DROP TRIGGER messages_fts_insert;

CREATE TABLE fts_pending (
    id TEXT NOT NULL    -- a message waiting for the index; the rowid keeps arrival order
);

CREATE TRIGGER messages_fts_queue AFTER INSERT ON messages BEGIN
    INSERT INTO fts_pending (id) VALUES (new.id);
END;
