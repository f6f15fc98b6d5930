"""The help panel, the Ctrl+K jump box and the guest's word about a registered nick, in Chromium
against a real daemon: /help opens a panel instead of printing lines into the room, Ctrl+K finds
an open conversation, a room of the directory or a member by a few letters, and a guest asking for
an account's nick is told so on the login page, not renamed half a minute later."""

from __future__ import annotations

import pytest

from .support.sockets import irc_client
from .test_web_client import browser, login  # noqa: F401  (the fixture, shared)

pytestmark = pytest.mark.browser


def test_help_panel_instead_of_lines(daemon, browser):  # noqa: F811
    page = browser.new_page()
    login(page, daemon.ports["http"], "hana")
    before = page.locator("#messages li").count()
    page.fill("#message-input", "/help")
    page.press("#message-input", "Enter")
    page.wait_for_selector("#help[open]")
    commands = page.inner_text("#help-commands")
    assert "/kick nick [reason]" in commands and "/search words" in commands
    assert "Ctrl+K" in page.inner_text("#help-keys")
    assert page.locator("#messages li").count() == before  # nothing printed into the room
    page.keyboard.press("Escape")
    page.wait_for_selector("#help", state="hidden")
    page.keyboard.press("F1")
    page.wait_for_selector("#help[open]")
    page.click("#help .close-dialog")
    page.wait_for_selector("#help", state="hidden")


def test_jump_box_finds_conversations_rooms_and_people(daemon, browser):  # noqa: F811
    ivan = irc_client(daemon.ports["irc"], "ivan")
    ivan.send("JOIN #general")
    ivan.expect(" 366 ")
    ivan.send("JOIN #release-train")  # a room the browser is not in: in the directory
    ivan.expect(" 366 ")
    page = browser.new_page()
    login(page, daemon.ports["http"], "jules")
    page.fill("#join-input", "#kitchen")
    page.press("#join-input", "Enter")
    page.wait_for_selector("#conversations li.active >> text=#kitchen")
    page.click("#refresh-rooms")
    page.wait_for_selector("#room-directory li[data-room='#release-train']")

    page.keyboard.press("Control+k")
    page.wait_for_selector("#jump[open]")
    page.keyboard.type("gen")
    assert page.inner_text("#jump-list li[aria-selected=true]").startswith("#general")
    page.keyboard.press("Enter")
    page.wait_for_selector("#jump", state="hidden")
    page.wait_for_selector("#conversations li.active >> text=#general")

    page.keyboard.press("Control+k")  # a room of the directory: joined
    page.keyboard.type("train")
    page.keyboard.press("Enter")
    page.wait_for_selector("#conversations li.active >> text=#release-train")
    assert ivan.expect(r":jules!\S+ JOIN #release-train")
    # "All rooms" counts the join at once (no wait for its 30 s refresh)
    page.wait_for_selector("#room-directory li[data-room='#release-train'] .count >> text=2")

    page.keyboard.press("Control+k")  # a member: a direct conversation opens
    page.keyboard.type("@iv")
    page.wait_for_selector("#jump-list li[data-name=ivan]")
    page.keyboard.press("Enter")
    page.wait_for_selector("#conversation-name >> text=@ivan")

    page.keyboard.press("Control+k")  # arrows move the choice; nothing matching says so
    page.keyboard.type("e")
    first = page.get_attribute("#jump-list li[aria-selected=true]", "data-name")
    page.keyboard.press("ArrowDown")
    assert page.get_attribute("#jump-list li[aria-selected=true]", "data-name") != first
    page.keyboard.type("zzzz")
    page.wait_for_selector("#jump-empty:not([hidden])")
    page.keyboard.press("Escape")
    page.wait_for_selector("#jump", state="hidden")

    page.keyboard.press("Alt+ArrowUp")  # and Alt+Up/Down step between conversations
    page.wait_for_selector("#conversations li.active >> text=#release-train")


def test_guest_told_a_nick_is_registered(daemon, browser):  # noqa: F811
    owner = irc_client(daemon.ports["irc"], "rosa")
    owner.send("REGISTER * * :rosa-password")
    owner.expect("REGISTER SUCCESS rosa ")
    owner.send("QUIT")
    page = browser.new_page()
    page.goto(f"http://127.0.0.1:{daemon.ports['http']}/")
    page.fill("#nick-input", "rosa")
    page.click("#login-form button[type=submit]")
    warning = page.wait_for_selector("#login-error:has-text('registered account')")
    assert "password" in warning.inner_text()
    assert page.evaluate("document.activeElement.id") == "password-input"
    assert page.is_visible("#login") and not page.is_visible("#chat")
    page.fill("#password-input", "rosa-password")  # the password: in, as rosa
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#me-nick >> text=rosa ✓")
