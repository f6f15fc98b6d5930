"""Errors the core raises when a request cannot be carried out.

Each error is described once, here: a stable ``code`` (the web client's
``error`` frame carries it), and one wording for people, which speaks of
"rooms" because that is what web and telnet users see.  IRC clients get the
numeric and the channel wording of the IRC documents instead; that mapping
lives in :mod:`chatd.irc.numerics`, keyed by ``code``.

``target`` names what the error is about: a nick, a room, or for errors about
a person in a room, both separated by a space (``"bob #room"``), which is the
order of the parameters of the IRC numerics.
"""

from __future__ import annotations

from typing import ClassVar


class ChatError(Exception):
    """A request the core refused."""

    code: ClassVar[str] = "error"
    default_message: ClassVar[str] = "Request refused"
    #: How the error reads for people; ``{target}``, ``{0}``, ``{1}`` are the target's parts.
    template: ClassVar[str] = "{target}: {message}"

    def __init__(self, target: str = "", message: str | None = None) -> None:
        self.target = target
        self.message = message or self.default_message
        super().__init__(f"{self.code}: {target}: {self.message}")

    def describe(self) -> str:
        """The error as one line of text for a person (web and telnet)."""
        if not self.target:
            return self.message
        parts = self.target.split(" ")
        return self.template.format(*parts, target=self.target, message=self.message)


class NickInUse(ChatError):
    code = "nick_in_use"
    default_message = "Nickname is already in use"


class ConnectedElsewhere(NickInUse):
    """The person is connected through another server of the network.  An adapter that can carry
    this connection over to that server (``server``) does, so that it joins them there as one more
    device; any other tells the client so."""

    default_message = "You are connected to another server of this network"

    def __init__(self, target: str, server: str) -> None:
        super().__init__(target)
        self.server = server


class TooManyDevices(NickInUse):
    """The person is connected as often as ``devices-per-account`` allows: one more is refused."""

    code = "too_many_devices"
    default_message = "You are connected from too many places already; close one first"


class BadNick(ChatError):
    code = "bad_nick"
    default_message = "Erroneous nickname"


class ServiceNick(BadNick):
    """A nick reserved for the network's services (``limits.SERVICE_NICKS``)."""

    default_message = "Nickname is reserved for network services"


class NoSuchNick(ChatError):
    code = "no_such_nick"
    default_message = "No such nick"


class NoSuchRoom(ChatError):
    code = "no_such_room"
    default_message = "No such room"


class BadRoomName(ChatError):
    code = "bad_room_name"
    default_message = "Bad room name"


class NotOnRoom(ChatError):
    code = "not_on_room"
    default_message = "You're not in that room"


class NotOperator(ChatError):
    code = "not_operator"
    default_message = "You're not a room operator"


class UserNotInRoom(ChatError):
    code = "user_not_in_room"
    default_message = "They aren't in that room"
    template = "{0} is not in {1}"


class UserOnRoom(ChatError):
    code = "user_on_room"
    default_message = "is already in the room"
    template = "{0} is already in {1}"


class RoomFull(ChatError):
    code = "room_full"
    default_message = "Cannot join the room: it is full (+l)"


class InviteOnly(ChatError):
    code = "invite_only"
    default_message = "Cannot join the room: it is invite only (+i)"


class BadKey(ChatError):
    code = "bad_key"
    default_message = "Cannot join the room: wrong key (+k)"


class CannotSend(ChatError):
    code = "cannot_send"
    default_message = "Cannot send to the room"


class TooManyRooms(ChatError):
    code = "too_many_rooms"
    default_message = "You have joined too many rooms"


class NoText(ChatError):
    code = "no_text"
    default_message = "No text to send"


class UnknownMode(ChatError):
    code = "unknown_mode"
    default_message = "is an unknown mode letter"
    template = "{target} {message}"


class TextTooLong(ChatError):
    code = "text_too_long"
    default_message = "Message text is too long"


class TooManyLines(ChatError):
    code = "too_many_lines"
    default_message = "Message has too many lines"


class UnknownMessage(ChatError):
    code = "unknown_msgid"
    default_message = "No such message"


class RedactForbidden(ChatError):
    code = "redact_forbidden"
    default_message = "You may only remove your own messages, or any in a room you run"


class EditForbidden(ChatError):
    code = "edit_forbidden"
    default_message = "You may only edit your own messages"


class BadKeyFormat(ChatError):
    code = "invalid_key"
    default_message = "Key is not well-formed (no spaces, commas or controls)"


class BadText(ChatError):
    code = "bad_field"
    default_message = "is not text every client can show"
    template = "{message}"


class AlreadyRegistered(ChatError):
    code = "already_registered"
    default_message = "You are already registered"


class BadLogin(ChatError):
    """Wrong name or password, or too many tries: never which, so nobody learns who has an account."""

    code = "bad_login"
    default_message = "Invalid account name or password"


class AccountExists(ChatError):
    code = "account_exists"
    default_message = "That account name is taken"


class WeakPassword(ChatError):
    code = "weak_password"
    default_message = "Passwords need at least 8 characters"


class AccountRequired(ChatError):
    code = "account_required"
    default_message = "This server is for members only: log in first"


class NotLoggedIn(ChatError):
    code = "not_logged_in"
    default_message = "You need to be logged in to an account for that"


class NickReserved(ChatError):
    code = "nick_reserved"
    default_message = "Nickname belongs to an account: log in to use it"


class BannedNickChange(ChatError):
    """A member banned or quieted in a room keeps their nick, so that a new one does not slip the ban;
    the target is "<new nick> <room>"."""

    code = "banned_nick_change"
    default_message = "Cannot change nick while banned or quieted in the room"


class Banned(ChatError):
    code = "banned"
    default_message = "Cannot join the room: you are banned (+b)"


class NotServerOperator(ChatError):
    code = "not_server_operator"
    default_message = "Permission denied: you are not a server operator"


class NoSuchAccount(ChatError):
    code = "no_such_account"
    default_message = "No such account"


class OfflineLimit(ChatError):
    """Too many messages kept for someone who is not connected (per sender, and per addressee)."""

    code = "offline_limit"
    default_message = "They are offline and have enough messages waiting: try again later"


class BadCode(ChatError):
    """A verification code or reset link that is wrong, expired, or already used."""

    code = "bad_code"
    default_message = "That code is wrong or has expired"


class BadEmail(ChatError):
    code = "bad_email"
    default_message = "That is not an e-mail address"


class NoMail(ChatError):
    """The server sends no e-mail (no --smtp): nothing can be verified or reset by mail."""

    code = "no_mail"
    default_message = "This server sends no e-mail; ask an operator to reset your password"


class TooManyNewRooms(ChatError):
    code = "too_many_new_rooms"
    default_message = "Too many new rooms: wait a while before creating another"


class ServerBanned(ChatError):
    code = "server_banned"
    default_message = "You are banned from this server"


class AccountsUnavailable(ChatError):
    code = "accounts_unavailable"
    default_message = "This server has no accounts"


class PushRefused(ChatError):
    """A push subscription that cannot be kept: a bad endpoint or keys, or too many for the account."""

    code = "push_refused"
    default_message = "That push subscription cannot be kept"
