"""History survives a restart of the real daemon (SIGTERM, then start again)."""

from __future__ import annotations

import contextlib
import json
import re

import pytest
from websockets.sync.client import connect

from .support.processes import Daemon
from .support.sockets import LineClient, irc_register

pytestmark = pytest.mark.integration


def web_user(stack, port, nick, token=None):
    """A browser; with ``token`` it signs in first, as the web client does (a registered nick
    is refused to a web guest)."""
    ws = stack.enter_context(connect(f"ws://127.0.0.1:{port}/ws", subprotocols=["chatd.v1"]))
    if token is not None:
        ws.send(json.dumps({"type": "login", "token": token}))  # a reload keeps one signed in, restarts too
        assert frames_until(ws, "logged_in")["account"] == nick
    ws.send(json.dumps({"type": "hello", "nick": nick}))
    assert json.loads(ws.recv(timeout=10))["type"] == "welcome"
    return ws


def frames_until(ws, kind, match=lambda f: True):
    while True:
        frame = json.loads(ws.recv(timeout=10))
        if frame["type"] == kind and match(frame):
            return frame


def test_messages_topics_and_rooms_survive_a_restart(tmp_path):
    first = Daemon(state_dir=tmp_path).start()
    sent = []
    with contextlib.ExitStack() as stack:
        irc = LineClient(first.ports["irc"])
        irc_register(irc, "ivan")
        irc.send("REGISTER * * :ivan-password")  # direct messages belong to accounts
        irc.expect("REGISTER SUCCESS ivan ")
        irc.send("JOIN #persist,#quiet")
        irc.send("TOPIC #persist :kept across restarts")
        irc.send("TOPIC #quiet :nobody here")
        irc.send("MODE #quiet +ik secret")  # an emptied room keeps its protection, across a restart too
        irc.send("CHANSERV REGISTER #persist")  # a registered room gives +o back by account
        irc.expect("#persist is registered to ivan")
        irc.send("PART #quiet")
        irc.expect(r"PART #quiet")
        web = web_user(stack, first.ports["http"], "wendy")
        web.send(json.dumps({"type": "register", "password": "wendy-password"}))
        token = frames_until(web, "logged_in")["token"]
        web.send(json.dumps({"type": "join", "room": "#persist"}))
        frames_until(web, "joined")
        for i in range(20):
            if i % 2:
                irc.send(f"PRIVMSG #persist :irc {i}")
                sent.append(f"irc {i}")
                frames_until(web, "message", lambda f, i=i: f["text"] == f"irc {i}")
            else:
                web.send(json.dumps({"type": "msg", "to": "#persist", "text": f"web {i}", "id": i}))
                sent.append(f"web {i}")
                frames_until(web, "ack", lambda f, i=i: f["id"] == i)
        irc.send("PRIVMSG wendy :a direct word")
        frames_until(web, "message", lambda f: f.get("to") == "wendy")
        # The last IRC lines may still be in the pending batch: SIGTERM must flush them.
        first.stop()
    assert any("history flushed and closed" in line for line in first.output)
    assert any("Server Shut Down" in line for line in first.output)

    second = Daemon(state_dir=tmp_path).start()
    try:
        irc = LineClient(second.ports["irc"])
        irc.send("CAP LS 302")
        irc.send("CAP REQ :batch server-time message-tags draft/chathistory")
        irc_register_after_cap(irc, "ivan")
        irc.send("PRIVMSG NickServ :IDENTIFY ivan-password")
        irc.expect(" 900 ivan ")
        irc.send("LIST")
        assert irc.expect(r" 322 ivan #quiet 0 :nobody here$")
        irc.send("JOIN #quiet")
        assert irc.expect(r" 475 ivan #quiet ")  # no key, no entry, and no operator status for a stranger
        irc.send("MODE #quiet")
        assert irc.expect(r" 324 ivan #quiet \+intk :\*$")  # modes and key kept (the key not shown)
        irc.send("JOIN #persist")
        assert irc.expect(r" 332 ivan #persist :kept across restarts$")
        assert irc.expect(r" 353 ivan = #persist :@ivan$")
        irc.send("CHATHISTORY LATEST #persist * 100")
        lines = irc.until(r"BATCH -h1$")
        start = next(i for i, line in enumerate(lines) if "BATCH +h1 chathistory #persist" in line)
        ref = "h1"
        replay = []
        for line in lines[start + 1 : -1]:
            assert re.match(rf"@batch={ref};msgid=\w{{26}};time=\S+ :(ivan|wendy)!\S+ PRIVMSG #persist :", line)
            replay.append(line.split(" :", 1)[1].rsplit(" :", 1)[-1])
        assert replay == sent

        with contextlib.ExitStack() as stack:
            web = web_user(stack, second.ports["http"], "wendy", token)
            web.send(json.dumps({"type": "join", "room": "#persist"}))
            joined = frames_until(web, "joined")
            assert joined["topic"] == "kept across restarts"
            assert [m["text"] for m in joined["history"]] == sent
            web.send(json.dumps({"type": "history", "with": "ivan", "id": 1}))
            direct = frames_until(web, "history")
            assert [m["text"] for m in direct["messages"]] == ["a direct word"]
    finally:
        second.kill()


def irc_register_after_cap(client, nick):
    client.send(f"NICK {nick}")
    client.send(f"USER {nick} 0 * :{nick}")
    client.send("CAP END")
    client.expect(r" 001 ")
