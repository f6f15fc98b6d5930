"""The web client after its socket drops: it asks for what it missed, and says when it could not
get all of it (Chromium, a real daemon, a real IRC client)."""

from __future__ import annotations

import re

import pytest

from .support.processes import Daemon
from .support.sockets import LibraryIRC
from .test_web_client import browser, login  # noqa: F401  (the fixture, shared)

pytestmark = pytest.mark.browser

GAP = "#messages li.gap"


def texts(page):
    return [t.strip() for t in page.locator("#messages li .text, #messages li .event").all_inner_texts()]


def test_a_dropped_socket_recovers_the_missed_messages_in_place(daemon, browser):  # noqa: F811
    sockets = []

    def through(ws):  # every page socket goes through here, so the test can cut it
        sockets.append(ws)
        ws.connect_to_server()

    page = browser.new_page()
    page.route_web_socket(re.compile(r".*/ws$"), through)
    login(page, daemon.ports["http"], "wendy", "#recover")
    ivan = LibraryIRC(daemon.ports["irc"], "ivan")
    ivan.conn.join("#recover")
    ivan.wait("join")
    ivan.conn.privmsg("#recover", "before the drop")
    page.wait_for_selector("#messages li:has-text('before the drop')")

    sockets[-1].close()  # the network drops the socket
    page.wait_for_selector("#status[data-state=offline]")
    for i in range(3):
        ivan.conn.privmsg("#recover", f"missed {i}")
    page.wait_for_selector("#status[data-state=online]", timeout=20_000)
    page.wait_for_selector("#messages li:has-text('missed 2')")
    shown = [t for t in texts(page) if "missed" in t or "before" in t]
    assert shown == ["before the drop", "missed 0", "missed 1", "missed 2"]
    assert page.locator(GAP).count() == 0  # everything came back: no "may be missing" divider


def test_a_gap_the_server_cannot_fill_is_marked(tmp_path, browser):  # noqa: F811
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    first = Daemon(state_dir=tmp_path / "a").start()
    port = first.ports["http"]
    try:
        page = browser.new_page()
        login(page, port, "wendy", "#gap")
        ivan = LibraryIRC(first.ports["irc"], "ivan")
        ivan.conn.join("#gap")
        ivan.wait("join")
        ivan.conn.privmsg("#gap", "said on the old server")
        page.wait_for_selector("#messages li:has-text('said on the old server')")
        first.stop()
        page.wait_for_selector("#status[data-state=offline]")
        # A server that never heard of that message (its history is elsewhere): the gap is real.
        second = Daemon("--http", f"tcp:{port}:interface=127.0.0.1", state_dir=tmp_path / "b").start()
        try:
            page.wait_for_selector("#status[data-state=online]", timeout=40_000)
            page.wait_for_selector(GAP)
            assert page.locator(GAP).inner_text().strip().endswith("Some messages may be missing here")
        finally:
            second.kill()
    finally:
        first.kill()


def test_a_message_that_arrives_twice_is_shown_once(daemon, browser):  # noqa: F811
    import json

    def doubling(ws):  # the server's message frames reach the page twice, as a rejoin race can do
        server = ws.connect_to_server()

        def forward(message):
            ws.send(message)
            if isinstance(message, str) and json.loads(message).get("type") == "message":
                ws.send(message)

        server.on_message(forward)

    page = browser.new_page()
    page.route_web_socket(re.compile(r".*/ws$"), doubling)
    login(page, daemon.ports["http"], "wendy", "#twice")
    ivan = LibraryIRC(daemon.ports["irc"], "ivan")
    ivan.conn.join("#twice")
    ivan.wait("join")
    ivan.conn.privmsg("#twice", "only once please")
    ivan.conn.privmsg("#twice", "and the next")
    page.wait_for_selector("#messages li:has-text('and the next')")
    shown = [t for t in texts(page) if t in ("only once please", "and the next")]
    assert shown == ["only once please", "and the next"]
