"""Telnet users: nick prompt, slash commands, readable output, IAC bytes."""

from __future__ import annotations

import re

import pytest

from .support.memory import Memory, irc_factory, irc_user, memory_network, telnet_factory

pytestmark = pytest.mark.unit

TIME = r"\[\d\d:\d\d\] "


def telnet_user(factory, nick):
    conn = Memory(factory)
    assert conn.read()[-1] == "*** Pick a nick (or /login name password):"
    conn.send(nick)
    assert conn.read()[0].startswith(f"*** Hello {nick}.")
    return conn


def test_nick_prompt_repeats_until_a_good_nick():
    network, clock = memory_network()
    factory = telnet_factory(network, clock)
    telnet_user(factory, "taken")
    conn = Memory(factory)
    conn.read()
    conn.send("9bad")
    assert conn.read() == ["*** 9bad: Erroneous nickname. Pick another nick:"]
    conn.send("TAKEN")
    assert conn.read() == ["*** TAKEN: Nickname is already in use. Pick another nick:"]
    conn.send("fine")
    assert conn.read()[0].startswith("*** Hello fine.")


def test_telnet_and_irc_users_share_a_room():
    network, clock = memory_network()
    tel = telnet_user(telnet_factory(network, clock), "tina")
    irc = irc_user(irc_factory(network, clock), "ivan")
    irc.send("JOIN #lobby")
    irc.read()
    tel.send("/join lobby")
    lines = tel.read()
    assert re.fullmatch(TIME + r"#lobby -- tina \(telnet\) joined", lines[0])
    assert lines[-1] == "*** #lobby (2): @ivan (irc), tina (telnet)"
    assert irc.read() == [":tina!telnet@10.0.0.1 JOIN #lobby"]
    tel.send("hello irc people")
    assert irc.read() == [":tina!telnet@10.0.0.1 PRIVMSG #lobby :hello irc people"]
    assert re.fullmatch(TIME + "#lobby <tina> hello irc people", tel.read()[0])
    irc.send("PRIVMSG #lobby :hello telnet")
    assert re.fullmatch(TIME + "#lobby <ivan> hello telnet", tel.read()[0])
    tel.send("/me waves")
    assert irc.read() == [":tina!telnet@10.0.0.1 PRIVMSG #lobby :\x01ACTION waves\x01"]
    irc.send("PRIVMSG tina :just you")
    assert re.fullmatch(TIME + r"\[ivan -> tina\] just you", tel.read()[-1])
    tel.send("/msg ivan back at you")
    assert irc.read() == [":tina!telnet@10.0.0.1 PRIVMSG ivan :back at you"]


def test_commands():
    network, clock = memory_network()
    factory = telnet_factory(network, clock)
    tel = telnet_user(factory, "tina")
    tel.send("hello?")
    assert tel.read() == ["*** You are in no room: /join #room first."]
    tel.send("/join #a")
    tel.send("/topic our room")
    tel.read()
    tel.send("/topic")
    assert tel.read() == ["*** #a topic: our room"]
    tel.send("/list")
    assert tel.read() == ["*** #a (1) our room"]
    tel.send("/nick tinA2")
    assert re.fullmatch(TIME + "-- tina is now known as tinA2", tel.read()[0])
    tel.send("/names")
    assert tel.read() == ["*** #a (1): @tinA2 (telnet)"]
    tel.send("/frob")
    assert tel.read() == ["*** Unknown command /frob; /help lists them."]
    tel.send("/help")
    assert any("/join #room" in line for line in tel.read())
    tel.send("/part")
    assert re.fullmatch(TIME + "#a -- tinA2 left", tel.read()[0])
    tel.send("/msg nobody hi")
    assert tel.read() == ["*** nobody: No such nick"]
    tel.send("/quit bye")
    assert tel.read() == ["*** Closing: Quit: bye"] and tel.transport.disconnecting


def test_mode_as_irc_users_type_it():
    """/mode +o nick in the current room, and /mode #room +o nick for another one."""
    network, clock = memory_network()
    factory = telnet_factory(network, clock)
    tina = telnet_user(factory, "tina")
    sam = telnet_user(factory, "sam")
    for user in (tina, sam):
        user.send("/join #a")
    tina.send("/join #b")
    sam.send("/join #b")
    for user in (tina, sam):
        user.read()
    tina.send("/mode +o sam")  # the current room: #b
    assert network.find_room("#b").is_op(network.find_user("sam"))
    assert not network.find_room("#a").is_op(network.find_user("sam"))
    tina.send("/mode #a +v sam")
    assert "v" in network.find_room("#a").members[network.find_user("sam")]
    tina.read()
    tina.send("/mode #a")
    assert tina.read() == ["*** Usage: /mode [#room] +modes [args]"]


def test_telnet_negotiation_bytes_never_reach_a_room():
    network, clock = memory_network()
    irc = irc_user(irc_factory(network, clock), "ivan")
    irc.send("JOIN #r")
    irc.read()
    tel = Memory(telnet_factory(network, clock))
    tel.send(b"\xff\xfd\x18\xff\xfb\x1f\xff\xfa\x18\x00xterm\xff\xf0tina\r\n")  # DO, WILL, SB ... SE
    tel.send("/join #r")
    tel.send(b"hel\xff\xfb")  # a sequence split across reads
    tel.send(b"\x01lo\xff\xf1 there\n")  # IAC NOP inside the line, LF only
    irc_lines = irc.read()
    assert irc_lines[-1] == ":tina!telnet@10.0.0.1 PRIVMSG #r :hello there"
    # The server offers to echo and asks for the window size; of what the client offers or asks
    # for, the window size is taken (it was asked for) and the rest refused, politely.
    sent = tel.transport.value()
    assert sent.startswith(b"\xff\xfb\x01\xff\xfb\x03\xff\xfd\x1f")  # WILL ECHO, WILL SGA, DO NAWS
    assert b"\xff\xfc\x18" in sent and b"\xff\xfe\x01" in sent  # WONT TTYPE, DONT ECHO (the client's)
    assert b"\xff\xfe\x1f" not in sent  # NAWS agreed


def test_ctrl_c_drops_the_half_typed_line_and_output_goes_on():
    network, clock = memory_network()
    irc = irc_user(irc_factory(network, clock), "ivan")
    irc.send("JOIN #r")
    tel = telnet_user(telnet_factory(network, clock), "tina")
    tel.send("/join #r")
    irc.read()
    tel.read()
    tel.send(b"half a thought")
    tel.send(b"\xff\xf4\xff\xfd\x06")  # IAC IP, then IAC DO TIMING-MARK: what telnet sends on Ctrl-C
    assert tel.transport.value().endswith(b"*** Interrupted. /quit leaves the chat.\r\n\xff\xfb\x06")
    tel.read()
    tel.send(b"\xff\xf4\xff\xfd\x06")  # and again: TIMING-MARK is answered every time
    assert tel.transport.value().endswith(b"\xff\xfb\x06")
    tel.read()
    tel.send("second thought")
    assert irc.read() == [":tina!telnet@10.0.0.1 PRIVMSG #r :second thought"]
    irc.send("PRIVMSG #r :still there?")
    assert tel.read()[-1].endswith("#r <ivan> still there?")


def test_control_characters_are_shown_inert():
    network, clock = memory_network()
    tel = telnet_user(telnet_factory(network, clock), "tina")
    irc = irc_user(irc_factory(network, clock), "ivan")
    tel.send("/join #r")
    irc.send("JOIN #r")
    tel.read()
    irc.send("PRIVMSG #r :\x1b[2Jcleared?")
    assert re.fullmatch(TIME + r"#r <ivan> \?\[2Jcleared\?", tel.read()[0])


def test_joining_shows_the_last_lines_of_the_room():
    from .support.memory import memory_history

    network, clock = memory_network()
    memory_history(network, clock)
    irc = irc_user(irc_factory(network, clock), "ivan")
    irc.send("JOIN #r")
    for i in range(15):
        irc.send(f"PRIVMSG #r :said {i}")
    clock.advance(0)
    factory = telnet_factory(network, clock)
    factory.replay_lines = 3
    tel = telnet_user(factory, "tina")
    tel.send("/join #r")
    lines = tel.read()
    at = lines.index("*** #r: the last 3 messages")
    assert [re.sub(TIME, "", line) for line in lines[at + 1:]] == ["#r <ivan> said 12", "#r <ivan> said 13",
                                                                   "#r <ivan> said 14"]


def test_nothing_from_other_people_drives_the_terminal():
    network, clock = memory_network()
    irc = irc_user(irc_factory(network, clock), "ivan")
    irc.send("JOIN #r")
    tel = telnet_user(telnet_factory(network, clock), "tina")
    tel.send("/join #r")
    tel.read()
    hostile = ("\x1b]8;;http://evil.example/\x07click\x1b]8;;\x07 \u009b2J \x1b[31m\x02bold\x02 \x0304red\x03"
               " \u202egnp.exe")
    irc.send(f"TOPIC #r :{hostile}")
    irc.send(f"PRIVMSG #r :{hostile}")
    tel.send("/topic")
    tel.send("/list")
    raw = tel.transport.value().decode("utf-8")
    for dangerous in ("\x1b", "\u009b", "\x07", "\x02", "\x03", "\u202e"):
        assert dangerous not in raw, repr(dangerous)
    assert "bold red" in raw  # formatting dropped, the words kept
    tel.read()
    tel.send("/colors on")
    irc.send("PRIVMSG #r :\x02bold\x02 and \x0304red\x03 \x1b[2J")
    shown = tel.transport.value().decode("utf-8")
    assert "\x1b[0;1mbold\x1b[0m and \x1b[0;91mred\x1b[0m ?[2J\x1b[0m\r\n" in shown  # only chatd's own SGR


def test_a_kick_during_the_replay_is_no_internal_error():
    from twisted.internet import defer
    from twisted.logger import globalLogPublisher

    from .support.memory import memory_history

    network, clock = memory_network()
    store = memory_history(network, clock)
    irc = irc_user(irc_factory(network, clock), "ivan")
    irc.send("JOIN #r")
    irc.send("PRIVMSG #r :before")
    clock.advance(0)
    slow: defer.Deferred = defer.Deferred()
    stored = store.latest
    store.latest = lambda key, count: slow  # a history read still under way
    tel = telnet_user(telnet_factory(network, clock), "tina")
    tel.send("/join #r")
    tel.read()
    irc.send("KICK #r tina :not now")
    logged: list = []
    globalLogPublisher.addObserver(logged.append)
    try:
        stored("r", 10).addCallback(slow.callback)
        clock.advance(0)
    finally:
        globalLogPublisher.removeObserver(logged.append)
    lines = tel.read()
    assert any("kicked" in line and "not now" in line for line in lines), lines
    assert not any("Internal error" in line or "the last" in line for line in lines), lines
    assert not [e for e in logged if e.get("log_failure") is not None]  # a kick is no crash
