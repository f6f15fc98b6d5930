-- Messages of rooms and direct conversations, and the rooms themselves.

CREATE TABLE messages (
    id              TEXT PRIMARY KEY,   -- ULID: unique, sorts by time
    target          TEXT NOT NULL,      -- folded room name, or "nick1 nick2" (folded, sorted) for DMs
    room            TEXT,               -- the room's name as written; NULL for direct messages
    recipient       TEXT,               -- the addressee's nick for direct messages
    peer_a          TEXT,               -- the two folded nicks of a direct conversation
    peer_b          TEXT,
    time            REAL NOT NULL,      -- seconds since the epoch, server clock
    sender_nick     TEXT NOT NULL,
    sender_user     TEXT NOT NULL,
    sender_host     TEXT NOT NULL,
    sender_realname TEXT NOT NULL,
    sender_protocol TEXT NOT NULL,
    kind            TEXT NOT NULL,      -- privmsg, notice, action
    text            TEXT NOT NULL
) WITHOUT ROWID;

CREATE INDEX messages_by_target_id ON messages (target, id);
CREATE INDEX messages_by_target_time ON messages (target, time);
CREATE INDEX messages_by_peer_a ON messages (peer_a, time) WHERE peer_a IS NOT NULL;
CREATE INDEX messages_by_peer_b ON messages (peer_b, time) WHERE peer_b IS NOT NULL;

CREATE TABLE rooms (
    folded     TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created    REAL NOT NULL,
    topic      TEXT NOT NULL DEFAULT '',
    topic_by   TEXT NOT NULL DEFAULT '',
    topic_time REAL NOT NULL DEFAULT 0
);
