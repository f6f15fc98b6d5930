"""The IRC adapter: RFC 2812 / Modern IRC with IRCv3 capabilities.

Importing the package binds the listener (:mod:`.factory`) to its connection class
(:mod:`.connection` names itself as ``IRCFactory.connection_class``), whichever module is asked for.
"""

from .connection import IRCConnection  # noqa: F401  (binds IRCFactory.connection_class)
