"""Telnet commands for accounts and moderation: /register, /login, /logout, and the room
operator's /kick, /ban, /unban, /mute, /unmute, /op, /deop, /voice, /devoice, /mode, /invite,
/registerroom.  Each parses its line and calls the session; the rules are the core's.

``/login`` and ``/register`` also work at the nick prompt: the person then
enters under their account's name (on a members-only server, the only way in).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Optional

from ..core import ROOM_PREFIXES, errors
from ..irc.modes import MAX_CHANGES, not_applied, parse_room_modes
from .services import to_service

if TYPE_CHECKING:
    from .terminal import Terminal

HELP = """Accounts and moderation:
  /register [name] password   create an account (name: your nick) and log in
  /login [name] password      log in (also at the nick prompt)
  /logout                     log out
  /sessions [end N]           where you are connected now (each device), or close one
  /kick nick [why]  /invite nick [#room]  /op nick  /deop nick  /voice nick  /devoice nick
  /ban mask  /unban mask  /mute mask  /unmute mask   (mask: nick, nick!user@host or a:account)
  /mode [#room] +modes [args] room modes (e.g. /mode +o alice, /mode #ops +ik secret)
  /registerroom               keep the current room's modes, lists and operators by account"""


def _account_words(conn: Terminal, rest: str) -> tuple[Optional[str], str]:
    words = rest.split(" ", 1)
    if len(words) == 2:
        return words[0], words[1]
    return None, rest


def cmd_register(conn: Terminal, rest: str) -> None:
    name, password = _account_words(conn, rest)
    if not password:
        conn.say("Usage: /register [name] password")
        return
    registering = conn.session.sign_in.register_account(name, password)
    conn.run(_enter(conn, registering), "telnet register", conn.internal_error)


def cmd_login(conn: Terminal, rest: str) -> None:
    name, password = _account_words(conn, rest)
    if not password or (name is None and conn.session.user is None):
        conn.say("Usage: /login name password")
        return
    conn.run(_enter(conn, conn.session.sign_in.login(name or conn.session.nick or "", password)), "telnet login",
          conn.internal_error)


async def _enter(conn: Terminal, request: object) -> None:
    try:
        account = await request  # type: ignore[misc]
    except errors.ChatError as error:
        conn.say(error.describe())
        return
    conn.say(f"You are logged in as {account}.")
    if conn.session.user is None and not conn.session.registering:
        await conn.pick_nick(account)
    await show_missed(conn)


async def show_missed(conn: Terminal) -> None:
    """Direct messages kept while this account was offline; shown once (they count as read)."""
    if conn.session.user is None:
        return
    found = await conn.session.catch_up.missed_direct()
    if not found:
        return
    conn.say(f"*** {len(found)} message(s) came while you were away:")
    for message in found:
        conn.deliver(conn.encode(message))
    await conn.session.catch_up.shown(found)


def cmd_logout(conn: Terminal, rest: str) -> None:
    conn.session.sign_in.logout()
    conn.say("You are logged out.")


def _room(conn: Terminal) -> str:
    if not conn.current:
        raise errors.ChatError("", "You are in no room: /join #room first")
    return conn.current


def cmd_kick(conn: Terminal, rest: str) -> None:
    nick, _, reason = rest.partition(" ")
    if not nick:
        conn.say("Usage: /kick nick [reason]")
        return
    conn.session.kick(_room(conn), nick, reason or nick)


def cmd_invite(conn: Terminal, rest: str) -> None:
    nick, _, room = rest.partition(" ")
    if not nick:
        conn.say("Usage: /invite nick [#room]")
        return
    victim = conn.session.invite(nick, room.strip() or _room(conn))
    conn.say(f"Invited {victim.nick}.")


def cmd_mode(conn: Terminal, rest: str) -> None:
    """``/mode +o alice`` in the current room, or ``/mode #room +o alice``, as IRC users type them."""
    words = rest.split()
    room = words.pop(0) if words and words[0][:1] in ROOM_PREFIXES else None
    if not words:
        conn.say("Usage: /mode [#room] +modes [args]")
        return
    room = room or _room(conn)
    parsed = parse_room_modes(words[0], words[1:])
    if parsed.missing_param:
        conn.say("That mode needs a parameter.")
        return
    for kind, letter in parsed.notes:
        if kind == "list":
            entries = conn.session.moderation.room_list(room, letter)
            conn.say(f"+{letter}: " + (", ".join(e.mask for e in entries) or "(empty)"))
        elif kind == "unknown":
            conn.say(f"Unknown mode {letter}.")
    if parsed.changes:
        conn.session.change_modes(room, parsed.changes)
    if not_applied(parsed):
        conn.say(f"Not applied: {not_applied(parsed)} (at most {MAX_CHANGES} modes with a parameter at once).")


def _one_mode(sign: str, letter: str, usage: str) -> Callable[[Terminal, str], None]:
    def command(conn: Terminal, rest: str) -> None:
        target = rest.strip()
        if not target or " " in target:
            conn.say(f"Usage: {usage}")
            return
        conn.session.change_modes(_room(conn), [(sign, letter, target)])

    return command


def cmd_registerroom(conn: Terminal, rest: str) -> None:
    room = conn.session.moderation.register_room(rest.strip() or _room(conn))
    conn.say(f"{room.name} is registered to {room.founder}.")


def cmd_sessions(conn: Terminal, rest: str) -> None:
    """Where this person is connected (each device), or ``/sessions end N`` to close one."""
    to_service(conn, "NickServ", f"SESSIONS {rest}".strip())


COMMANDS: dict[str, Callable[[Terminal, str], None]] = {
    "sessions": cmd_sessions, "register": cmd_register, "login": cmd_login, "logout": cmd_logout,
    "kick": cmd_kick, "invite": cmd_invite,
    "mode": cmd_mode, "registerroom": cmd_registerroom,
    "ban": _one_mode("+", "b", "/ban mask"), "unban": _one_mode("-", "b", "/unban mask"),
    "mute": _one_mode("+", "q", "/mute mask"), "unmute": _one_mode("-", "q", "/unmute mask"),
    "op": _one_mode("+", "o", "/op nick"), "deop": _one_mode("-", "o", "/deop nick"),
    "voice": _one_mode("+", "v", "/voice nick"), "devoice": _one_mode("-", "v", "/devoice nick"),
}

#: What works at the nick prompt, before one has a nick.
BEFORE_NICK = ("register", "login")
