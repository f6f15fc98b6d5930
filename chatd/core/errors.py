"""Errors the core raises when a request cannot be carried out.

Each error has a stable ``code`` that adapters translate to their own wire:
an IRC numeric, a WebSocket error frame, a line of text for telnet.
"""

from __future__ import annotations


class ChatError(Exception):
    """A request the core refused; ``target`` names what it was about."""

    code = "error"
    default_message = "Request refused"

    def __init__(self, target: str = "", message: str | None = None) -> None:
        self.target = target
        self.message = message or self.default_message
        super().__init__(f"{self.code}: {target}: {self.message}")


def _error(name: str, code: str, message: str) -> type[ChatError]:
    return type(name, (ChatError,), {"code": code, "default_message": message})


NickInUse = _error("NickInUse", "nick_in_use", "Nickname is already in use")
BadNick = _error("BadNick", "bad_nick", "Erroneous nickname")
NoSuchNick = _error("NoSuchNick", "no_such_nick", "No such nick")
NoSuchRoom = _error("NoSuchRoom", "no_such_room", "No such channel")
BadRoomName = _error("BadRoomName", "bad_room_name", "Bad channel name")
NotOnRoom = _error("NotOnRoom", "not_on_room", "You're not on that channel")
NotOperator = _error("NotOperator", "not_operator", "You're not channel operator")
UserNotInRoom = _error("UserNotInRoom", "user_not_in_room", "They aren't on that channel")
UserOnRoom = _error("UserOnRoom", "user_on_room", "is already on channel")
RoomFull = _error("RoomFull", "room_full", "Cannot join channel (+l)")
InviteOnly = _error("InviteOnly", "invite_only", "Cannot join channel (+i)")
BadKey = _error("BadKey", "bad_key", "Cannot join channel (+k)")
CannotSend = _error("CannotSend", "cannot_send", "Cannot send to channel")
TooManyRooms = _error("TooManyRooms", "too_many_rooms", "You have joined too many channels")
NoText = _error("NoText", "no_text", "No text to send")
UnknownMode = _error("UnknownMode", "unknown_mode", "is unknown mode char to me")
TextTooLong = _error("TextTooLong", "text_too_long", "Message text is too long")
