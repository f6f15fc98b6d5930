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
    from .connection import ChatWebSocket

#: Frames a connection may send before its hello.
BEFORE_HELLO = ("register", "login")


async def _logged_in(conn: ChatWebSocket, request: Request, account: str) -> None:
    token = await conn.session.issue_token()
    conn.answer(request, {"type": "logged_in", "account": account, "token": token})


@handler("register")
def register(conn: ChatWebSocket, request: Request) -> None:
    name = text_field(request, "name", required=False) or None
    password = text_field(request, "password")
    email = text_field(request, "email", required=False)

    async def work() -> None:
        account = await conn.session.register_account(name, password, email)
        await _logged_in(conn, request, account)

    _run(conn, request, work(), "register")


@handler("login")
def login(conn: ChatWebSocket, request: Request) -> None:
    token = text_field(request, "token", required=False)
    if conn.session.account is not None:
        raise FrameError("already_logged_in", f"You are logged in as {conn.session.account}")
    # Fields are checked here, before any waiting, so a bad one is a bad_field answer.
    name, password = ("", "") if token else (text_field(request, "name"), text_field(request, "password"))

    async def work() -> None:
        if token:
            account = await conn.session.login_token(token)
        else:
            account = await conn.session.login(name, password)
        await _logged_in(conn, request, account)

    _run(conn, request, work(), "login")


@handler("logout")
def logout(conn: ChatWebSocket, request: Request) -> None:
    conn.session.logout()
    conn.answer(request, {"type": "logged_out"})


@handler("register_room")
def register_room(conn: ChatWebSocket, request: Request) -> None:
    room = conn.session.register_room(text_field(request, "room"))
    conn.answer(request, {"type": "room_registered", "room": room.name, "founder": room.founder})
