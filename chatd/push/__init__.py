"""Web Push (RFC 8030/8291/8292): the VAPID key, the subscriptions, the rules for what notifies, the sender."""
