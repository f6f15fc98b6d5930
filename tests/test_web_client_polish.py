"""The web client's finish, in Chromium against a real daemon: a kicked user reads but cannot
write until Rejoin, nicks keep one colour each, bots carry a badge and /whois names the account,
a search result opens its conversation at the message, one unread badge per conversation."""

from __future__ import annotations

import pytest

from .support.sockets import irc_client
from .test_web_client import browser, login  # noqa: F401  (the fixture, shared)

pytestmark = pytest.mark.browser


def test_kicked_search_colours_and_bots(daemon, browser):  # noqa: F811
    ivan = irc_client(daemon.ports["irc"], "ivan")
    ivan.send("JOIN #general")  # first in: the room's operator
    ivan.expect(" 366 ")
    robot = irc_client(daemon.ports["irc"], "robot")
    robot.send("MODE robot +B")
    robot.send("JOIN #general")
    robot.expect(" 366 ")
    page = browser.new_page()
    login(page, daemon.ports["http"], "wendy")
    page.wait_for_selector("#member-list li[data-nick=robot] .badge.bot")
    assert page.inner_text("#member-count") == "3 members"

    ivan.send("PRIVMSG #general :first words about kumquats")
    robot.send("PRIVMSG #general :beep")
    ivan.send("PRIVMSG #general :more from ivan")
    page.wait_for_selector("#messages li:has-text('more from ivan')")
    hues = page.eval_on_selector_all(
        "#messages li .nick", "els => els.map((e) => [e.textContent, e.style.getPropertyValue('--hue')])")
    by_nick: dict[str, set[str]] = {}
    for nick, hue in hues:
        by_nick.setdefault(nick, set()).add(hue)
    assert len(by_nick["ivan"]) == 1 and by_nick["ivan"] != by_nick["robot"]

    page.fill("#message-input", "/whois robot")
    page.press("#message-input", "Enter")
    page.wait_for_selector("#messages li >> text=robot is not signed in to an account")

    page.fill("#search-input", "kumquats")
    page.press("#search-input", "Enter")
    result = page.wait_for_selector("#search-results li:has-text('kumquats')")
    assert result.query_selector(".where").inner_text() == "#general"
    page.fill("#join-input", "#elsewhere")
    page.press("#join-input", "Enter")
    page.wait_for_selector("#conversations li.active >> text=#elsewhere")
    result.click()
    page.wait_for_selector("#conversations li.active >> text=#general")
    page.wait_for_selector("#messages li.found:has-text('first words about kumquats')")

    ivan.send("KICK #general wendy :out for a bit")
    page.wait_for_selector("#rejoin:not([hidden])")
    assert page.is_disabled("#message-input")
    assert "Rejoin" in page.get_attribute("#message-input", "placeholder")
    page.click("#rejoin")
    page.wait_for_selector("#rejoin", state="hidden")
    assert page.is_enabled("#message-input")
    page.fill("#message-input", "back again")
    page.press("#message-input", "Enter")
    ivan.expect("PRIVMSG #general :back again")

    page.click("#conversations li[data-key='#elsewhere']")
    ivan.send("PRIVMSG #general :wendy: welcome back")
    ivan.send("PRIVMSG #general :and one more")
    badge = page.wait_for_selector("#conversations li[data-key='#general'] .unread.mention >> text=2")
    assert len(page.query_selector_all("#conversations li[data-key='#general'] .unread")) == 1
    assert "naming you" in badge.get_attribute("title")
    ivan.close()
    robot.close()
