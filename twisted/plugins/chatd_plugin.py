"""Makes ``twistd chatd`` available; everything else lives in chatd.tap."""

from twisted.application.service import ServiceMaker

chatd = ServiceMaker(
    "chatd",
    "chatd.tap",
    "A chat server for IRC, telnet and browser users in the same rooms.",
    "chatd",
)
