"""The telnet adapter: chat from a plain terminal, with slash commands."""
