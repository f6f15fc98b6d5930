"""Modern IRC conformance against a real daemon over real sockets: WHO (flags,
masks, visibility, WHOX), WHOWAS, TIME, INFO, HELP, the default MOTD, LIST
conditions (ELIST), and the input rules (417 for tags, 461, 525, UTF8ONLY)."""

from __future__ import annotations

import re

import pytest

from .support.parts import CLOAK
from .support.processes import Daemon
from .support.sockets import LineClient, irc_client, irc_register

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    d = Daemon("--flood-rate", "0", state_dir=tmp_path_factory.mktemp("conformance")).start()
    yield d
    d.kill()


def client(server, nick, caps=""):
    return irc_client(server.ports["irc"], nick, caps)


def numerics(lines):
    return [line.split()[1] for line in lines]


def test_welcome_has_a_motd_and_truthful_isupport(server):
    c = LineClient(server.ports["irc"])
    irc_register(c, "motdreader")
    burst = c.until(r" (376|422) ")
    assert " 422 " not in burst[-1] and any(" 372 " in line and "/join #general" in line for line in burst)
    tokens = " ".join(line for line in burst if " 005 " in line)
    for token in ("WHOX", "ELIST=CMNTU", "KEYLEN=32", "UTF8ONLY"):
        assert token in tokens


def test_who_flags_masks_visibility_and_whox(server):
    op = client(server, "whoop", "multi-prefix away-notify")
    member = client(server, "whomember")
    stranger = client(server, "whostranger")
    op.send("JOIN #whoroom")
    op.expect(" 366 ")
    member.send("JOIN #whoroom")
    member.expect(" 366 ")
    op.send("MODE #whoroom +v whoop")
    op.send("AWAY :lunch")
    op.expect(" 306 ")
    member.send("MODE whomember +i")
    member.expect(r"MODE whomember :\+i")

    op.send("WHO #whoroom")
    lines = [line for line in op.until(" 315 ") if " 352 " in line]
    assert ":0 whoop Example" in lines[0] and lines[0].split()[8] == "G@+"  # away op with voice, multi-prefix
    assert lines[1].split()[8] == "H"

    stranger.send("WHO whom*")  # a mask: the invisible member stays hidden from a stranger
    assert numerics(stranger.until(" 315 ")) == ["315"]
    op.send("WHO whom*")  # ... but not from someone sharing a room
    found = [line for line in op.until(" 315 ") if " 352 " in line or " 315 " in line]
    assert numerics(found) == ["352", "315"] and found[0].split()[7] == "whomember"
    stranger.send("WHO *")
    nicks = {line.split()[7] for line in stranger.until(" 315 ") if " 352 " in line}
    assert "whoop" in nicks and "whomember" not in nicks
    stranger.send("WHO #whoroom")  # from outside the room: only the visible
    assert {line.split()[7] for line in stranger.until(" 315 ") if " 352 " in line} == {"whoop"}

    op.send("WHO #whoroom %tcuhnfar,42")
    whox = [line for line in op.until(" 315 ") if " 354 " in line]
    fields = whox[0].split()[1:]
    assert re.fullmatch(CLOAK, fields[5])  # the host others see is a cloak, not 127.0.0.1
    assert fields[:5] + fields[6:] == ["354", "whoop", "42", "#whoroom", "~whoop", "whoop", "G@+", "0",
                                       ":whoop", "Example"]
    for c in (op, member, stranger):
        c.close()


def test_whowas_remembers_quits_and_renames(server):
    gone = client(server, "leaver")
    asker = client(server, "asker")
    gone.send("NICK renamed")
    gone.expect("NICK :renamed")
    gone.send("QUIT :bye")
    assert gone.closed()
    asker.send("WHOWAS leaver")
    lines = asker.until(" 369 ")
    assert numerics(lines) == ["314", "312", "369"]
    assert re.search(rf"leaver ~leaver {CLOAK} \* :leaver Example", lines[0])
    asker.send("WHOWAS renamed,nobodyever 1")
    assert numerics(asker.until(" 369 .* nobodyever ")) == ["314", "312", "369", "406", "369"]
    asker.send("WHOWAS")
    assert numerics(asker.until(" 431 ")) == ["431"]
    asker.close()


def test_time_info_and_help(server):
    c = client(server, "curious")
    c.send("TIME")
    assert re.search(r" 391 curious \S+ \d+ 0 :\w+day ", c.expect(" 391 "))
    c.send("TIME elsewhere.example")
    assert c.expect(" 402 ")
    c.send("VERSION")  # RPL_VERSION, then the ISUPPORT tokens again
    version = c.until(r" 005 .*WHOX")
    assert re.search(r" 351 curious chatd-\S+ \S+ :", version[0])
    assert numerics(version)[1:] == ["005"] * (len(version) - 1)
    c.send("VERSION elsewhere.example")
    assert c.expect(" 402 curious elsewhere.example ")
    c.send("INFO")
    assert numerics(c.until(" 374 "))[-2:] == ["371", "374"]
    c.send("HELP")
    index = c.until(" 706 ")
    assert numerics(index)[0] == "704" and "WHOWAS" in " ".join(index)
    c.send("HELPOP who")
    who = c.until(" 706 ")
    assert numerics(who) == ["704", "705", "705", "706"] and "WHOX" in " ".join(who)
    c.send("HELP FROBNICATE")
    assert c.expect(" 524 curious FROBNICATE :No help available")
    c.close()


def test_list_conditions(server):
    c = client(server, "lister")
    busy = [client(server, f"busy{i}") for i in range(3)]
    for b in busy:
        b.send("JOIN #elist-busy")
    c.send("JOIN #elist-quiet")
    c.send("TOPIC #elist-quiet :shh")
    c.expect(" TOPIC #elist-quiet ")

    def listed(arg):
        c.send(f"LIST {arg}")
        return {line.split()[3] for line in c.until(" 323 ") if " 322 " in line}

    assert listed(">2") >= {"#elist-busy"} and "#elist-quiet" not in listed(">2")
    assert "#elist-quiet" in listed("<2") and "#elist-busy" not in listed("<2")
    assert listed("#elist-*") == {"#elist-busy", "#elist-quiet"}
    assert listed("#elist-*,!*quiet") == {"#elist-busy"}
    assert listed("#elist-*,C<5") == {"#elist-busy", "#elist-quiet"} and listed("#elist-*,C>5") == set()
    assert listed("#elist-*,T<5") == {"#elist-quiet"}
    assert listed("#elist-busy") == {"#elist-busy"}
    for b in busy:
        b.close()
    c.close()


def test_bad_input_gets_the_numeric_or_fail_the_spec_names(server):
    alice = client(server, "inputalice")
    bob = client(server, "inputbob")
    for c in (alice, bob):
        c.send("JOIN #input")
        c.expect(" 366 ")
    alice.send("@+big=" + "x" * 4096 + " PRIVMSG #input :hidden")
    assert alice.expect(" 417 ")
    alice.send(b"PRIVMSG #input :caf\xe9\r\n")
    assert alice.expect("FAIL PRIVMSG INVALID_UTF8 ")
    alice.send("MODE #input +k :pass phrase")
    assert alice.expect(" 525 inputalice #input :Key is not well-formed")
    alice.send("MODE #input +k a,b")
    assert alice.expect(" 525 ")
    alice.send("PRIVMSG #input :visible")
    assert bob.expect("PRIVMSG #input :visible")
    assert not [line for line in bob.lines if "hidden" in line or "caf" in line]

    late = LineClient(server.ports["irc"])
    late.send("NICK emptyreal")
    late.send("USER u 0 * :")
    assert late.expect(" 461 emptyreal USER ")
    late.send("USER u 0 * :Real Name")
    assert late.expect(" 001 ")
    for c in (alice, bob, late):
        c.close()


def test_away_notify_on_join_and_bot_mode(server):
    watcher = client(server, "awaywatcher", "away-notify")
    watcher.send("JOIN #awayjoin")
    watcher.expect(" 366 ")
    sleeper = client(server, "sleeper")
    sleeper.send("AWAY :napping")
    sleeper.expect(" 306 ")
    sleeper.send("MODE sleeper +B")
    sleeper.expect(r"MODE sleeper :\+B")
    sleeper.send("JOIN #awayjoin")
    assert watcher.expect(r"^:sleeper!\S+ JOIN #awayjoin$")
    assert watcher.expect(r"^:sleeper!\S+ AWAY :napping$")
    watcher.send("WHOIS sleeper")
    assert " 335 " in " ".join(watcher.until(" 318 "))
    watcher.send("WHO sleeper")
    assert watcher.expect(" 352 ").split()[8] == "GB"
    watcher.close()
    sleeper.close()
