"""NickServ: accounts by message, for clients that speak to services (Ergo's command names)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from ..core import errors
from ..core.remote import home_of

if TYPE_CHECKING:
    from .user import ServiceUser

HELP = [
    "IDENTIFY [account] <password>  log in",
    "REGISTER <password> [email]    register your current nick as an account",
    "LOGOUT                         log out",
    "GROUP                          add your current nick to your account",
    "UNGROUP <nick>                 remove a nick from your account",
    "CERT ADD [fingerprint]         log in with this TLS client certificate from now on (SASL EXTERNAL)",
    "INFO [account]                 show an account",
    "PASSWD <current> <new>         change your password (every saved session signs in again)",
    "EMAIL <address>|NONE           set your account's e-mail address (a code to verify it is mailed)",
    "VERIFY <account> <code>        enter the code mailed to your address",
    "RESETPASS <account>            mail a password reset link to the account's verified address",
    "RESETPASS <account> <token> <new password>   choose a new password with that mail's token",
    "SET ALWAYSON ON|OFF|DEFAULT    stay in your rooms, shown away, while none of your devices is connected",
    "SET HIGHLIGHT [word ...]       words that push to you as your nick does (none: only your nick)",
    "SESSIONS                       list where you are connected now (each device of yours)",
    "SESSIONS END <number>          close one of them",
    "SESSIONS <nick> [END <number>] (server operators) someone else's, the same way",
]


#: NickServ SET ALWAYSON's words: on, off, or the server's default.
ALWAYS_ON = {"ON": True, "OFF": False, "DEFAULT": None}


def lasted(seconds: float) -> str:
    """A duration as people say it: 45s, 12m, 3h05m, 2d4h."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 86400}d{seconds % 86400 // 3600}h"


def sessions(user: ServiceUser, say: Callable[[str], None], args: list[str]) -> None:
    """SESSIONS: this person's connections (each device), oldest first; SESSIONS END n closes one.
    A server operator names someone else first (``SESSIONS alice``, ``SESSIONS alice END 2``),
    as Ergo's administrators do."""
    session = user.session
    whose = session.me()
    if args and args[0].upper() != "END":
        session.moderation.require_oper()
        found_user = session.network.find_user(args[0])
        if found_user is None:
            raise errors.NoSuchNick(args[0])
        whose, args = found_user, args[1:]
    mine = whose is session.me()
    if args and args[0].upper() == "END" and len(args) == 2 and args[1].isdigit():
        ended = session.network.people.end_session(whose, int(args[1]))
        say(f"Session {args[1]} ({ended.protocol}{f', {ended.device}' if ended.device else ''}) is closed")
        return
    found = session.network.people.sessions_of(whose)
    now = session.network.clock()
    if not found and not mine:
        elsewhere = home_of(whose)
        say(f"{whose.nick}'s connections are on server {elsewhere} of this network: ask there" if elsewhere
            else f"{whose.nick} has no connection open")
        return
    say(f"You are connected {len(found)} time(s):" if mine else f"{whose.nick} is connected {len(found)} time(s):")
    for number, each in enumerate(found, 1):
        device = f" ({each.device})" if each.device else ""
        here = " - this one" if each is session else ""
        say(f"{number}: {each.protocol}{device} from {each.address}, for {lasted(now - each.since)}{here}")
    if len(found) > 1 or (found and not mine):
        say(f"SESSIONS {'' if mine else whose.nick + ' '}END <number> closes one")


async def nickserv(user: ServiceUser, words: list[str]) -> None:
    def say(text: str) -> None:
        user.service_says("NickServ", text)

    session = user.session
    verb = words[0].upper() if words else "HELP"
    args = words[1:]
    try:
        if verb == "IDENTIFY" and args:
            name, password = (args[0], " ".join(args[1:])) if len(args) > 1 else (session.nick or "", args[0])
            account = await session.sign_in.login(name, password)
            user.signed_in(account)
            say(f"You are now logged in as {account}")
        elif verb == "REGISTER" and args:
            email = args[1] if len(args) > 1 else ""
            account = await session.sign_in.register_account(None, args[0], email)
            user.signed_in(account)
            say(f"Account {account} registered; you are logged in")
            if email and session.sign_in.sends_mail:
                say(f"A code to verify {email} is on its way: /msg NickServ VERIFY {account} <code>")
        elif verb == "EMAIL" and len(args) == 1:
            email = await session.sign_in.set_email("" if args[0].upper() == "NONE" else args[0])
            say(f"Your address is now {email}; a code to verify it is on its way" if email
                else "Your account has no address now (no reset links can reach you)")
        elif verb == "VERIFY" and len(args) == 2:
            say(f"The address of {await session.sign_in.verify_email(args[0], args[1])} is verified")
        elif verb == "RESETPASS" and len(args) == 1:
            await session.sign_in.request_password_reset(args[0])
            say(f"If {args[0]} has a verified address, a reset link is on its way to it")
        elif verb == "RESETPASS" and len(args) >= 3:
            was = session.account
            account = await session.sign_in.reset_password(args[1], " ".join(args[2:]))
            if was is None and session.account == account:
                user.signed_in(account)
            say(f"Password of {account} changed; every saved session signs in again")
        elif verb == "LOGOUT":
            session.sign_in.logout()
            user.signed_out()
            say("You are now logged out")
        elif verb == "GROUP":
            say(f"{await session.sign_in.group_nick(args[0] if args else None)} is now one of your nicks")
        elif verb == "UNGROUP" and args:
            await session.sign_in.ungroup_nick(args[0])
            say(f"{args[0]} is no longer one of your nicks")
        elif verb == "CERT" and args and args[0].upper() == "ADD":
            session.certfp = user.certificate()
            say(f"Certificate {await session.sign_in.add_certificate(args[1] if len(args) > 1 else None)} "
                "now logs in to your account")
        elif verb == "PASSWD" and len(args) in (2, 3):
            if len(args) == 3 and args[1] != args[2]:
                raise errors.ChatError("", "The new password and its confirmation differ")
            revoked = await session.sign_in.change_password(args[0], args[1])
            say(f"Password changed; {revoked} saved session(s) ended")
        elif verb == "INFO":
            record = await session.sign_in.account_info(args[0] if args else None)
            say(f"Account {record.name}, registered {int(record.created)}; "
                f"nicks: {', '.join((record.name, *record.nicks))}")
        elif verb == "SET" and len(args) == 2 and args[0].upper() == "ALWAYSON" \
                and args[1].upper() in ALWAYS_ON:
            on = await session.sign_in.set_always_on(ALWAYS_ON[args[1].upper()])
            say("You stay in your rooms while you are not connected" if on
                else "You leave your rooms when your last connection closes")
        elif verb == "SET" and args and args[0].upper() == "HIGHLIGHT":
            chosen = await session.sign_in.set_highlights(args[1:])
            say(f"Pushes come for your nick{', ' + ', '.join(chosen) if chosen else ''}")
        elif verb == "SESSIONS" and session.user is not None:
            sessions(user, say, args)
        else:
            for line in HELP:
                say(line)
    except errors.ChatError as error:
        say(error.describe())
