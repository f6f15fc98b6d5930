-- People, not nicks: direct conversations are filed under the persons of their two parties
-- (an account "a:name", or a guest's own connection "g:..."), and rooms keep their modes,
-- lists and owners (JSON, see Room.state) across restarts.
-- Direct messages stored before this were filed under bare nicks, which no person matches any
-- more: whoever holds those nicks now cannot read them (retention removes them in time).

ALTER TABLE messages ADD COLUMN sender_account TEXT;
ALTER TABLE messages ADD COLUMN sender_person TEXT;
ALTER TABLE rooms ADD COLUMN state TEXT NOT NULL DEFAULT '{}';
