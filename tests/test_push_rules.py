"""What notifies, in memory: the push rules on a real network with IRC users, and the checks on
endpoints and sending that need no push service (the pushes themselves: tests/test_push.py)."""

from __future__ import annotations

import json

import pytest
from twisted.internet import defer
from twisted.internet.error import ConnectError

from chatd.net.outside import PublicEndpoint, endpoint_problem
from chatd.push.rules import PushRules, names

from .support.memory import irc_factory, irc_user, memory_network

pytestmark = pytest.mark.unit


@pytest.fixture
def team():
    """alice (an always-on account, in #t), bob (a guest, in #t), and the pushes the rules ask for."""
    network, clock = memory_network()
    network.people.always_on = True
    factory = irc_factory(network, clock)
    alice = irc_user(factory, "alice")
    alice.send("REGISTER * * :alice-password")
    alice.send("JOIN #t")
    bob = irc_user(factory, "bob")
    bob.send("JOIN #t")
    pushed: list[tuple[str, dict]] = []
    rules = PushRules(network.directory, lambda account, payload: pushed.append((account, json.loads(payload("web")))))
    network.messaging.delivered.add(rules.delivered)
    network.seen.add(rules.read)
    return network, alice, bob, pushed


def test_nothing_while_connected_and_mentions_and_dms_once_away(team):
    network, alice, bob, pushed = team
    bob.send("PRIVMSG #t :alice: are you there?")
    bob.send("PRIVMSG alice :and here?")
    assert pushed == []  # she has a connection open: she reads it there
    alice.send("QUIT :home")
    alice.drop()  # the socket closes: she stays, absent
    bob.send("PRIVMSG #t :alice: lunch?")
    bob.send("PRIVMSG #t :malice aforethought, alicealice")  # not her nick as a word
    bob.send("PRIVMSG #t :\x01ACTION waves at Alice\x01")
    bob.send("NOTICE alice :a notice")
    bob.send("@+typing=active TAGMSG alice")
    assert [(a, p["kind"], p["room"], p["text"], p["action"]) for a, p in pushed] == [
        ("alice", "mention", "#t", "alice: lunch?", False),
        ("alice", "mention", "#t", "waves at Alice", True),
        ("alice", "dm", None, "a notice", False),
    ]
    assert all(p["from"] == "bob" and p["id"] for _, p in pushed)


def test_reading_a_pushed_conversation_dismisses_it_once(team):
    network, alice, bob, pushed = team
    alice.send("QUIT :home")
    alice.drop()
    bob.send("PRIVMSG #t :alice: deploy?")
    bob.send("PRIVMSG alice :ping")
    mention, direct = (p for _, p in pushed)
    del pushed[:]
    network.messaging.read_moved("a:alice", "#T", mention["time"] - 1)  # read, but not as far as the push
    assert pushed == []
    network.messaging.read_moved("a:alice", "#T", mention["time"])
    network.messaging.read_moved("a:alice", "BOB", direct["time"] + 5)
    assert pushed == [("alice", {"type": "read", "conversation": "#T", "until": mention["time"]}),
                      ("alice", {"type": "read", "conversation": "BOB", "until": direct["time"] + 5})]
    network.messaging.read_moved("a:alice", "#t", mention["time"] + 9)  # dismissed already: nothing
    network.messaging.read_moved("a:carol", "#t", mention["time"])  # nothing was pushed to carol
    assert len(pushed) == 2


def test_guests_get_nothing_and_nobody_is_pushed_their_own_words(team):
    network, alice, bob, pushed = team
    alice.send("PRIVMSG #t :bob: I am alice")
    alice.send("QUIT")
    alice.drop()
    bob.send("PRIVMSG #t :bob talks to himself")
    assert pushed == []


def test_highlight_words_push_as_the_nick_does(team):
    network, alice, bob, pushed = team
    alice.send("PRIVMSG NickServ :SET HIGHLIGHT deploy Outage deploy")
    assert "Pushes come for your nick, deploy, Outage" in alice.read()[-1]
    alice.send("PRIVMSG #t :the deploy is mine to say")  # nobody is pushed their own words
    alice.send("QUIT :home")
    alice.drop()
    bob.send("PRIVMSG #t :redeploy later")  # not the word
    bob.send("PRIVMSG #t :OUTAGE in eu-west")
    bob.send("PRIVMSG #t :alice: deploy?")  # her nick: a mention, pushed once
    assert [(p["kind"], p["text"]) for _, p in pushed] == [("keyword", "OUTAGE in eu-west"),
                                                           ("mention", "alice: deploy?")]


def test_highlight_words_are_bounded_and_need_an_account(team):
    network, alice, bob, pushed = team
    alice.send("PRIVMSG NickServ :SET HIGHLIGHT " + " ".join(f"word{i}" for i in range(21)))
    assert "At most 20 words" in alice.read()[-1]
    alice.send("PRIVMSG NickServ :SET HIGHLIGHT x")
    assert "At most 20 words" in alice.read()[-1]
    bob.send("PRIVMSG NickServ :SET HIGHLIGHT lunch")
    assert bob.read()[-1].endswith(":You need to be logged in to an account for that")


def test_naming_a_nick():
    assert names("hey Alice!", "alice") and names("@alice, ok", "alice") and names("alice", "ALICE")
    assert not names("alice_ there", "alice") and not names("malice", "alice") and not names("alice2", "alice")
    assert names("ping {ed}", "{ed}") and not names("ping x{ed}", "{ed}")


@pytest.mark.parametrize("url,private,problem", [
    ("https://push.example/abc", False, ""),
    ("http://push.example/abc", False, "must be an https:// URL"),
    ("http://127.0.0.1:8080/abc", True, ""),
    ("https://127.0.0.1/abc", False, "must not be a private address"),
    ("https://10.1.2.3/abc", False, "must not be a private address"),
    ("https://[::1]/abc", False, "must not be a private address"),
    ("https://169.254.169.254/latest", False, "must not be a private address"),
    ("https://user:pw@push.example/abc", False, "must name a host (and no user or password)"),
    ("https:///abc", False, "must name a host (and no user or password)"),
    ("https://push.example:99999/abc", False, "not a URL"),
    ("https://push.example/" + "a" * 1100, False, "too long"),
])
def test_endpoints_a_user_may_give(url, private, problem):
    assert endpoint_problem(url, private) == problem


def test_a_name_that_resolves_to_a_private_address_is_not_connected_to():
    class Resolver:
        """The reactor's name lookup, answering what a hostile DNS name would."""

        def resolve(self, name: str) -> defer.Deferred[str]:
            return defer.succeed({"push.evil.example": "127.0.0.1", "meta.evil.example": "169.254.169.254"}[name])

    for name in ("push.evil.example", "meta.evil.example"):
        failures = []
        PublicEndpoint(Resolver(), name, 443, True, 5.0).connect(None).addErrback(failures.append)
        assert failures and failures[0].check(ConnectError)
        assert "is not public" in failures[0].getErrorMessage()
