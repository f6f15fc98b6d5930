"""Web Push against a real daemon: subscriptions from IRC (draft/webpush) and from the web client's
frames, pushes received by a push service in the test, decrypted and their VAPID signature
checked.  A mention or a DM notifies while none of the person's connections is open, not while one is."""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from websockets.sync.client import connect

from .support.processes import Daemon
from .support.pushservice import PushService, Subscriber
from .support.sockets import irc_client
from .test_irc_multiclient import register, sasl_line_client, web_frame, web_signed_in

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    d = Daemon("--flood-rate", "0", "--always-on", "--push-private-endpoints", "--push-subscriptions", "2",
               state_dir=tmp_path_factory.mktemp("push")).start()
    yield d
    d.kill()


@pytest.fixture
def service():
    s = PushService()
    yield s
    s.close()


def test_irc_webpush_mention_and_dm_while_away_and_not_while_connected(daemon, service):
    register(daemon, "alice")
    alice = sasl_line_client(daemon.ports["irc"], "alice", "alice-password", caps="draft/webpush")
    vapid = re.search(r" VAPID=(\S+)", "\n".join(alice.until(" 376 | 422 "))).group(1)
    alice.send("WEBPUSH VAPIDPUBKEY")
    assert alice.expect("WEBPUSH VAPIDPUBKEY ").split()[-1] == vapid
    phone = Subscriber()
    endpoint = service.url("alice-phone")
    alice.send(f"WEBPUSH REGISTER {endpoint} {phone.irc_keys}")
    alice.expect(f"WEBPUSH REGISTER {re.escape(endpoint)}$")
    alice.send("JOIN #team")
    alice.expect(" 366 ")

    bob = irc_client(daemon.ports["irc"], "bob")
    bob.send("JOIN #team")
    bob.expect(" 366 ")
    bob.send("PRIVMSG #team :alice: seen while you are here")
    alice.expect("seen while you are here")  # read on her connection: no push
    alice.send("QUIT :laptop closed")
    assert alice.closed()

    bob.send("PRIVMSG #team :alice: lunch at noon?")
    bob.send("PRIVMSG #team :nobody mentioned here")
    bob.send("PRIVMSG alice :are you around tomorrow?")
    first, second = service.next(), service.next()
    assert first.path == "/push/alice-phone" and second.path == "/push/alice-phone"
    # each push is sent on its own, so they may arrive in either order; msgids sort as they were said
    mention, direct = sorted(phone.open(push, vapid, service.origin).decode() for push in (first, second))
    assert re.fullmatch(r"@msgid=\S+;time=\S+Z :bob!\S+ PRIVMSG #team :alice: lunch at noon\?", mention)
    assert re.fullmatch(r"@msgid=\S+;time=\S+Z :bob!\S+ PRIVMSG alice :are you around tomorrow\?", direct)
    assert service.received.empty()  # not the line said while she was here, nor the one naming nobody

    back = sasl_line_client(daemon.ports["irc"], "alice", "alice-password", caps="draft/webpush")
    back.until(" 376 | 422 ")
    back.send(f"WEBPUSH UNREGISTER {endpoint}")
    back.expect(f"WEBPUSH UNREGISTER {re.escape(endpoint)}$")
    back.send("WEBPUSH UNREGISTER https://push.example/never-registered")  # ignored, as the spec says
    back.expect("WEBPUSH UNREGISTER https://push.example/never-registered$")
    bob.close()
    back.close()


def test_webpush_refusals(daemon):
    guest = irc_client(daemon.ports["irc"], "guest", caps="draft/webpush")
    guest.send("WEBPUSH REGISTER https://push.example/x p256dh=AAAA;auth=BBBB")
    guest.expect("FAIL WEBPUSH ACCOUNT_REQUIRED REGISTER ")
    plain = irc_client(daemon.ports["irc"], "plain")
    plain.send("WEBPUSH VAPIDPUBKEY")
    plain.expect("FAIL WEBPUSH NEED_CAPABILITY VAPIDPUBKEY ")
    register(daemon, "carol")
    carol = sasl_line_client(daemon.ports["irc"], "carol", "carol-password", caps="draft/webpush")
    carol.until(" 376 | 422 ")
    carol.send("WEBPUSH REGISTER ftp://push.example/x p256dh=AAAA;auth=BBBB")
    carol.expect("FAIL WEBPUSH INVALID_PARAMS REGISTER :Push endpoint must be an https:// URL")
    carol.send("WEBPUSH REGISTER https://push.example/x p256dh=AA%AA")
    carol.expect("FAIL WEBPUSH INVALID_PARAMS REGISTER :Push keys must be")
    for n in range(2):
        carol.send(f"WEBPUSH REGISTER https://push.example/{n} p256dh=AAAA;auth=BBBB")
        carol.expect(f"WEBPUSH REGISTER https://push.example/{n}$")
    carol.send("WEBPUSH REGISTER https://push.example/0 p256dh=CCCC;auth=DDDD")  # the same endpoint: replaced
    carol.expect("WEBPUSH REGISTER https://push.example/0$")
    carol.send("WEBPUSH REGISTER https://push.example/2 p256dh=AAAA;auth=BBBB")
    carol.expect("FAIL WEBPUSH MAX_REGISTRATIONS REGISTER :At most 2 push subscriptions per account")
    carol.send("WEBPUSH FROB x")
    carol.expect("FAIL WEBPUSH INVALID_PARAMS FROB ")
    for c in (guest, plain, carol):
        c.close()


def test_web_subscription_gets_json_and_a_gone_endpoint_is_dropped(daemon, service):
    register(daemon, "dana")
    browser, stale = Subscriber(), Subscriber()
    with web_signed_in(daemon, "dana") as ws:
        vapid = web_frame(ws, "welcome")["vapid"]
        service.codes["/push/dana-old"] = 410  # the push service says this one is gone
        for name, sub in (("dana-browser", browser), ("dana-old", stale)):
            ws.send(json.dumps({"type": "push_subscribe", "id": name, "endpoint": service.url(name),
                                "keys": {"p256dh": sub.p256dh, "auth": sub.auth_b64}, "device": "phone"}))
            web_frame(ws, "push_subscribed", endpoint=service.url(name))
        ws.send(json.dumps({"type": "push_list", "id": 9}))
        listed = web_frame(ws, "push_subscriptions")["subscriptions"]
        assert [(s["endpoint"], s["format"], s["device"]) for s in listed] == [
            (service.url("dana-browser"), "web", "phone"), (service.url("dana-old"), "web", "phone")]
    # dana has no connection now (kept present: this server is --always-on)
    erin = irc_client(daemon.ports["irc"], "erin")
    erin.send("PRIVMSG dana :the deploy is done")
    pushes = sorted([service.next(), service.next()], key=lambda p: p.path)
    assert [p.path for p in pushes] == ["/push/dana-browser", "/push/dana-old"]
    note = browser.json(pushes[0], vapid, service.origin)
    assert note["kind"] == "dm" and note["from"] == "erin" and note["room"] is None
    assert note["text"] == "the deploy is done" and note["id"]
    with web_signed_in(daemon, "dana") as ws:
        web_frame(ws, "welcome")
        ws.send(json.dumps({"type": "push_list", "id": 9}))
        listed = web_frame(ws, "push_subscriptions")["subscriptions"]
        assert [s["endpoint"] for s in listed] == [service.url("dana-browser")]  # the gone one was removed
    erin.close()


def test_web_push_frames_need_an_account(daemon):
    with connect(f"ws://127.0.0.1:{daemon.ports['http']}/ws", subprotocols=["chatd.v1"]) as ws:
        ws.send(json.dumps({"type": "hello", "nick": "visitor", "id": 1}))
        assert web_frame(ws, "welcome")["vapid"]
        ws.send(json.dumps({"type": "push_list", "id": 2}))
        error = web_frame(ws, "error")
        assert error["code"] == "account_required"


@contextmanager
def subscribed_browser(daemon, service, name):
    """A new account ``name`` signed in on the web, its browser subscribed to pushes: the socket, the
    browser (to decrypt with) and the server's key; the account is absent once the block ends."""
    register(daemon, name)
    browser = Subscriber()
    with web_signed_in(daemon, name) as ws:
        vapid = web_frame(ws, "welcome")["vapid"]
        ws.send(json.dumps({"type": "push_subscribe", "id": "p", "endpoint": service.url(name),
                            "keys": {"p256dh": browser.p256dh, "auth": browser.auth_b64}}))
        web_frame(ws, "push_subscribed")
        yield ws, browser, vapid


def test_highlight_words_from_the_web_push_and_stay_the_accounts(daemon, service):
    with subscribed_browser(daemon, service, "gina") as (ws, browser, vapid):
        ws.send(json.dumps({"type": "set_highlights", "id": "h", "words": ["deploy", "deploy", " oncall "]}))
        assert web_frame(ws, "highlights_set")["words"] == ["deploy", "oncall"]
        ws.send(json.dumps({"type": "set_highlights", "id": "bad", "words": "deploy"}))
        assert web_frame(ws, "error", id="bad")["code"] == "bad_field"
        ws.send(json.dumps({"type": "join", "room": "#ops", "id": "j"}))
        web_frame(ws, "joined", room="#ops")
    hank = irc_client(daemon.ports["irc"], "hank")  # gina is absent now (--always-on)
    hank.send("JOIN #ops")
    hank.expect(" 366 hank #ops ")
    hank.send("PRIVMSG #ops :the deploy is done")
    note = browser.json(service.next(), vapid, service.origin)
    assert (note["kind"], note["room"], note["text"]) == ("keyword", "#ops", "the deploy is done")
    with web_signed_in(daemon, "gina") as ws:  # back and gone again: the words are read from the account
        web_frame(ws, "welcome")
    hank.send("PRIVMSG #ops :who is oncall tonight?")
    note = browser.json(service.next(), vapid, service.origin)
    assert (note["kind"], note["text"]) == ("keyword", "who is oncall tonight?")
    hank.close()


def test_reading_on_another_device_dismisses_the_notification(daemon, service):
    with subscribed_browser(daemon, service, "ivy") as (_, browser, vapid):
        pass
    jack = irc_client(daemon.ports["irc"], "Jack")  # ivy is absent now (--always-on)
    jack.send("PRIVMSG ivy :are you coming?")
    note = browser.json(service.next(), vapid, service.origin)
    assert (note["kind"], note["from"]) == ("dm", "Jack")

    # Her laptop's IRC client (no chathistory) is shown the message: read, so the phone's
    # notification is dismissed (the service worker closes the one tagged with the conversation).
    laptop = sasl_line_client(daemon.ports["irc"], "ivy", "ivy-password", caps="draft/read-marker")
    laptop.expect(r"PRIVMSG ivy :are you coming\?$")
    dismissed = browser.json(service.next(), vapid, service.origin)
    assert dismissed["type"] == "read" and dismissed["conversation"].lower() == "jack"
    assert dismissed["until"] >= note["time"] - 0.001

    # Reading it again dismisses nothing more: the next push is the next notification.
    laptop.send(f"MARKREAD Jack timestamp={laptop_stamp(note['time'])}")
    laptop.expect("MARKREAD Jack ")
    laptop.send("QUIT")
    assert laptop.closed()
    jack.send("PRIVMSG ivy :one more")
    assert browser.json(service.next(), vapid, service.origin)["text"] == "one more"
    jack.close()


def laptop_stamp(when: float) -> str:
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
