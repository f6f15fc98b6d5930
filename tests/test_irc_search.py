"""soju.im/search against a real daemon, written from soju's doc/ext/search.md: SEARCH answers a
soju.im/search batch of matching lines (msgid, server-time, oldest first), filtered by in, from, text,
after, before and limit; only where the person may read (their rooms, their own conversations);
bad attributes are FAIL SEARCH INVALID_PARAMS."""

from __future__ import annotations

import re

import pytest

from .support.processes import Daemon
from .support.sockets import LineClient, irc_client

pytestmark = pytest.mark.integration

CAPS = "soju.im/search batch server-time message-tags"


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    d = Daemon("--flood-rate", "0", state_dir=tmp_path_factory.mktemp("search")).start()
    yield d
    d.kill()


def results(client: LineClient, attributes: str) -> list[str]:
    """The lines of the search batch the client gets for ``SEARCH attributes``."""
    client.send("PING :before")
    client.until("PONG")  # what came before (JOIN, NAMES) is read: the batch is all that follows
    client.send(f"SEARCH {attributes}")
    start = client.expect(r"BATCH \+\S+ soju\.im/search$")
    ref = re.search(r"BATCH \+(\S+)", start).group(1)
    lines = client.until(rf"BATCH -{ref}$")[:-1]
    assert all(line.startswith(f"@batch={ref};") for line in lines), lines
    return lines


def test_search_from_irc(daemon):
    irc = daemon.ports["irc"]
    jackie = irc_client(irc, "jackie")
    bill = irc_client(irc, "bill")
    for c in (jackie, bill):
        c.send("JOIN #chan")
        c.expect(" 366 ")
    jackie.send("PRIVMSG #chan :Be what you want")
    bill.send("PRIVMSG #chan :That was fast!")
    jackie.send("PRIVMSG #chan :Fasting is hard, fast or not")
    jackie.send("PRIVMSG bill :a fast secret between us")
    bill.expect("a fast secret")
    searcher = irc_client(irc, "searcher", CAPS)
    searcher.send("JOIN #chan")
    searcher.expect(" 366 ")

    found = results(searcher, "text=fast;in=#chan")
    assert [line.split(" PRIVMSG #chan :", 1)[1] for line in found] == [
        "That was fast!", "Fasting is hard, fast or not"]
    assert all(re.search(r";msgid=\w+", line) and ";time=" in line for line in found)
    assert [line.split(" :", 2)[-1] for line in results(searcher, "text=fast;in=#chan;limit=1")] == [
        "Fasting is hard, fast or not"]
    by_jackie = results(searcher, "from=jackie;in=#chan")
    assert [line.split(" PRIVMSG #chan :", 1)[1] for line in by_jackie] == [
        "Be what you want", "Fasting is hard, fast or not"]
    assert results(searcher, "in=#chan;before=2010-01-01T00:00:00.000Z") == []
    # Someone else's direct messages are never found; one's own are.
    assert not [line for line in results(searcher, "text=secret") if "secret" in line]
    bill_search = irc_client(irc, "billsearch", CAPS)
    bill.send("QUIT")
    assert bill.closed()
    bill_search.send("NICK bill")
    bill_search.expect("NICK")  # a new holder of the nick reads nothing of bill's
    assert results(bill_search, "text=secret") == []

    searcher.send("SEARCH colour=blue;in=#chan")
    assert searcher.expect("FAIL SEARCH INVALID_PARAMS colour ")
    searcher.send("SEARCH limit=5")  # no text: it must say where
    assert searcher.expect("FAIL SEARCH INVALID_PARAMS in ")
    searcher.send("SEARCH in=#chan;after=yesterday")
    assert searcher.expect("FAIL SEARCH INVALID_PARAMS")
    searcher.send("SEARCH text=hello;in=#elsewhere")
    assert searcher.expect("FAIL SEARCH INVALID_PARAMS #elsewhere ")
    plain = irc_client(irc, "nocap")
    plain.send("SEARCH text=fast")
    assert plain.expect("FAIL SEARCH NEED_CAPABILITY")
