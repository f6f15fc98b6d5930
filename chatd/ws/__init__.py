"""The WebSocket adapter: the ``chatd.v1`` JSON protocol for browsers."""

SUBPROTOCOL = "chatd.v1"
