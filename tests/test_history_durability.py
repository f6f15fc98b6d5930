"""history-durability: with "before-delivery" nothing a person saw is missing from history after
kill -9, even when the daemon dies the moment the last of a burst was delivered."""

from __future__ import annotations

import sqlite3

import pytest

from tests.support.memory import irc_factory, irc_user, memory_history, memory_network
from tests.support.processes import Daemon
from tests.support.sockets import irc_client

BURST = 3000


@pytest.mark.unit
def test_before_delivery_others_get_it_after_the_commit_and_the_sender_its_labelled_echo_at_once():
    network, clock = memory_network(batch_turns=True)
    store = memory_history(network, clock)
    network.messaging.store_first = True
    factory = irc_factory(network, clock)
    sender = irc_user(factory, "sam", caps="echo-message labeled-response message-tags")
    reader = irc_user(factory, "rita")
    for conn in (sender, reader):
        conn.send("JOIN #r")
    clock.advance(0)
    sender.read(), reader.read()

    sender.send("@label=x1 PRIVMSG #r :hello")
    assert [line for line in sender.read() if "label=x1" in line and "PRIVMSG #r :hello" in line]
    assert reader.read() == []  # not yet committed: nobody else has it
    clock.advance(0)  # the batch commits (the store runs inline here), then it goes out
    assert [line for line in reader.read() if line.endswith("PRIVMSG #r :hello")]
    stored = store.latest("#r", 10).result
    assert [m.text for m in stored] == ["hello"]


@pytest.mark.integration
def test_before_delivery_keeps_everything_seen_through_kill_9(tmp_path):
    daemon = Daemon("--history-durability", "before-delivery", "--flood-rate", "0",
                    state_dir=tmp_path).start()
    try:
        port = daemon.ports["irc"]
        reader = irc_client(port, "reader")
        writer = irc_client(port, "writer")
        for client in (reader, writer):
            client.send("JOIN #burst")
            client.expect(r" 366 ")
        burst = "".join(f"PRIVMSG #burst :line {i}\r\n" for i in range(BURST)).encode()
        sending = writer.send_in_background(burst)
        seen = reader.until(rf"PRIVMSG #burst :line {BURST - 1}$", timeout=60)
        daemon.kill()  # at the moment the last line reached a reader
        sending.wait()
    finally:
        daemon.kill()
    seen_lines = {line.rsplit(":", 1)[1] for line in seen if " PRIVMSG #burst :" in line}
    assert len(seen_lines) == BURST
    db = sqlite3.connect(tmp_path / "state" / "history.sqlite3")
    stored = {text for (text,) in db.execute("SELECT text FROM messages WHERE target = '#burst'")}
    assert seen_lines - stored == set()


@pytest.mark.unit
def test_an_unknown_durability_is_refused_at_start(tmp_path):
    from twisted.python import usage

    from chatd.options import Options

    options = Options()
    with pytest.raises(usage.UsageError, match="--history-durability must be one of after-delivery, before-delivery"):
        options.parseOptions(["--history-durability", "sometimes", "--state-dir", str(tmp_path / "s")])
