"""The telnet adapter: chat from a plain terminal, with slash commands."""

from .relayed import CarriedTelnet  # noqa: F401  (binds TelnetFactory.relayed_class)
