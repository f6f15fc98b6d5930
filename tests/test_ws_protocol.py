"""The chatd.v1 WebSocket protocol, in memory: a real WebSocket client
(the ``websockets`` sans-I/O protocol) against our Autobahn protocol."""

from __future__ import annotations

import pytest

from chatd.net.flood import FloodPolicy

from .support.memory import MemoryWebSocket, irc_factory, irc_user, memory_network, ws_factory

pytestmark = pytest.mark.unit


@pytest.fixture
def net():
    network, clock = memory_network()
    return network, clock, ws_factory(network, clock)


def hello(factory, nick):
    ws = MemoryWebSocket(factory)
    assert ws.open and ws.client.subprotocol == "chatd.v1"
    ws.send({"type": "hello", "nick": nick, "id": 1})
    frames = ws.read()
    assert frames[0]["type"] == "welcome" and frames[0]["nick"] == nick and frames[0]["id"] == 1
    return ws


def test_welcome_describes_the_server(net):
    network, _, factory = net
    ws = MemoryWebSocket(factory)
    ws.send({"type": "hello", "nick": "wendy", "id": "a"})
    (welcome,) = ws.read()
    assert welcome["network"] == "TestNet" and welcome["server"] == "irc.test"
    assert welcome["limits"]["nicklen"] == 30 and welcome["protocol"] == "chatd.v1"
    assert network.find_user("wendy").protocol == "web"


def test_errors_answer_bad_frames_without_disconnecting(net):
    _, _, factory = net
    ws = MemoryWebSocket(factory)
    ws.send({"type": "join", "room": "#a", "id": 7})
    ws.send("{not json")
    ws.send("[1, 2]")
    ws.send({"type": "launch-missiles", "id": 8})
    ws.send(b"\x00\x01binary")
    ws.send({"type": "hello", "id": 9})
    ws.send({"type": "hello", "nick": "9bad", "id": 10})
    codes = [(f["code"], f.get("id"), f.get("re")) for f in ws.read()]
    assert codes == [
        ("not_registered", 7, "join"), ("bad_json", None, None), ("bad_frame", None, None),
        ("unknown_type", 8, "launch-missiles"), ("binary", None, None), ("bad_field", 9, "hello"),
        ("bad_nick", 10, "hello"),
    ]
    assert ws.open
    ws.send({"type": "hello", "nick": "fine", "id": 11})
    assert ws.read()[0]["type"] == "welcome"


def test_oversized_frame_gets_an_error(net):
    network, clock, _ = net
    factory = ws_factory(network, clock, max_message=1000)
    ws = hello(factory, "wendy")
    ws.send({"type": "msg", "to": "#a", "text": "x" * 2000, "id": 5})
    assert ws.read() == [{"type": "error", "code": "too_large", "message": "Frame larger than 1000 bytes"}]
    assert ws.open


def test_join_message_and_presence_with_an_irc_user(net):
    network, clock, factory = net
    ivan = irc_user(irc_factory(network, clock), "ivan")
    ivan.send("JOIN #lobby")
    ivan.send("TOPIC #lobby :Lobby talk")
    ivan.read()
    ws = hello(factory, "wendy")
    ws.send({"type": "join", "room": "#Lobby", "id": 2})
    presence, joined = ws.read()
    assert presence == {"type": "presence", "event": "join", "room": "#lobby", "nick": "wendy",
                        "protocol": "web", "time": presence["time"]}
    assert joined["type"] == "joined" and joined["id"] == 2 and joined["topic"] == "Lobby talk"
    assert [(m["nick"], m["protocol"], m["op"]) for m in joined["members"]] == [("ivan", "irc", True),
                                                                               ("wendy", "web", False)]
    assert ivan.read() == [":wendy!web@10.0.0.2 JOIN #lobby"]

    ws.send({"type": "msg", "to": "#lobby", "text": "hello from the web", "id": 3})
    echo, ack = ws.read()
    assert echo["type"] == "message" and echo["from"] == "wendy" and echo["text"] == "hello from the web"
    assert ack == {"type": "ack", "msgid": echo["id"], "time": echo["time"], "id": 3}
    assert ivan.read() == [":wendy!web@10.0.0.2 PRIVMSG #lobby :hello from the web"]

    ivan.send("PRIVMSG #lobby :hello from irc")
    (message,) = ws.read()
    assert (message["room"], message["from"], message["protocol"], message["text"]) == (
        "#lobby", "ivan", "irc", "hello from irc")

    ivan.send("PART #lobby :bye")
    (part,) = ws.read()
    assert (part["event"], part["nick"], part["reason"]) == ("part", "ivan", "bye")


def test_newlines_from_the_web_cannot_inject_irc_commands(net):
    network, clock, factory = net
    ivan = irc_user(irc_factory(network, clock), "ivan")
    ws = hello(factory, "wendy")
    ws.send({"type": "msg", "to": "ivan", "text": "hi\r\nQUIT :owned\nJOIN #x"})
    # Several lines stay one message; a client without draft/multiline gets each as a PRIVMSG
    # from wendy, never as a command of its own.
    assert ivan.read() == [":wendy!web@10.0.0.2 PRIVMSG ivan :hi", ":wendy!web@10.0.0.2 PRIVMSG ivan :QUIT :owned",
                           ":wendy!web@10.0.0.2 PRIVMSG ivan :JOIN #x"]
    multi = irc_user(irc_factory(network, clock), "multi", caps="draft/multiline batch message-tags")
    ws.send({"type": "msg", "to": "multi", "text": "one\ntwo", "id": 1})
    start, first, second, end = multi.read()
    ref = start.split()[3][1:]
    assert start.startswith("@msgid=") and start.endswith(f"BATCH +{ref} draft/multiline multi")
    assert (first, second, end) == (f"@batch={ref} :wendy!web@10.0.0.2 PRIVMSG multi :one",
                                    f"@batch={ref} :wendy!web@10.0.0.2 PRIVMSG multi :two",
                                    f":wendy!web@10.0.0.2 BATCH -{ref}")


def test_direct_messages_both_ways(net):
    network, clock, factory = net
    ivan = irc_user(irc_factory(network, clock), "ivan")
    ws = hello(factory, "wendy")
    ws.send({"type": "msg", "to": "Ivan", "text": "psst", "id": 4})
    echo, ack = ws.read()
    assert (echo["to"], echo["from"], "room" in echo) == ("ivan", "wendy", False)
    assert ack["msgid"] == echo["id"]
    ivan.read()
    ivan.send("PRIVMSG wendy :psst back")
    (dm,) = ws.read()
    assert (dm["from"], dm["to"], dm["text"]) == ("ivan", "wendy", "psst back")
    ws.send({"type": "msg", "to": "nobody", "text": "x", "id": 5})
    assert ws.read()[0]["code"] == "no_such_nick"


def test_topic_names_list_nick_away_ping(net):
    network, clock, factory = net
    ws = hello(factory, "wendy")
    ws.send({"type": "join", "room": "#a"})
    ws.read()
    ws.send({"type": "topic", "room": "#a", "topic": "new topic"})
    (topic,) = ws.read()
    assert (topic["type"], topic["topic"], topic["by"]) == ("topic", "new topic", "wendy")
    ws.send({"type": "topic", "room": "#a", "id": 1})
    assert ws.read()[0]["topic"] == "new topic"
    ws.send({"type": "names", "room": "#a", "id": 2})
    assert [m["nick"] for m in ws.read()[0]["members"]] == ["wendy"]
    ws.send({"type": "list", "id": 3})
    assert ws.read()[0]["rooms"] == [{"name": "#a", "members": 1, "topic": "new topic"}]
    ws.send({"type": "nick", "nick": "wendell"})
    (nick,) = ws.read()
    assert (nick["event"], nick["nick"], nick["new_nick"]) == ("nick", "wendy", "wendell")
    ws.send({"type": "away", "message": "later", "id": 4})
    assert ws.read() == [{"type": "away", "message": "later", "id": 4}]
    ws.send({"type": "ping", "id": 5})
    assert ws.read() == [{"type": "pong", "id": 5}]


def test_one_prepared_message_per_event_for_all_browsers(net, monkeypatch):
    network, clock, factory = net
    browsers = [hello(factory, f"w{i}") for i in range(5)]
    for ws in browsers:
        ws.send({"type": "join", "room": "#r"})
    for ws in browsers:
        ws.read()
    prepared = []
    original = factory.prepareMessage
    monkeypatch.setattr(factory, "prepareMessage", lambda data: prepared.append(data) or original(data))
    browsers[0].send({"type": "msg", "to": "#r", "text": "to everyone"})
    assert len(prepared) == 1
    assert all(ws.read()[-1]["text"] == "to everyone" for ws in browsers[1:])


def test_only_the_public_host_listed_origins_and_this_machine_get_in(net):
    network, clock, _ = net
    factory = ws_factory(network, clock, public_hosts=("localhost", "127.0.0.1", "::1", "chat.test"))
    evil = MemoryWebSocket(factory, origin="https://evil.example")
    assert not evil.open and evil.handshake_status == 403
    # DNS rebinding: the attacker's name points here, so Origin and Host agree; it is still refused.
    rebound = MemoryWebSocket(factory, origin="http://rebind.example:8080", uri="ws://rebind.example:8080/ws")
    assert not rebound.open and rebound.handshake_status == 403
    assert MemoryWebSocket(factory, origin="http://chat.test").open
    assert MemoryWebSocket(factory, origin="http://127.0.0.1:8080", host="10.0.0.3").open
    assert MemoryWebSocket(factory, origin="http://[::1]:8080", host="10.0.0.4").open
    listed = ws_factory(network, clock, allowed_origins=("https://chat.example.org",))
    assert MemoryWebSocket(listed, origin="https://chat.example.org").open
    assert not MemoryWebSocket(listed, origin="http://chat.test").open
    assert not MemoryWebSocket(listed, origin="http://[bad").open


def test_unknown_subprotocol_is_refused(net):
    _, _, factory = net
    ws = MemoryWebSocket(factory, subprotocols=("chatd.v9",))
    assert not ws.open and ws.handshake_status == 400


def test_flood_closes_the_socket_and_the_nick_is_freed(net):
    network, clock, _ = net
    factory = ws_factory(network, clock, flood=FloodPolicy(rate=1, burst=3, max_queue=5))
    ws = hello(factory, "spammer")
    sent = 0
    while ws.open and sent < 50:
        ws.send({"type": "ping", "id": sent})
        sent += 1
    assert sent == 2 + 5 + 1  # the burst left after hello, the queue, and one too many
    assert ws.proto.guard.reason == "Excess Flood"
    ws.proto.onClose(True, 1008, "Excess Flood")
    assert network.find_user("spammer") is None


def test_lone_surrogates_are_refused_and_poison_nothing(net):
    network, clock, factory = net
    ivan = irc_user(irc_factory(network, clock), "ivan")
    ivan.send("JOIN #r")
    ws = hello(factory, "wendy")
    ws.send({"type": "join", "room": "#r", "id": 1})
    ws.read()
    for raw in ('{"type":"topic","room":"#r","topic":"\\udfff","id":2}',
                '{"type":"away","message":"gone \\ud800","id":3}',
                '{"type":"msg","to":"#r","text":"\\udc00","id":4}',
                '{"type":"ping","id":"\\udfff"}'):
        ws.send(raw)
        (error,) = ws.read()
        assert error["code"] == "bad_field" and "id" not in error  # nothing broken is echoed back
    ivan.read()
    ivan.send("LIST")
    assert ":irc.test 322 ivan #r 2 :" in ivan.read()
    ws.send({"type": "list", "id": 5})
    ws.send({"type": "names", "room": "#r", "id": 6})
    listing, names = ws.read()
    assert listing["rooms"] == [{"name": "#r", "members": 2, "topic": ""}]
    assert [m["nick"] for m in names["members"]] == ["ivan", "wendy"] and names["members"][1]["away"] is None


def test_a_hello_with_a_broken_realname_holds_no_nick(net):
    network, _, factory = net
    ws = MemoryWebSocket(factory)
    ws.send('{"type":"hello","nick":"ghost","realname":"\\udfff","id":1}')
    assert ws.read()[0]["code"] == "bad_field" and network.find_user("ghost") is None


def test_deep_nesting_is_refused_before_parsing(net):
    _, _, factory = net
    ws = hello(factory, "wendy")
    ws.send('{"type":"ping","x":' + "[" * 16000 + "]" * 16000 + "}")
    (error,) = ws.read()
    assert error["code"] in ("too_deep", "too_large") and ws.open
    ws.send('{"type":"ping","x":' + "[" * 20 + "]" * 20 + ',"id":1}')
    assert ws.read() == [{"type": "error", "code": "too_deep", "message": "Frame nests deeper than 16 levels"}]
    ws.send({"type": "ping", "id": 2, "deep": [[["three"]]]})
    assert ws.read() == [{"type": "pong", "id": 2}]


def test_look_alike_and_invisible_room_names_are_refused(net):
    network, _, factory = net
    ws = hello(factory, "wendy")
    for name in ("#g\u0435neral", "#gen\u200beral", "#\u202egeneral", "#tab\tname"):
        ws.send({"type": "join", "room": name, "id": 1})
        (error,) = ws.read()
        assert error["code"] == "bad_room_name", name
    ws.send({"type": "join", "room": "#caf\u0065\u0301", "id": 2})  # decomposed é: stored as NFC
    assert ws.read()[-1]["room"] == "#caf\u00e9"
    ws.send({"type": "join", "room": "#日本語チャット", "id": 3})
    assert ws.read()[-1]["type"] == "joined"
    assert network.find_room("#café") is not None


def test_a_message_over_the_hard_limit_is_closed_with_1009(net):
    network, clock, _ = net
    factory = ws_factory(network, clock, max_message=1000, hard_max_message=100_000)
    ws = hello(factory, "wendy")
    chunk = b"x" * 40_000
    ws.client.send_text(b'{"type":"msg","to":"#r","text":"' + chunk, fin=False)
    for _ in range(3):
        ws.client.send_continuation(chunk, fin=False)
    ws._pump()
    assert ws.client.close_rcvd is not None and ws.client.close_rcvd.code == 1009


def test_operators_moderate_and_anyone_looks_up_from_the_web(net):
    network, clock, factory = net
    ivan = irc_user(irc_factory(network, clock), "ivan")
    ivan.send("JOIN #mod")
    ivan.read()
    op = hello(factory, "opal")
    op.send({"type": "join", "room": "#mod"})  # ivan created #mod: opal is a member, not an operator
    op.read()
    op.send({"type": "kick", "room": "#mod", "nick": "ivan", "id": 1})
    assert op.read()[-1]["code"] == "not_operator"
    ivan.send("MODE #mod +o opal")
    ivan.read()
    op.read()
    op.send({"type": "mode", "room": "#mod", "modes": "+v-o+k", "args": ["opal", "ivan", "sesame"], "id": 2})
    frames = op.read()
    assert frames[-1] == {"type": "ok", "applied": [["+", "v", "opal"], ["-", "o", "ivan"], ["+", "k", "sesame"]],
                          "id": 2}
    assert ivan.read() == [":opal!web@10.0.0.2 MODE #mod +v-o+k opal ivan sesame"]
    op.send({"type": "mode", "room": "#mod", "modes": "+Z", "id": 3})
    assert op.read()[-1]["code"] == "unknown_mode"
    op.send({"type": "whois", "nick": "ivan", "id": 4})
    who = op.read()[-1]
    assert (who["protocol"], who["rooms"], who["host"]) == ("irc", ["#mod"], "10.0.0.1")
    op.send({"type": "invite", "nick": "ivan", "room": "#elsewhere", "id": 5})
    assert op.read()[-1] == {"type": "ok", "nick": "ivan", "id": 5}
    op.send({"type": "kick", "room": "#mod", "nick": "ivan", "reason": "bye", "id": 6})
    assert op.read()[-1] == {"type": "ok", "id": 6}
    assert ivan.read()[-1] == ":opal!web@10.0.0.2 KICK #mod ivan :bye"
