"""IRCv3 against a real daemon: client tags and TAGMSG, labeled-response,
MONITOR with extended-monitor, setname, invite-notify, the bot tag and sts,
and what they mean across protocols (a web user's typing and replies)."""

from __future__ import annotations

import contextlib
import json
import re

import pytest
from websockets.sync.client import connect

from .support.parts import CLOAK
from .support.processes import Daemon
from .support.sockets import LineClient, irc_client, telnet_client
from .support.tls import make_certificate

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("v3")
    key, cert = make_certificate(folder)
    d = Daemon("--flood-rate", "0", "--irc-tls", f"ssl:0:interface=127.0.0.1:privateKey={key}:certKey={cert}",
               "--sts-duration", "600", state_dir=folder).start()
    yield d
    d.kill()


def client(server, nick, caps=""):
    return irc_client(server.ports["irc"], nick, caps)


class Web:
    def __init__(self, server, nick, password=None):
        self.stack = contextlib.ExitStack()
        self.ws = self.stack.enter_context(connect(f"ws://127.0.0.1:{server.ports['http']}/ws",
                                                   subprotocols=["chatd.v1"]))
        if password is not None:  # signed in before the hello, as the web client does
            self.send({"type": "login", "name": nick, "password": password, "id": -1})
            assert self.expect(lambda f: f.get("id") == -1)["type"] == "logged_in"
        self.send({"type": "hello", "nick": nick, "id": 0})
        self.expect(lambda f: f.get("id") == 0)

    def send(self, frame):
        self.ws.send(json.dumps(frame))

    def expect(self, match, timeout=10):
        while True:
            frame = json.loads(self.ws.recv(timeout=timeout))
            if match(frame):
                return frame

    def join(self, room):
        self.send({"type": "join", "room": room})
        return self.expect(lambda f: f["type"] == "joined")

    def close(self):
        self.stack.close()


def join_all(room, *clients):
    for c in clients:
        c.send(f"JOIN {room}")
        c.expect(" 366 ")


def test_client_tags_and_tagmsg_reach_only_those_who_take_them(server):
    tagged = client(server, "tagged", "message-tags server-time batch draft/chathistory")
    plain = client(server, "plain")
    join_all("#tags", tagged, plain)
    web = Web(server, "webtyper")
    web.join("#tags")

    web.send({"type": "typing", "to": "#tags", "state": "active"})
    line = tagged.expect(r" TAGMSG #tags$")
    assert re.match(rf"@msgid=\w+;\+typing=active;time=\S+ :webtyper!web@{CLOAK} TAGMSG #tags$", line)
    web.send({"type": "msg", "to": "#tags", "text": "first"})
    first_id = re.search(r"msgid=(\w+)", tagged.expect(r"PRIVMSG #tags :first$")).group(1)
    plain.expect(r"PRIVMSG #tags :first$")
    assert not [line for line in plain.lines if "TAGMSG" in line]  # plain clients never see TAGMSG

    tagged.send(f"@+draft/reply={first_id};+example.org/mood=happy PRIVMSG #tags :answer")
    reply = web.expect(lambda f: f["type"] == "message" and f["text"] == "answer")
    assert reply["reply_to"] == first_id and reply["tags"] == {"+example.org/mood": "happy"}
    assert plain.expect(r"PRIVMSG #tags :answer$").startswith(":tagged!")  # no tags for plain clients
    tagged.send("@+typing=paused TAGMSG #tags")
    assert web.expect(lambda f: f["type"] == "typing") ["state"] == "paused"
    web.send({"type": "msg", "to": "#tags", "text": "re", "reply_to": first_id})
    assert f"+draft/reply={first_id}" in tagged.expect(r"PRIVMSG #tags :re$")

    tagged.send("CHATHISTORY LATEST #tags * 10")  # typing notices were never stored
    history = tagged.until(r"BATCH -")
    assert [line.rsplit(":", 1)[-1] for line in history if "PRIVMSG" in line] == ["first", "answer", "re"]
    assert not [line for line in history if "TAGMSG" in line]
    web.send({"type": "msg", "to": "#tags", "text": "from a human"})
    assert "bot" not in web.expect(lambda f: f.get("text") == "from a human")
    tagged.send("MODE tagged +B")
    tagged.expect(r"MODE tagged :\+B")
    tagged.send("PRIVMSG #tags :beep")
    assert web.expect(lambda f: f.get("text") == "beep")["bot"] is True
    tagged.send("CAP REQ :echo-message")
    tagged.expect("ACK")
    tagged.send("PRIVMSG #tags :beep again")
    assert re.match(r"@msgid=\w+;bot;time=\S+ :tagged!", tagged.expect(r"PRIVMSG #tags :beep again$"))
    for c in (tagged, plain, web):
        c.close()


def test_message_tag_limits_are_exact(server):
    """message-tags: a client's tag data (between "@" and the space) may be 4094 bytes, the rest of the
    line 512 with CR LF; exactly at a limit passes and is relayed, one byte over is 417."""
    sender = client(server, "tagsender", "message-tags")
    reader = client(server, "tagreader", "message-tags")
    for c in (sender, reader):
        c.send("JOIN #taglimits")
        c.expect(" 366 ")
    at_limit = "+example.org/data=" + "v" * (4094 - len("+example.org/data="))
    sender.send(f"@{at_limit} PRIVMSG #taglimits :tags at the limit")
    relayed = reader.expect("tags at the limit")
    assert relayed.startswith(f"@{at_limit};") or f";{at_limit} " in relayed or f"@{at_limit} " in relayed
    sender.send(f"@{at_limit}v PRIVMSG #taglimits :one byte over")
    assert sender.expect(" 417 ").endswith(":Input line was too long")
    text = "w" * (510 - len("PRIVMSG #taglimits :"))
    sender.send(f"@+a=b PRIVMSG #taglimits :{text}")  # 510 bytes after the tags, then CR LF: 512
    assert reader.expect(text).endswith(text)
    sender.send(f"@+a=b PRIVMSG #taglimits :{text}x")
    assert sender.expect(" 417 ")
    sender.send("PING :after")
    assert not [line for line in sender.until("PONG") if "one byte over" in line]
    reader.send("PING :after")
    assert not [line for line in reader.until("PONG") if "one byte over" in line or text + "x" in line]


def test_an_echo_is_never_overtaken_by_a_later_reply(server):
    """echo-message: what a client said comes back before the answer to the command it sent after
    (both in one write, so the room message is held for the end of that turn)."""
    talker = client(server, "talker", "echo-message")
    talker.send("JOIN #echoorder")
    talker.expect(" 366 ")
    talker.send(b"PRIVMSG #echoorder :said first\r\nPING :asked second\r\n")
    lines = talker.until("PONG")
    assert lines[-2].endswith("PRIVMSG #echoorder :said first")


def test_multiline_rules_from_the_spec(server):
    """draft/multiline with labeled-response and echo-message: the label rides on the echoed BATCH start
    (no ACK); a blank line with multiline-concat and a message of blank lines only are MULTILINE_INVALID;
    clients without the cap get the lines without the blank ones."""
    writer = client(server, "mlwriter", "draft/multiline batch echo-message labeled-response message-tags")
    plain = client(server, "mlplain")
    for c in (writer, plain):
        c.send("JOIN #mlrules")
        c.expect(" 366 ")
    writer.send("@label=ml1 BATCH +a draft/multiline #mlrules")
    for line in ("@batch=a PRIVMSG #mlrules :first", "@batch=a PRIVMSG #mlrules :", "@batch=a PRIVMSG #mlrules :third",
                 "BATCH -a"):
        writer.send(line)
    writer.send("PING :ml1")
    answer = writer.until("PONG")
    start = next(line for line in answer if " BATCH +" in line)
    assert start.startswith("@label=ml1;") and start.endswith(" draft/multiline #mlrules")
    assert not [line for line in answer if " ACK" in line or "labeled-response" in line]
    assert [line.split(" PRIVMSG #mlrules :", 1)[1] for line in answer if " PRIVMSG " in line] == \
        ["first", "", "third"]
    fallback = plain.until(r"PRIVMSG #mlrules :third$")
    assert [line.rsplit(":", 1)[1] for line in fallback if " PRIVMSG #mlrules " in line] == ["first", "third"]

    writer.send("BATCH +b draft/multiline #mlrules")
    writer.send("@batch=b PRIVMSG #mlrules :x")
    writer.send("@batch=b;draft/multiline-concat PRIVMSG #mlrules :")
    writer.send("BATCH -b")
    assert writer.expect("FAIL BATCH").endswith(":A blank line cannot be concatenated")
    writer.send("BATCH +c draft/multiline #mlrules")
    writer.send("@batch=c PRIVMSG #mlrules :")
    writer.send("@batch=c PRIVMSG #mlrules : ")
    writer.send("BATCH -c")
    assert " MULTILINE_INVALID " in writer.expect("FAIL BATCH")
    plain.send("PING :after")
    assert not [line for line in plain.until("PONG") if "PRIVMSG #mlrules" in line]


def test_labeled_response(server):
    c = client(server, "labeller", "labeled-response batch message-tags echo-message")
    c.send("@label=one PING :x")
    assert c.expect(r"PONG") .startswith("@label=one :")
    c.send("@label=two JOIN #labels")
    start = c.expect(r"BATCH \+\S+ labeled-response")
    ref = re.search(r"BATCH \+(\S+)", start).group(1)
    assert start.startswith("@label=two ")
    body = c.until(rf"BATCH -{ref}")
    assert all(line.startswith(f"@batch={ref} ") for line in body[:-1])
    assert [line.split()[2] for line in body[:-1]] == ["JOIN", "353", "366"]
    c.send("@label=three MONITOR - nobody")
    assert re.match(r"@label=three :\S+ ACK$", c.expect(r" ACK$"))
    c.send("@label=four PRIVMSG #labels :echoed")
    assert re.match(r"@label=four;msgid=\w+ :labeller!\S+ PRIVMSG #labels :echoed$", c.expect("echoed"))
    c.send("@label=five CHATHISTORY LATEST #labels * 10")  # answered later, still labelled
    history = c.expect(r"BATCH \+\S+ chathistory")  # one batch of a type fitting the whole answer: labelled
    assert history.startswith("@label=five ")
    c.send("@label=six NOSUCHCOMMAND")  # refusals carry the label too
    assert re.match(r"@label=six :\S+ 421 labeller NOSUCHCOMMAND :Unknown command$", c.expect(" 421 "))
    c.send("@label=seven KICK")
    assert re.match(r"@label=seven :\S+ 461 labeller KICK :", c.expect(" 461 "))
    c.send("@label=eight TOPIC #labels :labelled topic")
    c.expect("labelled topic")
    c.send("TOPIC #labels")
    assert re.search(r" 333 labeller #labels labeller!~labeller@\S+ :?\d+$", c.expect(" 333 "))
    c.close()


def test_monitor_sees_every_protocol(server):
    watcher = client(server, "watcher", "extended-monitor away-notify setname")
    watcher.send("MONITOR + tina,webby,nobody1")
    assert watcher.expect(r" 731 watcher :").endswith("tina,webby,nobody1")
    tina = LineClient(server.ports["telnet"])
    tina.expect("Pick a nick")
    tina.send("tina")
    assert watcher.expect(rf" 730 watcher :tina!telnet@{CLOAK}$")
    web = Web(server, "webby")
    assert watcher.expect(r" 730 watcher :webby!web@")
    tina.send("/away back soon")
    assert watcher.expect(r"^:tina!\S+ AWAY :back soon$")  # extended-monitor: no shared room needed
    tina.send("/nick tina2")
    assert watcher.expect(r" 731 watcher :tina$")
    web.close()
    assert watcher.expect(r" 731 watcher :webby$")
    watcher.send("MONITOR L")
    assert set(watcher.expect(" 732 ").split(":")[-1].split(",")) == {"tina", "webby", "nobody1"}
    watcher.send("MONITOR C")
    watcher.send("MONITOR S")
    watcher.send("PING :done")
    assert not [line for line in watcher.until("PONG") if " 730 " in line or " 731 " in line]
    big = ",".join(f"n{i}" for i in range(101))
    watcher.send(f"MONITOR + {big}")
    assert " 734 watcher 100 n100 :Monitor list is full." in watcher.expect(" 734 ")
    tina.close()
    watcher.close()


def test_setname_and_invite_notify(server):
    seer = client(server, "seer", "setname invite-notify")
    blind = client(server, "blind")
    namer = client(server, "namer", "setname")
    join_all("#names", seer, blind, namer)
    namer.send("SETNAME :A New Name")
    assert seer.expect(r"^:namer!\S+ SETNAME :A New Name$")
    assert namer.expect(r"^:namer!\S+ SETNAME :A New Name$")
    blind.send("WHOIS namer")
    assert "A New Name" in blind.expect(" 311 ")
    blind.send("SETNAME :no cap")
    assert blind.expect("FAIL SETNAME CANNOT_CHANGE_REALNAME")
    namer.send("SETNAME :")
    assert namer.expect("FAIL SETNAME INVALID_REALNAME")
    outsider = client(server, "outsider")
    namer.send("INVITE outsider #names")
    assert outsider.expect(r"INVITE outsider :#names$")
    assert seer.expect(r"^:namer!\S+ INVITE outsider :#names$")
    blind.send("PING :check")
    assert not [line for line in blind.until("PONG") if "INVITE" in line or "SETNAME" in line]
    for c in (seer, blind, namer, outsider):
        c.close()


def test_sts_is_offered_on_plain_text_with_the_tls_port(server):
    c = LineClient(server.ports["irc"])
    c.send("CAP LS 302")
    offered = c.expect(r"CAP \* LS")
    assert f"sts=port={server.ports['irc-tls']},duration=600" in offered.split()
    c.send("CAP REQ :sts")
    assert c.expect(r"CAP \* NAK :sts")
    c.close()


def test_redaction_removes_a_message_everywhere_and_from_history(server):
    author = client(server, "author", "draft/message-redaction message-tags batch draft/chathistory echo-message")
    other = client(server, "other", "draft/message-redaction")
    op = client(server, "redop", "draft/message-redaction message-tags")
    join_all("#redact", op, author, other)
    web = Web(server, "redweb")
    web.join("#redact")
    tina = telnet_client(server.ports["telnet"], "redtina", "#redact")

    author.send("PRIVMSG #redact :oops, my password")
    msgid = re.search(r"msgid=(\w+)", author.expect("oops, my password")).group(1)
    web.expect(lambda f: f.get("text") == "oops, my password")
    other.send(f"REDACT #redact {msgid}")  # not theirs, and not an operator
    assert other.expect(f"FAIL REDACT REDACT_FORBIDDEN #redact {msgid} ")
    author.send(f"REDACT #redact {msgid} :typo")
    assert other.expect(rf"^:author!\S+ REDACT #redact {msgid} :typo$")
    assert author.expect(rf"REDACT #redact {msgid} :typo$")
    gone = web.expect(lambda f: f["type"] == "redact")
    assert (gone["msgid"], gone["by"], gone["room"]) == (msgid, "author", "#redact")
    assert tina.expect(r"#redact -- author removed a message")
    author.send("CHATHISTORY LATEST #redact * 10")
    assert not [line for line in author.until(r"BATCH -") if "password" in line]
    author.send(f"REDACT #redact {msgid}")
    assert author.expect(f"FAIL REDACT UNKNOWN_MSGID #redact {msgid} ")

    web.send({"type": "msg", "to": "#redact", "text": "spam from the web"})
    spam = re.search(r"msgid=(\w+)", op.expect("spam from the web")).group(1)
    op.send(f"REDACT #redact {spam} :no spam")  # an operator removes someone else's message
    assert web.expect(lambda f: f["type"] == "redact")["msgid"] == spam
    web.send({"type": "redact", "room": "#redact", "msgid": "nonexistent", "id": 9})
    assert web.expect(lambda f: f.get("id") == 9)["code"] == "unknown_msgid"

    # A reaction (a TAGMSG, never stored) may be taken back too: by its author or an operator only.
    author.send(f"@+draft/react=+1;+draft/reply={spam} TAGMSG #redact")
    reaction = re.search(r"msgid=(\w+)", author.expect(r" TAGMSG #redact$")).group(1)
    other.send(f"REDACT #redact {reaction}")
    assert other.expect(f"FAIL REDACT REDACT_FORBIDDEN #redact {reaction} ")
    author.send(f"REDACT #redact {reaction}")
    assert op.expect(rf"^:author!\S+ REDACT #redact {reaction}$")
    for c in (author, other, op, web, tina):
        c.close()


def test_multiline_messages_on_every_surface(server):
    c = LineClient(server.ports["irc"])
    c.send("CAP LS 302")
    assert "draft/multiline=max-bytes=4096,max-lines=24" in c.expect(r"CAP \* LS").split()
    c.close()
    poet = client(server, "poet", "draft/multiline batch message-tags draft/chathistory")
    reader = client(server, "mlreader", "draft/multiline batch message-tags")
    plain = client(server, "mlplain")
    join_all("#poems", poet, reader, plain)
    web = Web(server, "mlweb")
    web.join("#poems")
    tina = telnet_client(server.ports["telnet"], "mltina", "#poems")

    poet.send("BATCH +p1 draft/multiline #poems")
    poet.send("@batch=p1 PRIVMSG #poems :roses are red")
    poet.send("@batch=p1 PRIVMSG #poems :violets are ")
    poet.send("@batch=p1;draft/multiline-concat PRIVMSG #poems :blue")
    poet.send("BATCH -p1")
    start = reader.expect(r"BATCH \+\S+ draft/multiline #poems")
    ref = start.split()[3][1:]
    inside = [line for line in reader.until(rf"BATCH -{ref}") if line.startswith(f"@batch={ref} ")]
    assert [re.sub(CLOAK, "HOST", line) for line in inside] == [
        f"@batch={ref} :poet!~poet@HOST PRIVMSG #poems :roses are red",
        f"@batch={ref} :poet!~poet@HOST PRIVMSG #poems :violets are blue"]
    assert plain.expect("roses are red$") and plain.expect("violets are blue$")
    assert web.expect(lambda f: f.get("type") == "message")["text"] == "roses are red\nviolets are blue"
    assert tina.expect(r"#poems <poet> roses are red$") and tina.expect(r"^        violets are blue$")
    poet.send("CHATHISTORY LATEST #poems * 5")
    replay = poet.until(r"BATCH -\S+$")  # the chathistory batch's end (or the multiline one within it)
    assert any("draft/multiline #poems" in line and line.startswith("@batch=") for line in replay)

    poet.send("BATCH +p2 draft/multiline #poems")
    for i in range(25):
        poet.send(f"@batch=p2 PRIVMSG #poems :line {i}")
    poet.send("BATCH -p2")
    assert poet.expect("FAIL BATCH MULTILINE_MAX_LINES 24 ")
    poet.send("BATCH +p3 draft/multiline #poems")
    poet.send("@batch=p3 PRIVMSG #elsewhere :wrong room")
    poet.send("BATCH -p3")
    assert poet.expect("FAIL BATCH MULTILINE_INVALID_TARGET #poems #elsewhere ")
    plain.send("BATCH +x draft/multiline #poems")
    assert plain.expect("FAIL BATCH MULTILINE_INVALID ")
    plain.send("PING :end")
    plain.expect("PONG")
    assert not [line for line in plain.lines if "line 3" in line or "wrong room" in line]
    for x in (poet, reader, plain, web, tina):
        x.close()


def test_read_markers_follow_a_person_across_protocols(server):
    talker = client(server, "rmtalker", "message-tags server-time")
    talker.send("JOIN #reading")
    talker.expect(" 366 ")
    for i in range(4):
        talker.send(f"PRIVMSG #reading :message {i}")
        talker.send("PING :x")
        talker.expect("PONG")
    dana = client(server, "dana", "draft/read-marker message-tags server-time")
    dana.send("REGISTER * * :dana-password")  # read markers follow an account, wherever it logs in
    dana.expect("REGISTER SUCCESS dana ")
    dana.send("MARKREAD #reading")
    assert dana.expect("FAIL MARKREAD INVALID_TARGET #reading ")  # a room's marker is for its members
    dana.send("JOIN #reading")
    assert dana.expect(r"MARKREAD #reading timestamp=\*$")  # on join: nothing read yet
    dana.send("MARKREAD #reading timestamp=2020-01-01T00:00:00.000Z")
    first = dana.expect(r"MARKREAD #reading timestamp=").split("timestamp=")[1]
    assert first == "2020-01-01T00:00:00.000Z"
    dana.send("MARKREAD #reading timestamp=2019-01-01T00:00:00.000Z")  # never moves back
    assert dana.expect(r"MARKREAD #reading timestamp=").endswith(first)
    dana.send("MARKREAD #reading timestamp=yesterday")
    assert dana.expect("FAIL MARKREAD INVALID_PARAMS #reading ")
    dana.send("QUIT")
    assert dana.closed()

    web = Web(server, "dana", "dana-password")  # the same person, now in a browser
    web.send({"type": "join", "room": "#reading", "id": 1})
    joined = web.expect(lambda f: f.get("id") == 1)
    assert 1577836800.0 <= joined["read"] < 1577836800.001  # the whole millisecond IRC named
    stamps = [m["time"] for m in joined["history"]]
    web.send({"type": "read", "room": "#reading", "time": stamps[1]})
    assert web.expect(lambda f: f["type"] == "read")["time"] == stamps[1]
    web.close()

    tina = LineClient(server.ports["telnet"])  # and on a terminal
    tina.expect("Pick a nick")
    tina.send("/login dana dana-password")
    tina.expect("Hello dana")
    tina.send("/join #reading")
    replay = tina.until(r"message 3$")
    texts = [line for line in replay if "message" in line or "new since" in line]
    assert [t.split("] ", 1)[-1] if "] " in t else t for t in texts][-3:] == [
        "*** #reading: 2 new since you left", "#reading <rmtalker> message 2", "#reading <rmtalker> message 3"]
    tina.send("/quit")
    assert tina.closed()

    dana = client(server, "dana", "draft/read-marker")
    dana.send("NS IDENTIFY dana-password")
    dana.expect(" 900 dana ")
    dana.send("JOIN #reading")  # back on IRC: the join tells how far the terminal session read
    latest = dana.expect(r"MARKREAD #reading timestamp=")
    assert not latest.endswith("*") and latest.split("timestamp=")[1] > first
    for c in (talker, dana):
        c.close()
