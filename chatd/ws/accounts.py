"""Accounts and moderation frames of ``chatd.v1`` (docs/protocol.md): sign up, sign in (with a
password or a session token, so a reload stays signed in), sign out, register a room.

``register`` and ``login`` may come before ``hello``, so a browser can sign in
first and then take its account's nick.  Both answer ``logged_in`` with the
account and a fresh token; a wrong password, an unknown account and a bad
token all get the same ``bad_login``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .handlers import FrameError, Request, _run, handler, text_field

if TYPE_CHECKING:
    from .surface import WebConnection

#: Frames a connection may send before its hello.
BEFORE_HELLO = ("register", "login", "verify_email", "reset_request", "reset_password")


async def _logged_in(conn: WebConnection, request: Request, account: str, token: str = "") -> None:
    """Answer a sign-in with the account and its token: a new one for a password, the same one back
    for a token (one token per signed-in browser, which ``sessions`` lists and logout revokes)."""
    token = token or await conn.session.sign_in.issue_token()
    conn.answer(request, {"type": "logged_in", "account": account, "token": token})


@handler("register")
def register(conn: WebConnection, request: Request) -> None:
    name = text_field(request, "name", required=False) or None
    password = text_field(request, "password")
    email = text_field(request, "email", required=False)

    async def work() -> None:
        account = await conn.session.sign_in.register_account(name, password, email)
        await _logged_in(conn, request, account)

    _run(conn, request, work(), "register")


@handler("login")
def login(conn: WebConnection, request: Request) -> None:
    token = text_field(request, "token", required=False)
    if conn.session.account is not None:
        raise FrameError("already_logged_in", f"You are logged in as {conn.session.account}")
    # Fields are checked here, before any waiting, so a bad one is a bad_field answer.
    name, password = ("", "") if token else (text_field(request, "name"), text_field(request, "password"))

    async def work() -> None:
        if token:
            await _logged_in(conn, request, await conn.session.sign_in.login_token(token), token)
        else:
            await _logged_in(conn, request, await conn.session.sign_in.login(name, password))

    _run(conn, request, work(), "login")


@handler("logout")
def logout(conn: WebConnection, request: Request) -> None:
    """Sign out; this browser's token is revoked (with ``"everywhere": true``, every token of the account)."""
    everywhere = request.get("everywhere", False)
    if not isinstance(everywhere, bool):
        raise FrameError("bad_field", "'everywhere' must be true or false")

    async def work() -> None:
        revoked = await conn.session.sign_in.sign_out(everywhere)
        conn.answer(request, {"type": "logged_out", "revoked": revoked})

    _run(conn, request, work(), "logout")


@handler("set_password")
def set_password(conn: WebConnection, request: Request) -> None:
    """A new password, given the current one: every token of the account is revoked, and this
    browser gets a fresh one in the answer (it stays signed in; the others sign in again)."""
    current = text_field(request, "current")
    password = text_field(request, "password")

    async def work() -> None:
        revoked = await conn.session.sign_in.change_password(current, password)
        conn.answer(request, {"type": "password_changed", "revoked": revoked,
                              "token": await conn.session.sign_in.issue_token()})

    _run(conn, request, work(), "password change")


@handler("set_highlights")
def set_highlights(conn: WebConnection, request: Request) -> None:
    """The words that push to the account as its nick does (``/highlight``; none: only the nick)."""
    words = request.get("words", [])
    if not isinstance(words, list) or not all(isinstance(word, str) for word in words):
        raise FrameError("bad_field", "'words' must be a list of strings")

    async def work() -> None:
        chosen = await conn.session.sign_in.set_highlights(words)
        conn.answer(request, {"type": "highlights_set", "words": list(chosen)})

    _run(conn, request, work(), "set highlights")


@handler("set_email")
def set_email(conn: WebConnection, request: Request) -> None:
    """A new address for the account ("" removes it); with mail, a code to verify it is sent."""
    email = text_field(request, "email", required=False)

    async def work() -> None:
        email_set = await conn.session.sign_in.set_email(email)
        conn.answer(request, {"type": "email_set", "email": email_set, "verifying": bool(email_set)})

    _run(conn, request, work(), "set e-mail")


@handler("verify_email")
def verify_email(conn: WebConnection, request: Request) -> None:
    """The code from the mail (the web client sends it itself when the mail's link is opened)."""
    account, code = text_field(request, "account"), text_field(request, "code")

    async def work() -> None:
        verified = await conn.session.sign_in.verify_email(account, code)
        conn.answer(request, {"type": "email_verified", "account": verified})

    _run(conn, request, work(), "verify e-mail")


@handler("reset_request")
def reset_request(conn: WebConnection, request: Request) -> None:
    """Forgot the password: a reset link goes to the account's verified address. The answer is the
    same whether or not the account exists or has one."""
    name = text_field(request, "name")

    async def work() -> None:
        await conn.session.sign_in.request_password_reset(name)
        conn.answer(request, {"type": "reset_requested", "name": name})

    _run(conn, request, work(), "reset request")


@handler("reset_password")
def reset_password(conn: WebConnection, request: Request) -> None:
    """A new password with the token of a reset link: every session of the account ends, and this
    browser is signed in (``logged_in`` with a fresh token)."""
    token, password = text_field(request, "token"), text_field(request, "password")
    if conn.session.account is not None:
        raise FrameError("already_logged_in", f"You are logged in as {conn.session.account}: log out first")

    async def work() -> None:
        account = await conn.session.sign_in.reset_password(token, password)
        await _logged_in(conn, request, account)

    _run(conn, request, work(), "password reset")


@handler("sessions")
def sessions(conn: WebConnection, request: Request) -> None:
    """The account's signed-in browsers (id, when each signed in and expires, which is this one), and
    where the person is connected now (``devices``: each connection, numbered as NickServ SESSIONS)."""

    async def work() -> None:
        found = await conn.session.sign_in.sessions()
        user = conn.session.user
        devices = conn.session.network.people.sessions_of(user) if user is not None else []
        conn.answer(request, {"type": "sessions", "sessions": [
            {"id": t.id, "created": t.created, "expires": t.expires, "current": t.id == conn.session.token_id}
            for t in found], "devices": [
            {"number": number, "protocol": each.protocol, "device": each.device, "address": each.address,
             "since": each.since, "current": each is conn.session} for number, each in enumerate(devices, 1)]})

    _run(conn, request, work(), "sessions")


@handler("end_session")
def end_session(conn: WebConnection, request: Request) -> None:
    """End one of the account's sessions by its id: its token signs in nowhere any more."""
    token_id = text_field(request, "session")

    async def work() -> None:
        await conn.session.sign_in.end_session(token_id)
        conn.answer(request, {"type": "session_ended", "session": token_id})

    _run(conn, request, work(), "end session")


@handler("register_room")
def register_room(conn: WebConnection, request: Request) -> None:
    room = conn.session.moderation.register_room(text_field(request, "room"))
    conn.answer(request, {"type": "room_registered", "room": room.name, "founder": room.founder})
