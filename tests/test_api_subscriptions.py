"""Which records an outgoing webhook subscription is sent, and how a subscription is checked."""

from __future__ import annotations

import pytest

from chatd.api.outgoing import backoff, signature
from chatd.api.subscriptions import event_for, mentions, new_subscription
from chatd.core.events import Identity, Joined, Kicked, RoomMessage

WENDY = Identity("wendy", "wendy", "host", "Wendy", "irc", account="wendy")
pytestmark = pytest.mark.unit

BOT = Identity("ci", "ci", "api", "API key ci", "api", bot=True)


def said(text: str, who: Identity = WENDY, kind: str = "privmsg") -> RoomMessage:
    return RoomMessage("id1", 1.0, "#ops", who, kind, text)


def sub(**kw):
    values = {"room": "#ops", "url": "https://bot.example/hook", "events": None, "triggers": None,
              "nick": "deploy-bot", "created_by": "operator"}
    values.update(kw)
    return new_subscription(values.pop("room"), values.pop("url"), values.pop("events"), values.pop("triggers"),
                            values.pop("nick"), values.pop("created_by"))


def test_triggers_pick_messages_by_their_first_word_in_any_case():
    s = sub(triggers="!deploy,!status")
    assert event_for(s, said("hello")) is None
    event = event_for(s, said("!DEPLOY prod now"))
    assert event["trigger"] == "!deploy" and event["args"] == "prod now" and event["user"]["account"] == "wendy"
    assert event_for(s, said("say !deploy")) is None


def test_mentions_are_whole_nicks_and_bots_are_never_sent():
    s = sub(events=["mention"])
    assert event_for(s, said("deploy-bot: go"))["event"] == "mention"
    assert event_for(s, said("thanks Deploy-Bot"))["event"] == "mention"
    assert event_for(s, said("deploy-bots are nice")) is None
    assert event_for(s, said("deploy-bot: go", who=BOT)) is None
    assert event_for(sub(), said("hello", kind="tagmsg")) is None
    assert mentions("(ask deploy-bot)", "deploy-bot") and mentions("deploy-bot, go", "deploy-bot")


def test_joins_and_kicks_are_sent_only_when_asked_for():
    s = sub(events="join,part")
    assert event_for(s, Joined(1.0, "#ops", WENDY))["user"]["nick"] == "wendy"
    kicked = event_for(s, Kicked(1.0, "#ops", WENDY, "mallory", "spam"))
    assert kicked["event"] == "part" and kicked["user"] == {"nick": "mallory"}
    assert kicked["kicked_by"]["nick"] == "wendy"
    assert event_for(sub(), Joined(1.0, "#ops", WENDY)) is None


@pytest.mark.parametrize("kw, word", [
    ({"url": "ftp://x/"}, "URL"), ({"url": "http:///nohost"}, "URL"), ({"events": "message,typing"}, "typing"),
    ({"room": "ops"}, "room"), ({"nick": "a b"}, "nick"), ({"triggers": ["!a b"]}, "single"),
])
def test_a_bad_subscription_is_refused_with_what_is_wrong(kw, word):
    with pytest.raises(ValueError, match=word):
        sub(**kw)


def test_the_signature_covers_timestamp_and_body_and_retries_back_off():
    assert signature("s", "100", b"{}") != signature("s", "101", b"{}") != signature("t", "100", b"{}")
    assert [backoff(n) for n in (1, 2, 3, 12)] == [1.0, 2.0, 4.0, 300.0]
