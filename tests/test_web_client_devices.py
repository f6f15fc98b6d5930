"""The web client as one more device of someone on IRC (Chromium against a real daemon): signing in
as alice while alice's IRC client is connected opens alice's rooms, a room joined on IRC opens in
the browser, and what either device says shows on the other as alice's; the same with the browser
on another node of a cluster than the laptop."""

from __future__ import annotations

import pytest

from .support.sockets import irc_client
from .test_cluster import in_sync, node, redis  # noqa: F401  (the fixture, shared)
from .test_irc_multiclient import register, sasl_line_client
from .test_web_client import browser  # noqa: F401  (the fixture, shared)

pytestmark = pytest.mark.browser


def test_the_browser_is_one_more_device_of_an_irc_user(daemon, browser):  # noqa: F811
    laptop_and_browser(daemon, daemon, browser)


def test_the_browser_on_another_node_is_one_more_device(tmp_path, redis, browser):  # noqa: F811
    """The laptop on alpha holds alice; the browser reaches beta and is carried to alpha, also after
    a reload (signed in again by its session token)."""
    a = in_sync(node(tmp_path, redis, "alpha"))
    b = in_sync(node(tmp_path, redis, "beta"))
    try:
        page = laptop_and_browser(a, b, browser)
        page.reload()
        page.wait_for_selector("#me-nick >> text=alice ✓")
        page.wait_for_selector("#conversations li[data-key='#late']")
        page.wait_for_selector("#messages >> text=typed in the browser")
    finally:
        a.kill()
        b.kill()


def laptop_and_browser(holder, reached, browser):  # noqa: F811
    """alice's laptop on IRC at ``holder``, then her browser at ``reached`` signing in as her: it opens
    her rooms, follows a join made on the laptop, and what either says shows on the other as
    alice's; others see one alice.  Returns the page."""
    register(holder, "alice")
    laptop = sasl_line_client(holder.ports["irc"], "alice", "alice-password")
    laptop.expect(" 001 alice ")
    laptop.send("JOIN #team,#ops")
    laptop.expect(" 366 alice #ops ")

    page = browser.new_page()
    page.goto(f"http://127.0.0.1:{reached.ports['http']}/")
    page.fill("#nick-input", "alice")
    page.fill("#password-input", "alice-password")
    page.fill("#room-input", "#team")
    page.click("#chat-button")
    page.wait_for_selector("#me-nick >> text=alice ✓")
    page.wait_for_selector("#conversations li[data-key='#ops']")  # joined on the laptop, open here too
    page.wait_for_selector("#conversations li[data-key='#team']")

    laptop.send("JOIN #late")
    laptop.expect(" 366 alice #late ")
    page.wait_for_selector("#conversations li[data-key='#late']")

    page.click("#conversations li[data-key='#team']")
    laptop.send("PRIVMSG #team :typed on the laptop")
    page.wait_for_selector("#messages >> text=typed on the laptop")
    page.fill("#message-input", "typed in the browser")
    page.press("#message-input", "Enter")
    assert laptop.expect(r"PRIVMSG #team :typed in the browser$").startswith(":alice!")

    bob = irc_client(reached.ports["irc"], "bob")
    bob.send("WHOIS alice")
    assert len([line for line in bob.until(" 318 ") if " 311 bob alice " in line]) == 1
    return page


def test_a_reload_comes_back_to_the_open_conversation(daemon, browser):  # noqa: F811
    page = browser.new_page()
    page.goto(f"http://127.0.0.1:{daemon.ports['http']}/")
    page.fill("#nick-input", "rita")
    page.fill("#password-input", "rita-password")
    page.fill("#room-input", "#one")
    page.click("#signup-button")
    page.wait_for_selector("#me-nick >> text=rita ✓")
    page.fill("#join-input", "#two")
    page.press("#join-input", "Enter")
    page.wait_for_selector("#conversation-name >> text=#two")
    ivan = irc_client(daemon.ports["irc"], "ivan")
    ivan.send("PRIVMSG rita :are you there?")
    page.wait_for_selector("#conversations li[data-key='ivan']")
    page.click("#conversations li[data-key='ivan']")
    page.wait_for_selector("#conversation-name >> text=@ivan")

    page.reload()  # signed in again by its session token; back in @ivan, not in the last room joined
    page.wait_for_selector("#me-nick >> text=rita ✓")
    page.wait_for_selector("#conversations li[data-key='#two']")
    page.wait_for_selector("#conversation-name >> text=@ivan")
    page.wait_for_selector("#messages >> text=are you there?")
