"""IRCv3 capabilities chatd offers, and which of them change how lines look.

Capabilities in :data:`RENDERING` decide the bytes of a fanned-out line; they
make up the connection's format key, so clients with the same set share one
encoded line.  The others only affect replies to the client itself.
"""

from __future__ import annotations

SUPPORTED = (
    "away-notify",
    "batch",
    "cap-notify",
    "draft/chathistory",
    "draft/message-redaction",
    "draft/multiline",
    "draft/read-marker",
    "echo-message",
    "extended-join",
    "extended-monitor",
    "invite-notify",
    "labeled-response",
    "message-tags",
    "multi-prefix",
    "server-time",
    "setname",
    "userhost-in-names",
)

#: Capabilities that change fanned-out lines, in format-key order.
RENDERING = ("server-time", "message-tags", "extended-join", "away-notify", "setname", "invite-notify",
             "draft/message-redaction", "draft/multiline", "draft/read-marker")
