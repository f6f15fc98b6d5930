"""Accounts in the browser (Chromium against a real daemon): sign up on the login form, stay
signed in across a reload, see who is signed in, and keep a troll out with the member menu."""

from __future__ import annotations

import pytest

from .support.sockets import irc_client
from .test_web_client import browser  # noqa: F401  (the fixture, shared)

pytestmark = pytest.mark.browser


def test_sign_up_reload_and_ban_and_mute_from_the_member_menu(daemon, browser):  # noqa: F811
    port = daemon.ports["http"]
    page = browser.new_page()
    page.goto(f"http://127.0.0.1:{port}/")
    page.fill("#nick-input", "wanda")
    page.fill("#password-input", "short")
    page.fill("#room-input", "#team")
    page.click("#signup-button")
    page.wait_for_selector("#login-error >> text=at least 8 characters")
    page.fill("#password-input", "wanda-password")
    page.click("#signup-button")
    page.wait_for_selector("#status[data-state=online]")
    page.wait_for_selector("#me-nick >> text=wanda ✓")
    assert page.input_value("#password-input") == ""
    assert page.evaluate("localStorage.getItem('chatd.token')")
    assert not any("wanda-password" in (page.evaluate(f"localStorage.getItem('{k}')") or "")
                   for k in page.evaluate("Object.keys(localStorage)"))

    page.fill("#message-input", "/registerroom")  # the room keeps wanda as its operator, by account
    page.press("#message-input", "Enter")
    page.wait_for_selector("#messages >> text=#team is registered to wanda")

    troll = irc_client(daemon.ports["irc"], "troll", "account-notify")
    troll.send("REGISTER * * :troll-password")
    troll.expect("REGISTER SUCCESS troll ")
    troll.send("JOIN #team")
    troll.expect(" 366 ")
    page.wait_for_selector("#member-list li[data-nick=troll] .account")
    assert page.get_attribute("#member-list li[data-nick=wanda]", "data-account") == "wanda"

    page.reload()  # the session token signs in again, no password asked; the room gives back +o
    page.wait_for_selector("#me-nick >> text=wanda ✓")
    page.wait_for_selector("#member-list li[data-nick=wanda] >> text=@wanda")
    page.wait_for_selector("#member-list li[data-nick=troll]")

    page.click("#member-list li[data-nick=troll]")
    page.click("#member-menu button[data-act=mute]")
    assert troll.expect(r":wanda!\S+ MODE #team \+q a:troll")
    troll.send("PRIVMSG #team :you cannot silence me")
    assert troll.expect(" 404 troll #team ")
    page.click("#member-list li[data-nick=troll]")
    page.click("#member-menu button[data-act=ban]")
    assert troll.expect(r":wanda!\S+ MODE #team \+b a:troll")
    page.click("#member-list li[data-nick=troll]")
    page.click("#member-menu button[data-act=kick]")
    troll.expect(r"KICK #team troll")
    troll.send("NICK troll2")  # a new nick does not help: the ban is on the account
    troll.send("JOIN #team")
    assert troll.expect(" 474 troll2 #team ")
    troll.close()


def test_forgot_password_verify_and_reset_links_in_the_browser(tmp_path, browser):  # noqa: F811
    from .support.processes import Daemon
    from .support.smtp import MailCatcher, found
    from .test_account_mail import ask

    with MailCatcher() as mail:
        daemon = Daemon("--smtp", mail.address, state_dir=tmp_path).start()
        try:
            port = daemon.ports["http"]
            made = ask(port, {"type": "register", "name": "wendy", "password": "wendy-password",
                              "email": "wendy@example.org"})
            assert made["type"] == "logged_in"
            page = browser.new_page()
            page.goto(found(r"open (\S+#verify=\S+)", mail.next()))  # the mail's link
            page.wait_for_selector("#login-error >> text=address of wendy is verified")
            assert "#" not in page.url  # the code does not stay in the address bar

            page.fill("#nick-input", "wendy")
            page.click("#forgot-button")
            page.wait_for_selector("#login-error >> text=a link to reset the password is on its way")
            page.goto(found(r"open (\S+#reset=\S+)", mail.next()))
            page.wait_for_selector("#reset-form:not([hidden])")
            page.fill("#reset-password", "a-new-password")
            page.fill("#reset-again", "another-one")
            page.click("#reset-button")
            page.wait_for_selector("#reset-error >> text=differ")
            page.fill("#reset-again", "a-new-password")
            page.click("#reset-button")
            page.wait_for_selector("#login-error >> text=You are signed in")
            assert page.input_value("#nick-input") == "wendy"
            page.click("#chat-button")  # the saved session signs in: no password asked
            page.wait_for_selector("#me-nick >> text=wendy ✓")
            assert ask(port, {"type": "login", "token": made["token"]})["code"] == "bad_login"
        finally:
            daemon.kill()
