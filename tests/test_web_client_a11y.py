"""Accessibility, checked by axe-core (the engine browsers' audit tools use) in Chromium against a
real daemon: the login page, a room with messages, a mention, a link and a notice in both themes,
the help panel, the jump box and the phone layout with its drawer open have no serious or critical
violation (contrast, names of controls, landmarks, ARIA)."""

from __future__ import annotations

from typing import Any

import pytest

from .support.parts import require
from .support.sockets import irc_client
from .test_web_client import browser, login  # noqa: F401  (the fixture, shared)

pytestmark = pytest.mark.browser


def axe_problems(page: Any) -> list[str]:
    """Run axe-core on the page as it is; its serious and critical violations, one line each."""
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        require(False, "axe-playwright-python is not installed (pip install '.[test]')")
    found = Axe().run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:5]}"
            for v in found if v["impact"] in ("serious", "critical")]


def test_login_room_dialogs_and_phone_pass_axe(daemon, browser):  # noqa: F811
    ivan = irc_client(daemon.ports["irc"], "ivan")
    ivan.send("JOIN #general")
    ivan.expect(" 366 ")
    page = browser.new_page()
    page.goto(f"http://127.0.0.1:{daemon.ports['http']}/")
    page.wait_for_selector("#login-form")
    assert axe_problems(page) == []

    login(page, daemon.ports["http"], "wendy")
    ivan.send("PRIVMSG #general :wendy: see https://example.org/notes")  # a mention with a link
    ivan.send("NOTICE #general :the build is green")
    page.fill("#message-input", "thanks ivan")
    page.press("#message-input", "Enter")
    page.wait_for_selector("#messages li:has-text('the build is green')")
    page.wait_for_selector("#messages li:has-text('thanks ivan')")
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        assert axe_problems(page) == [], scheme

    page.keyboard.press("F1")
    page.wait_for_selector("#help[open]")
    assert axe_problems(page) == []
    page.keyboard.press("Escape")
    page.keyboard.press("Control+k")
    page.wait_for_selector("#jump-list li")
    assert axe_problems(page) == []
    page.keyboard.press("Escape")

    phone = browser.new_page(viewport={"width": 390, "height": 800})
    login(phone, daemon.ports["http"], "pia")
    phone.wait_for_selector("#messages li:has-text('thanks ivan')")
    assert axe_problems(phone) == []
    phone.click("#menu")
    phone.wait_for_selector("#close-menu", state="visible")
    assert axe_problems(phone) == []
