"""IRCv3 capabilities chatd offers, and which of them change how lines look.

Capabilities in :data:`RENDERING` decide the bytes of a fanned-out line; they
make up the connection's format key, so clients with the same set share one
encoded line.  The others only affect replies to the client itself.
"""

from __future__ import annotations

SUPPORTED = (
    "account-notify",
    "account-tag",
    "away-notify",
    "batch",
    "cap-notify",
    "chghost",
    "draft/account-registration",
    "draft/chathistory",
    "draft/message-redaction",
    "draft/multiline",
    "draft/read-marker",
    "draft/webpush",
    "echo-message",
    "extended-join",
    "extended-monitor",
    "invite-notify",
    "labeled-response",
    "message-tags",
    "multi-prefix",
    "sasl",
    "server-time",
    "setname",
    "soju.im/search",
    "userhost-in-names",
)

#: Offered only while the server has it on (irc/webpush.py).
OPTIONAL = ("draft/webpush",)

#: Capabilities that change fanned-out lines, in format-key order.
RENDERING = ("server-time", "message-tags", "extended-join", "away-notify", "setname", "invite-notify",
             "draft/message-redaction", "draft/multiline", "draft/read-marker", "account-tag", "account-notify",
             "chghost")

#: Values some capabilities carry in CAP LS 302.
VALUES = {"sasl": "PLAIN,EXTERNAL,SCRAM-SHA-256", "draft/account-registration": "before-connect"}
