"""Session tokens are revocable: logout ends this browser's, ``everywhere`` every one, ``end_session``
one by id; a revoked token signs in nowhere (the issue: after logout the token worked 30 days)."""

from __future__ import annotations

import itertools

import pytest

from .support.memory import MemoryWebSocket, memory_history, memory_network, ws_factory

pytestmark = pytest.mark.unit


@pytest.fixture
def factory():
    network, clock = memory_network()
    memory_history(network, clock)
    return ws_factory(network, clock)


def answer(ws: MemoryWebSocket, frame: dict) -> dict:
    ws.send(frame)
    found = [f for f in ws.read() if f.get("id") == frame.get("id")]
    assert found, frame
    return found[-1]


NICKS = itertools.count(1)


def signed_in(factory, token=None, host="10.0.0.2"):
    ws = MemoryWebSocket(factory, host=host)
    frame = {"type": "login", "token": token} if token else {"type": "login", "name": "wendy",
                                                               "password": "wendy-password"}
    got = answer(ws, {**frame, "id": 1})
    assert got["type"] == "logged_in", got
    assert answer(ws, {"type": "hello", "nick": f"wendy{next(NICKS)}", "id": 0})["type"] == "welcome"
    return ws, got["token"]


def test_logout_revokes_the_token_it_signed_in_with(factory):
    answer(MemoryWebSocket(factory), {"type": "register", "name": "wendy", "password": "wendy-password", "id": 1})
    laptop, token = signed_in(factory)
    reload, again = signed_in(factory, token)
    assert again == token  # a token sign-in keeps its token: one per browser
    out = answer(reload, {"type": "logout", "id": 2})
    assert out["type"] == "logged_out" and out["revoked"] == 1
    thief = MemoryWebSocket(factory, host="10.0.0.66")
    refused = answer(thief, {"type": "login", "token": token, "id": 3})
    assert refused["type"] == "error" and refused["code"] == "bad_login"


def test_sessions_lists_the_browsers_and_ends_one_or_all(factory):
    answer(MemoryWebSocket(factory), {"type": "register", "name": "wendy", "password": "wendy-password", "id": 1})
    laptop, laptop_token = signed_in(factory)
    phone, phone_token = signed_in(factory, host="10.0.0.3")
    tablet, tablet_token = signed_in(factory, host="10.0.0.4")
    listed = answer(laptop, {"type": "sessions", "id": 2})["sessions"]
    assert len(listed) == 4  # the sign-up's own token, and three browsers
    assert [s["current"] for s in listed].count(True) == 1
    mine = next(s for s in listed if s["current"])
    others = [s for s in listed if not s["current"]]
    ended = answer(laptop, {"type": "end_session", "session": others[-1]["id"], "id": 3})
    assert ended == {"type": "session_ended", "session": others[-1]["id"], "id": 3}
    assert answer(MemoryWebSocket(factory), {"type": "login", "token": tablet_token, "id": 4})["code"] == "bad_login"
    assert answer(laptop, {"type": "end_session", "session": "no-such-id", "id": 5})["type"] == "error"
    everywhere = answer(laptop, {"type": "logout", "everywhere": True, "id": 6})
    assert everywhere["revoked"] == 3 and mine["id"]
    for token in (laptop_token, phone_token):
        assert answer(MemoryWebSocket(factory), {"type": "login", "token": token, "id": 7})["code"] == "bad_login"
    # The password still works, and gives a token that does.
    _, fresh = signed_in(factory)
    assert signed_in(factory, fresh)[1] == fresh


def test_bad_fields_and_guests_get_clear_answers(factory):
    guest = MemoryWebSocket(factory)
    answer(guest, {"type": "hello", "nick": "gus", "id": 1})
    assert answer(guest, {"type": "sessions", "id": 2})["type"] == "error"
    assert answer(guest, {"type": "logout", "id": 3})["type"] == "error"
    answer(MemoryWebSocket(factory), {"type": "register", "name": "wendy", "password": "wendy-password", "id": 1})
    ws, _ = signed_in(factory)
    assert answer(ws, {"type": "logout", "everywhere": "yes", "id": 4})["code"] == "bad_field"
    assert answer(ws, {"type": "end_session", "id": 5})["code"] == "bad_field"
