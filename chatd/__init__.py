"""chatd: one chat network for IRC, telnet and browser users, on Twisted."""

__version__ = "0.1.0"
