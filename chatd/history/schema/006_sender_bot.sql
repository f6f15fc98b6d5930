-- Whether the sender was a bot (user mode +B, an API key's or webhook's user) when it spoke:
-- history shows the bot badge as live messages do.

ALTER TABLE messages ADD COLUMN sender_bot INTEGER NOT NULL DEFAULT 0;
