"""A connection's replies leave in the order its commands came, also when a command waits.

OPER checks its password on a thread, MARKREAD and CHATHISTORY wait on the history store: a
client that sends its next command at once (as bots and labeled-response clients do) must still
get the answers in order, and its next command must only take effect after the first one's.
Against a real daemon, since the waiting is real there (threads, the SQLite writer).
"""

from __future__ import annotations

import re

import pytest

from chatd.accounts.passwords import scrypt_hash

from .support.processes import Daemon
from .support.sockets import LineClient, irc_client

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def ordered(tmp_path_factory):
    state = tmp_path_factory.mktemp("order")
    config = state / "chatd.toml"
    config.write_text(f'[[operators]]\nname = "root"\npassword = "{scrypt_hash("root-password")}"\n')
    d = Daemon("--config", str(config), "--flood-rate", "0", state_dir=state).start()
    yield d
    d.kill()


def numbers_and_pongs(lines: list[str]) -> list[str]:
    """The command word (or numeric) of each line, for comparing orders."""
    return [line.split(" ", 2)[1] if not line.startswith("@") else line.split(" ", 3)[2] for line in lines]


def test_oper_then_ping_answers_381_first_and_the_oper_holds_for_what_follows(ordered):
    c = irc_client(ordered.ports["irc"], "olga")
    # One write: OPER (a slow scrypt check), then PING, then a command only an operator may use.
    c.send(b"OPER root root-password\r\nPING :after-oper\r\nWALLOPS :hello operators\r\n")
    lines = c.until(r"PONG .*after-oper")
    words = numbers_and_pongs(lines)
    assert "381" in words and words.index("381") < words.index("PONG")
    assert not any(" 481 " in line for line in c.until(r"WALLOPS|481", timeout=10)), "WALLOPS ran before OPER"
    c.close()


def test_a_failed_oper_is_still_answered_before_the_next_command(ordered):
    c = irc_client(ordered.ports["irc"], "oscar")
    c.send(b"OPER root wrong\r\nPING :after-bad-oper\r\n")
    words = numbers_and_pongs(c.until(r"PONG .*after-bad-oper"))
    assert "464" in words and words.index("464") < words.index("PONG")
    c.close()


def test_markread_then_ping_answers_markread_first(ordered):
    caps = "draft/read-marker message-tags server-time"
    c = irc_client(ordered.ports["irc"], "mara", caps)
    c.send("JOIN #marks")
    c.expect(" 366 ")
    c.send(b"MARKREAD #marks timestamp=2030-01-01T00:00:00.000Z\r\nPING :after-markread\r\n")
    lines = c.until(r"PONG .*after-markread")
    marks = [i for i, line in enumerate(lines) if re.search(r"MARKREAD #marks timestamp=2030", line)]
    assert marks and marks[0] < len(lines) - 1
    c.close()


def test_chathistory_then_privmsg_answers_the_history_before_the_echo(ordered):
    port = ordered.ports["irc"]
    writer = irc_client(port, "hank")
    writer.send("JOIN #past")
    writer.expect(" 366 ")
    for i in range(20):
        writer.send(f"PRIVMSG #past :old {i}")
    writer.send("PING :written")
    writer.expect("PONG .*written")
    caps = "draft/chathistory batch echo-message message-tags server-time"
    reader = irc_client(port, "rita", caps)
    reader.send("JOIN #past")
    reader.expect(" 366 ")
    # Wait until the store holds all twenty (the writer commits in batches).
    for _ in range(50):
        reader.send("CHATHISTORY LATEST #past * 50")
        got = reader.until(r"BATCH -")
        if sum(" PRIVMSG #past :old " in line for line in got) == 20:
            break
    reader.send(b"CHATHISTORY LATEST #past * 50\r\nPRIVMSG #past :new one\r\n")
    lines = reader.until(r"PRIVMSG #past :new one")
    end = max(i for i, line in enumerate(lines) if "BATCH -" in line)
    history = [line for line in lines[:end] if " PRIVMSG #past :old " in line]
    assert len(history) == 20 and lines[-1].endswith("PRIVMSG #past :new one")
    assert end < len(lines) - 1
    reader.close()
    writer.close()


def test_a_waiting_command_holds_only_its_own_connection(ordered):
    port = ordered.ports["irc"]
    slow = irc_client(port, "slowpoke")
    quick = LineClient(port)
    quick.send("NICK quick")
    quick.send("USER quick 0 * :quick")
    quick.expect(" 001 ")
    slow.send(b"OPER root root-password\r\nPING :slow\r\n")
    quick.send("PING :quick")  # answered whatever the other connection waits for
    assert quick.expect("PONG .*quick")
    words = numbers_and_pongs(slow.until("PONG .*slow"))
    assert words.index("381") < words.index("PONG")
    slow.close()
    quick.close()
