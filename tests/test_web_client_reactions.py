"""Reactions, edits and deletes in Chromium against a real daemon, with an IRC client that takes
message-tags on the other side: reactions shown and sent both ways and taken back, an edit
replacing the text in place (and reaching IRC as +draft/edit; an IRC client edits the same way),
an edit forged by someone else refused, a delete reaching IRC as REDACT."""

from __future__ import annotations

import re

import pytest

from .support.sockets import irc_client
from .test_web_client import browser, login  # noqa: F401  (the fixture, shared)

pytestmark = pytest.mark.browser


def test_react_edit_and_delete_with_an_irc_client(daemon, browser):  # noqa: F811
    ivan = irc_client(daemon.ports["irc"], "ivan", "message-tags echo-message draft/message-redaction")
    ivan.send("JOIN #general")
    ivan.expect(" 366 ")
    page = browser.new_page()
    login(page, daemon.ports["http"], "wendy")
    ivan.expect(" JOIN #general")

    ivan.send("PRIVMSG #general :ship it?")
    msgid = re.search(r"msgid=([^; ]+)", ivan.expect("PRIVMSG #general :ship it")).group(1)
    line = page.wait_for_selector("#messages li:has-text('ship it?')")
    ivan.send(f"@+draft/react=👍;+draft/reply={msgid} TAGMSG #general")
    page.wait_for_selector("#messages li:has-text('ship it?') .reaction >> text=👍 1")
    assert "ivan" in page.get_attribute("#messages li:has-text('ship it?') .reaction", "title")

    line = page.query_selector("#messages li:has-text('ship it?')")
    line.hover()
    line.query_selector("button[data-act=react]").click()
    page.click("#messages li:has-text('ship it?') .palette button[data-emoji='🎉']")
    reacted = ivan.expect(r":wendy!\S+ TAGMSG #general$")
    assert "+draft/react=🎉" in reacted and f"+draft/reply={msgid}" in reacted and ":wendy!" in reacted
    reaction_id = re.search(r"msgid=([^; ]+)", reacted).group(1)
    page.wait_for_selector("#messages li:has-text('ship it?') .reaction.mine >> text=🎉 1")
    page.click("#messages li:has-text('ship it?') .reaction.mine")  # taken back
    ivan.expect(f"REDACT #general {re.escape(reaction_id)}")
    page.wait_for_selector("#messages li:has-text('ship it?') .reaction.mine", state="detached")
    assert page.inner_text("#messages li:has-text('ship it?') .reactions") == "👍 1"

    page.fill("#message-input", "teh plan is ready")
    page.press("#message-input", "Enter")
    original = re.search(r"msgid=([^; ]+)", ivan.expect("PRIVMSG #general :teh plan is ready")).group(1)
    page.wait_for_selector("#messages li:has-text('teh plan is ready')")
    page.press("#message-input", "ArrowUp")  # edits the last own message
    assert page.input_value("#message-input") == "teh plan is ready"
    page.fill("#message-input", "the plan is ready")
    page.press("#message-input", "Enter")
    edited = ivan.expect("PRIVMSG #general :the plan is ready")
    assert f"+draft/edit={original}" in edited
    page.wait_for_selector("#messages li:has-text('the plan is ready') .edited")
    assert page.query_selector("#messages li:has-text('teh plan')") is None
    assert len(page.query_selector_all("#messages li:has-text('plan is ready')")) == 1

    # nobody else can edit it: an IRC client's edit of someone else's message is refused
    ivan.send(f"@+draft/edit={original} PRIVMSG #general :the plan is cancelled")
    ivan.expect(rf"FAIL PRIVMSG EDIT_FORBIDDEN #general {re.escape(original)} :")
    ivan.send("@+draft/edit=no-such-id PRIVMSG #general :the plan is cancelled")
    ivan.expect(r"FAIL PRIVMSG UNKNOWN_MSGID #general no-such-id :")
    assert page.query_selector("#messages li:has-text('the plan is cancelled')") is None

    # and an IRC client corrects its own line the same way: the page replaces the text
    ivan.send("PRIVMSG #general :lunch at noon")
    own = re.search(r"msgid=([^; ]+)", ivan.expect("PRIVMSG #general :lunch at noon")).group(1)
    page.wait_for_selector("#messages li:has-text('lunch at noon')")
    ivan.send(f"@+draft/edit={own} PRIVMSG #general :lunch at one")
    assert f"+draft/edit={own}" in ivan.expect("PRIVMSG #general :lunch at one")  # the echo, tagged
    page.wait_for_selector("#messages li:has-text('lunch at one') .edited")
    assert page.query_selector("#messages li:has-text('lunch at noon')") is None

    page.on("dialog", lambda dialog: dialog.accept())
    mine = page.query_selector("#messages li:has-text('the plan is ready')")
    mine.hover()
    mine.query_selector("button[data-act=delete]").click()
    ivan.expect(f"REDACT #general {re.escape(original)}")
    page.wait_for_selector("#messages li:has-text('the plan is ready')", state="detached")
    ivan.close()
