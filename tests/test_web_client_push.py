"""The web client's side of Web Push in Chromium: the service worker shows what a push carries,
one notification per conversation; and asking for push where the browser cannot subscribe says so.

Headless Chromium has no push service to subscribe with (``pushManager.subscribe`` is refused), so
the push is handed to the service worker through the DevTools protocol
(``ServiceWorker.deliverPushMessage``), exactly as the browser would hand it a decrypted push; the
server's side, from subscription to encrypted push, is tests/test_push.py."""

from __future__ import annotations

import json
import time

import pytest

from .test_web_client import browser, login  # noqa: F401  (the fixture, shared)

pytestmark = pytest.mark.browser

NOTIFICATIONS = ("async () => (await (await navigator.serviceWorker.ready).getNotifications())"
                 ".map(n => [n.title, n.body])")


def shown(page, condition: str) -> None:
    """Wait until the notifications shown (``n``: [title, body] pairs) satisfy ``condition``."""
    page.wait_for_function(f"async () => {{ const n = await ({NOTIFICATIONS})(); return {condition}; }}")


def test_the_service_worker_shows_pushes_and_push_on_explains_a_refusal(daemon, browser):  # noqa: F811
    origin = f"http://127.0.0.1:{daemon.ports['http']}"
    context = browser.new_context()
    context.grant_permissions(["notifications"], origin=origin)
    page = context.new_page()
    login(page, daemon.ports["http"], "pia", room="#push", password="pia-password", signup=True)
    assert page.evaluate("() => navigator.serviceWorker.register('/sw.js').then(() => navigator.serviceWorker.ready)"
                         ".then(r => r.active.scriptURL)") == f"{origin}/sw.js"

    devtools = context.new_cdp_session(page)
    registrations: list[dict] = []
    devtools.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
    devtools.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    while not registrations and time.monotonic() < deadline:
        page.evaluate("1")  # each call lets Playwright hand over the events that came meanwhile
    (registration,) = [r for r in registrations if r["scopeURL"] == f"{origin}/"]

    def push(note: dict) -> None:
        devtools.send("ServiceWorker.deliverPushMessage", {
            "origin": origin, "registrationId": registration["registrationId"], "data": json.dumps(note)})

    push({"type": "push", "kind": "mention", "id": "m1", "time": 0, "from": "bob", "room": "#push",
          "action": False, "text": "pia: <b>lunch</b>?"})
    shown(page, "n.length === 1 && n[0][0] === 'bob in #push' && n[0][1] === 'pia: <b>lunch</b>?'")  # text, not markup
    push({"type": "push", "kind": "mention", "id": "m2", "time": 0, "from": "bob", "room": "#push",
          "action": True, "text": "waves"})
    push({"type": "push", "kind": "dm", "id": "d1", "time": 0, "from": "carl", "room": None,
          "action": False, "text": "are you around?"})
    # the room's newer notification replaces its older one; the private message has its own
    expected = [["bob in #push", "* bob waves"], ["carl in a private message", "are you around?"]]
    shown(page, f"JSON.stringify(n.sort()) === {json.dumps(json.dumps(expected))}")

    # This browser has no push service: /push on says what went wrong instead of failing silently.
    page.fill("#message-input", "/push on")
    page.press("#message-input", "Enter")
    page.wait_for_selector("text=/Registration failed|push service|cannot receive/i")
    page.fill("#message-input", "/push list")
    page.press("#message-input", "Enter")
    page.wait_for_selector("text=No push notifications set up")
    context.close()
