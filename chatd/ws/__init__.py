"""The WebSocket adapter: the ``chatd.v1`` JSON protocol for browsers.

Importing the package binds the listener (:mod:`.factory`) to its connection class
(:mod:`.connection` names itself as ``ChatWebSocketFactory.connection_class``, and
:mod:`.relayed`, a connection another node carries here, as ``relayed_class``).
"""

SUBPROTOCOL = "chatd.v1"

from .connection import ChatWebSocket  # noqa: E402, F401  (binds ChatWebSocketFactory.connection_class)
from .relayed import RelayedWebSocket  # noqa: E402, F401  (binds ChatWebSocketFactory.relayed_class)
