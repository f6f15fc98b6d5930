"""The web client in a real browser (Debian's Chromium driven by Playwright),
chatting with a real IRC client through one daemon."""

from __future__ import annotations

import pytest

from .support.parts import have_chromium, require
from .support.sockets import LibraryIRC

pytestmark = pytest.mark.browser

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture
def browser():
    chromium = have_chromium()
    require(chromium is not None, "Chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "playwright is not installed (pip install '.[test]')")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def login(page, port, nick, room="#general", password="", signup=False):
    page.goto(f"http://127.0.0.1:{port}/")
    page.fill("#nick-input", nick)
    page.fill("#password-input", password)
    page.fill("#room-input", room)
    page.click("#signup-button" if signup else "#login-form button[type=submit]")
    page.wait_for_selector("#status[data-state=online]")
    page.wait_for_selector(f"#conversations li.active >> text={room}")


def test_browser_and_irc_user_chat(daemon, browser):
    port = daemon.ports["http"]
    ivan = LibraryIRC(daemon.ports["irc"], "ivan")
    ivan.conn.join("#general")
    ivan.wait("join")

    page = browser.new_page()
    login(page, port, "wendy")
    assert ivan.wait("join", lambda e: e.source.nick == "wendy")
    page.wait_for_selector("#member-list li[data-nick=ivan] >> text=irc")

    page.fill("#message-input", "hello from chromium")
    page.press("#message-input", "Enter")
    assert ivan.wait("pubmsg").arguments == ["hello from chromium"]

    ivan.conn.privmsg("#general", "hello browser, see https://example.org/page.")
    line = page.wait_for_selector("#messages li:has-text('hello browser')")
    assert line.query_selector(".nick").inner_text() == "ivan"
    link = line.query_selector("a")
    assert link.get_attribute("href") == "https://example.org/page"
    assert link.get_attribute("rel") == "noopener noreferrer"

    # Markup from others is shown as text, never run or rendered.
    ivan.conn.privmsg("#general", "<img src=x onerror=alert(1)>")
    shown = page.wait_for_selector("#messages li:has-text('onerror')")
    assert shown.query_selector(".text").inner_text() == "<img src=x onerror=alert(1)>"
    assert shown.query_selector("img") is None

    # A message its author removes disappears from the page.
    ivan.conn.privmsg("#general", "regrettable words")
    regret = page.wait_for_selector("#messages li:has-text('regrettable words')")
    ivan.conn.send_raw(f"REDACT #general {regret.get_attribute('data-id')}")
    page.wait_for_selector("#messages li:has-text('ivan removed a message')")
    assert page.query_selector("#messages li:has-text('regrettable words')") is None

    # IRC formatting and terminal controls never show as boxes or escape codes.
    ivan.conn.privmsg("#general", "\x02bold\x02 and \x0304red\x03 \x1b[2J done")
    formatted = page.wait_for_selector("#messages li:has-text('bold and')")
    assert formatted.query_selector(".text").inner_text() == "bold and red [2J done"

    # Unread counts for a room that is not in view.
    page.fill("#join-input", "#second")
    page.press("#join-input", "Enter")
    page.wait_for_selector("#conversations li.active >> text=#second")
    ivan.conn.privmsg("#general", "while you were away")
    page.wait_for_selector("#conversations li[data-key='#general'] .unread >> text=1")
    ivan.close()


def test_reconnects_and_rejoins_after_the_server_restarts(tmp_path, browser):
    from .support.processes import Daemon

    first = Daemon(state_dir=tmp_path).start()
    port = first.ports["http"]
    try:
        page = browser.new_page()
        login(page, port, "wendy", "#comeback")
        first.stop()
        page.wait_for_selector("#status[data-state=offline]")
        second = Daemon("--http", f"tcp:{port}:interface=127.0.0.1", state_dir=tmp_path).start()
        try:
            page.wait_for_selector("#status[data-state=online]", timeout=40_000)
            ivan = LibraryIRC(second.ports["irc"], "ivan")
            ivan.conn.join("#comeback")
            names = ivan.wait("namreply")
            if "wendy" not in names.arguments[2]:
                ivan.wait("join", lambda e: e.source.nick == "wendy", timeout=30)
            ivan.conn.privmsg("#comeback", "welcome back")
            page.wait_for_selector("#messages li:has-text('welcome back')")
        finally:
            second.kill()
    finally:
        first.kill()


def test_phone_sized_screen(daemon, browser):
    page = browser.new_page(viewport={"width": 390, "height": 800})
    login(page, daemon.ports["http"], "phoebe")
    assert page.is_visible("#menu")
    assert not page.is_visible("#member-list")  # a drawer, closed until asked for
    page.click("#people")
    page.wait_for_selector("#member-list li[data-nick=phoebe]", state="visible")
    page.click("#member-list li[data-nick=phoebe]")  # (yourself: nothing opens) the drawer stays
    page.click("#close-members")  # the drawer's own close control
    page.wait_for_selector("#member-list", state="hidden")
    page.click("#menu")  # the room drawer, over a dimmed backdrop that closes it when tapped
    page.wait_for_selector("#backdrop", state="visible")
    page.mouse.click(380, 400)
    page.wait_for_selector("#backdrop", state="hidden")
    assert "menu-open" not in page.get_attribute("#chat", "class")
    page.fill("#message-input", "typed on a phone")
    page.press("#message-input", "Enter")
    page.wait_for_selector("#messages li:has-text('typed on a phone')")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    page.screenshot(path=str(daemon.state_dir / "phone.png"))


def test_history_on_join_and_scrolling_back(tmp_path, browser):
    from .support.processes import Daemon
    from .support.sockets import LineClient, irc_register

    d = Daemon("--flood-rate", "0", state_dir=tmp_path).start()
    try:
        irc = LineClient(d.ports["irc"])
        irc_register(irc, "ivan")
        irc.send("JOIN #busy")
        irc.send(b"".join(f"PRIVMSG #busy :old message {i}\r\n".encode() for i in range(150)))
        irc.send("PING :sent")
        irc.expect(r"PONG .* :sent")
        page = browser.new_page()
        login(page, d.ports["http"], "wendy", "#busy")
        page.wait_for_selector("#messages li:has-text('old message 149')")
        assert page.locator("#messages li:has-text('old message')").count() == 50
        page.evaluate("document.getElementById('messages').scrollTop = 0")
        page.wait_for_selector("#messages li:has-text('old message 0')")
        texts = page.locator("#messages li .text").all_inner_texts()
        assert texts == [f"old message {i}" for i in range(150)]
    finally:
        d.kill()


def test_search_finds_stored_messages_only_where_you_may_read(daemon, browser):
    ivan = LibraryIRC(daemon.ports["irc"], "ivan")
    ivan.conn.join("#general")
    ivan.conn.join("#private")
    ivan.wait("join")
    ivan.conn.privmsg("#general", "the deploy key rotates on Friday")
    ivan.conn.privmsg("#private", "the deploy password is hunter2")
    page = browser.new_page()
    login(page, daemon.ports["http"], "wendy")
    page.fill("#search-input", "deploy")
    page.press("#search-input", "Enter")
    result = page.wait_for_selector("#search-results li:has-text('rotates on Friday')")
    assert "#general" in result.inner_text()
    assert page.query_selector("#search-results li:has-text('hunter2')") is None  # wendy is not in #private
    page.fill("#search-input", "nothing-like-this")
    page.press("#search-input", "Enter")
    page.wait_for_selector("#search-results li:has-text('Nothing found.')")
    ivan.close()
