-- How far each person has read each conversation (IRCv3 draft/read-marker, the web's divider).

CREATE TABLE read_markers (
    person  TEXT NOT NULL,   -- the account, or the folded nick of a guest
    target  TEXT NOT NULL,   -- the folded room name, or the other party's folded nick
    time    REAL NOT NULL,   -- seconds since the epoch: everything up to here is read
    PRIMARY KEY (person, target)
) WITHOUT ROWID;
