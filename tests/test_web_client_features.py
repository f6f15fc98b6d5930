"""What a browser user expects of a modern team chat, in Chromium against a real
daemon: mentions and notifications, the "new messages" divider, formatting,
dark theme, a remembered session, operator commands, typing and replies."""

from __future__ import annotations

import re
import time
import urllib.request

import pytest

from .support.sockets import LineClient, irc_client
from .test_web_client import browser, login  # noqa: F401  (the fixture, shared)

pytestmark = pytest.mark.browser

# Stands in for the browser's Notification API, recording what the page asks for.
FAKE_NOTIFICATIONS = """
window.__asked = 0; window.__notes = [];
window.Notification = class {
  static permission = "default";
  static requestPermission() {
    window.__asked += 1; Notification.permission = "granted"; return Promise.resolve("granted");
  }
  constructor(title, options) { window.__notes.push({ title, body: options.body }); }
};
"""


def test_mentions_notifications_formatting_typing_and_replies(daemon, browser):  # noqa: F811
    ivan = irc_client(daemon.ports["irc"], "ivan", "message-tags echo-message")
    ivan.send("JOIN #general")
    ivan.expect(" 366 ")
    page = browser.new_page()
    page.add_init_script(FAKE_NOTIFICATIONS)
    login(page, daemon.ports["http"], "dana")
    page.click("#notify")  # permission is asked for on a click, never on load
    page.wait_for_selector("#notify >> text=Notifications on")
    assert page.evaluate("window.__asked") == 1

    ivan.send("PRIVMSG #general :dana: welcome! \x02bold\x02 and \x0304red\x03")
    line = page.wait_for_selector("#messages li.mention:has-text('welcome!')")
    assert line.query_selector(".text .b").inner_text() == "bold"
    assert line.query_selector(".text .fg4").inner_text() == "red"
    page.fill("#join-input", "#quiet")
    page.press("#join-input", "Enter")
    page.wait_for_selector("#conversations li.active >> text=#quiet")
    ivan.send("PRIVMSG #general :dana, are you there?")
    page.wait_for_selector("#conversations li[data-key='#general'] .unread.mention >> text=1")
    assert page.title().startswith("(@1) (1)")
    page.wait_for_function("window.__notes.length === 1")
    assert page.evaluate("window.__notes[0]") == {"title": "ivan in #general", "body": "dana, are you there?"}
    ivan.send("PRIVMSG #general :no mention of anyone")
    page.wait_for_selector("#conversations li[data-key='#general'] .unread.mention >> text=2")
    assert page.evaluate("window.__notes.length") == 1

    page.click("#conversations li[data-key='#general']")
    ivan.send("@+typing=active TAGMSG #general")
    page.wait_for_selector("#typing >> text=ivan is typing…")
    page.fill("#message-input", "typing from the browser")
    assert ivan.expect(r"\+typing=active.* TAGMSG #general$")
    page.fill("#message-input", "")
    ivan.send("PRIVMSG #general :a question to answer")
    asked = page.wait_for_selector("#messages li:has-text('a question to answer')")
    msgid = asked.get_attribute("data-id")
    asked.hover()
    asked.query_selector("button.reply").click()
    page.wait_for_selector("#replying >> text=Replying to ivan")
    page.fill("#message-input", "here is the answer")
    page.press("#message-input", "Enter")
    assert f"+draft/reply={msgid}" in ivan.expect("here is the answer")
    ivan.send(f"@+draft/reply={msgid} PRIVMSG #general :thanks")
    page.wait_for_selector("#messages li:has-text('thanks') .reply-to >> text=ivan: a question to answer")
    ivan.close()


def test_the_divider_follows_the_read_position_from_irc(daemon, browser):  # noqa: F811
    talker = irc_client(daemon.ports["irc"], "talker")
    talker.send("JOIN #team")
    for i in range(4):
        talker.send(f"PRIVMSG #team :update {i}")
        talker.send(f"PING :sent {i}")
        talker.expect(f"PONG .*sent {i}")  # the server has stamped it; then let its clock's millisecond pass,
        time.sleep(0.002)  # since IRC timestamps (and so MARKREAD) have millisecond precision
    dana = irc_client(daemon.ports["irc"], "dana", "draft/read-marker message-tags server-time batch draft/chathistory")
    dana.send("REGISTER * * :dana-password")  # the read position belongs to dana's account
    dana.expect("REGISTER SUCCESS dana ")
    dana.send("JOIN #team")
    dana.send("CHATHISTORY LATEST #team * 10")
    stamps = [re.search(r"time=(\S+)", line).group(1) for line in dana.until(r"BATCH -") if "update" in line]
    dana.send(f"MARKREAD #team timestamp={stamps[1]}")  # read up to "update 1" on IRC
    dana.expect(f"MARKREAD #team timestamp={stamps[1]}")
    dana.send("QUIT")
    assert dana.closed()

    page = browser.new_page()
    login(page, daemon.ports["http"], "dana", "#team", password="dana-password")
    page.wait_for_selector("#messages li:has-text('update 3')")
    texts = page.locator("#messages li").all_inner_texts()
    divider = texts.index("new messages")
    assert "update 1" in texts[divider - 1] and "update 2" in texts[divider + 1]
    page.keyboard.press("Escape")  # all read: the divider goes, and the server hears of it
    page.wait_for_selector("#messages li.divider", state="detached")
    talker.close()


def test_dark_theme_follows_the_system_and_the_toggle(daemon, browser):  # noqa: F811
    page = browser.new_page(color_scheme="dark")
    login(page, daemon.ports["http"], "nightowl")
    background = "getComputedStyle(document.querySelector('.sidebar')).backgroundColor"
    assert page.evaluate(background) == "rgb(31, 32, 36)"
    page.click("#theme")  # auto -> dark -> light
    page.click("#theme")
    page.wait_for_selector("#theme >> text=Theme: light")
    assert page.evaluate(background) == "rgb(255, 255, 255)"
    page.reload()
    page.wait_for_selector("#status[data-state=online]")
    assert page.evaluate(background) == "rgb(255, 255, 255)"  # the choice is remembered
    for path in ("/favicon.ico", "/favicon.svg"):
        with urllib.request.urlopen(f"http://127.0.0.1:{daemon.ports['http']}{path}") as response:
            assert response.status == 200 and len(response.read()) > 100


def test_a_reload_keeps_the_nick_rooms_and_conversations(daemon, browser):  # noqa: F811
    ivan = irc_client(daemon.ports["irc"], "ivan")
    page = browser.new_page()
    login(page, daemon.ports["http"], "wendy", password="wendy-password", signup=True)  # DMs belong to accounts
    page.fill("#message-input", "/msg ivan hello in private")
    page.press("#message-input", "Enter")
    assert ivan.expect("PRIVMSG ivan :hello in private")
    page.wait_for_selector("#conversations li.active >> text=@ivan")  # the DM is shown as the active one
    page.wait_for_selector("#conversations li[data-key='#general']:not(.active)")
    page.reload()
    page.wait_for_selector("#status[data-state=online]")
    page.wait_for_selector("#me-nick >> text=wendy")
    page.wait_for_selector("#conversations li >> text=#general")
    page.wait_for_selector("#conversations li >> text=@ivan")
    page.click("#conversations li >> text=@ivan")
    page.wait_for_selector("#messages li:has-text('hello in private')")  # from history
    ivan.close()


def test_operator_commands_and_help_from_the_web(daemon, browser):  # noqa: F811
    page = browser.new_page()
    login(page, daemon.ports["http"], "opal", "#run")  # first in: operator
    ivan = irc_client(daemon.ports["irc"], "ivan")
    ivan.send("JOIN #run")
    ivan.expect(" 366 ")
    page.wait_for_selector("#member-list li[data-nick=ivan]")
    for command in ("/whois ivan", "/voice ivan", "/mode +m", "/topic run the release", "/kick ivan enough"):
        page.fill("#message-input", command)
        page.press("#message-input", "Enter")
    whois = page.wait_for_selector("#messages li.info:has-text('ivan is ~ivan@')").inner_text()
    assert ".cloak" in whois and "127.0.0.1" not in whois  # another person's address is cloaked
    assert ivan.expect(r"MODE #run \+v ivan") and ivan.expect(r"MODE #run \+m")
    assert ivan.expect("TOPIC #run :run the release")
    assert ivan.expect(r"KICK #run ivan :enough")
    page.wait_for_selector("#messages li:has-text('ivan was kicked by opal')")
    page.fill("#message-input", "/frobnicate")
    page.press("#message-input", "Enter")
    page.wait_for_selector("#messages li.error:has-text('Unknown command /frobnicate')")

    ivan.send("JOIN #run")  # +m does not stop joining; now ivan, an operator elsewhere, kicks opal from his room
    ivan.send("JOIN #ivans")
    ivan.expect(" 366 ivan #ivans ")
    page.fill("#join-input", "#ivans")
    page.press("#join-input", "Enter")
    page.wait_for_selector("#conversations li.active >> text=#ivans")
    ivan.send("KICK #ivans opal :out")
    kicked = page.wait_for_selector("#conversations li.kicked >> text=#ivans (kicked: click to rejoin)")
    kicked.click()
    page.wait_for_selector("#conversations li.active >> text=#ivans")
    assert ivan.expect(r":opal!\S+ JOIN #ivans")
    ivan.close()
    LineClient  # noqa: B018  (kept for readers: raw clients live in support.sockets)


def test_member_menu_sound_and_keyboard(daemon, browser):  # noqa: F811
    page = browser.new_page()
    login(page, daemon.ports["http"], "keys", "#first")
    ivan = irc_client(daemon.ports["irc"], "ivan")
    ivan.send("JOIN #first")
    ivan.expect(" 366 ")
    page.click("#sound")
    page.wait_for_selector("#sound >> text=Sound: on")
    page.click("#member-list li[data-nick=ivan]")
    page.click("#member-menu button[data-act=voice]")
    assert ivan.expect(r"MODE #first \+v ivan")
    page.click("#member-list li[data-nick=ivan]")
    page.click("#member-menu button[data-act=message]")
    page.wait_for_selector("#conversations li.active >> text=@ivan")
    page.keyboard.press("Alt+ArrowUp")  # between conversations
    page.wait_for_selector("#conversations li.active >> text=#first")
    page.fill("#message-input", "iv")
    page.press("#message-input", "Tab")  # nick completion
    assert page.input_value("#message-input") == "ivan: "
    page.fill("#message-input", "")
    ivan.send("PRIVMSG #first :keys: ping")
    page.wait_for_selector("#messages li.mention:has-text('keys: ping')")
    page.wait_for_function("window.__beeps === 1")  # sound was turned on: one tone for the mention
    ivan.send("JOIN #emptied")
    ivan.send("PART #emptied")
    ivan.send("PING :x")
    ivan.expect("PONG")
    page.click("#refresh-rooms")
    page.wait_for_selector("#room-directory li[data-room='#first']")
    assert page.query_selector("#room-directory li[data-room='#emptied']") is None  # empty rooms are not offered
    page.click("#member-list li[data-nick=ivan]")
    page.click("#member-menu button[data-act=kick]")
    assert ivan.expect(r"KICK #first ivan")
    ivan.close()
