"""The HTTP API (``/api/v1/``), API keys and webhooks: chatd as the chat of a team's other tools."""
