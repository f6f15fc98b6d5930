"""The HTTP listener: the web client, the WebSocket endpoint and health."""
