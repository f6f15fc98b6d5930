"""A way back into an account by mail, against a real daemon and a real SMTP server (aiosmtpd):
an address given at registration gets a code, VERIFY confirms it, and a reset link then goes to
it (and only to a verified address), works once, and ends every other session."""

from __future__ import annotations

import json
from urllib.parse import unquote

import pytest
from websockets.sync.client import connect

from tests.support.processes import Daemon
from tests.support.smtp import MailCatcher, body, found
from tests.support.sockets import irc_client

pytestmark = pytest.mark.integration


def ask(port: int, frame: dict) -> dict:
    """One frame on a fresh WebSocket (as the web client's reset page does), and its answer."""
    with connect(f"ws://127.0.0.1:{port}/ws", subprotocols=["chatd.v1"]) as ws:
        ws.send(json.dumps({**frame, "id": 1}))
        while True:
            answer = json.loads(ws.recv(timeout=15))
            if answer.get("id") == 1:
                return answer


@pytest.fixture
def mail():
    with MailCatcher() as catcher:
        yield catcher


def test_verify_then_reset_by_mail_link_over_irc_and_the_web(tmp_path, mail):
    daemon = Daemon("--smtp", mail.address, "--smtp-from", "chat@example.org", "--network-name", "Team",
                    "--login-attempts", "20", state_dir=tmp_path).start()
    try:
        irc, web = daemon.ports["irc"], daemon.ports["http"]
        alice = irc_client(irc, "alice")
        alice.send("REGISTER alice alice@example.org :alice-password-1")
        assert "VERIFY alice <code>" in alice.expect(r"REGISTER SUCCESS alice ")
        first = mail.next()
        assert first["To"] == "alice@example.org" and first["From"] == "chat@example.org"
        assert first["Subject"] == "Verify your address on Team" and first["Auto-Submitted"] == "auto-generated"
        code = found(r"NickServ VERIFY alice (\w+)", first)
        assert f"http://127.0.0.1:{web}/#verify=alice.{code}" in body(first)

        # Not verified yet: a reset request is answered as for anyone, and mails nothing.
        assert ask(web, {"type": "reset_request", "name": "alice"})["type"] == "reset_requested"
        alice.send("VERIFY alice WRONGCODE")
        alice.expect(r"FAIL VERIFY INVALID_CODE alice ")
        alice.send(f"VERIFY alice {code.lower()}")
        alice.expect(r"VERIFY SUCCESS alice ")

        # A browser session of alice's, which the reset must end.
        signed_in = ask(web, {"type": "login", "name": "alice", "password": "alice-password-1"})
        assert signed_in["type"] == "logged_in"
        bob = ask(web, {"type": "register", "name": "bob", "password": "bob-password"})  # no address
        for name in ("bob", "nobody", "alice"):
            assert ask(web, {"type": "reset_request", "name": name}) == {
                "type": "reset_requested", "name": name, "id": 1}
        reset = mail.next()  # alice's; bob and nobody got none (and the unverified request none)
        assert reset["To"] == "alice@example.org" and reset["Subject"] == "Reset your password on Team"
        token = found(r"RESETPASS alice (\S+) <new password>", reset)
        link = found(r"open (\S+#reset=\S+)", reset)
        assert unquote(link.split("#reset=")[1]) == token and bob["type"] == "logged_in"

        assert ask(web, {"type": "reset_password", "token": token, "password": "short"})["code"] == "weak_password"
        done = ask(web, {"type": "reset_password", "token": token, "password": "alice-password-2"})
        assert done["type"] == "logged_in" and done["account"] == "alice" and done["token"]
        assert ask(web, {"type": "login", "token": signed_in["token"]})["code"] == "bad_login"  # ended
        assert ask(web, {"type": "login", "token": done["token"]})["type"] == "logged_in"
        assert ask(web, {"type": "login", "name": "alice", "password": "alice-password-1"})["code"] == "bad_login"
        again = ask(web, {"type": "reset_password", "token": token, "password": "alice-password-3"})
        assert again["code"] == "bad_code"  # a link works once
        forged = token[:-1] + ("A" if token[-1] != "A" else "B")
        forging = ask(web, {"type": "reset_password", "token": forged, "password": "alice-password-3"})
        assert forging["code"] == "bad_code"

        # The same on IRC, through NickServ.
        alice.send("PRIVMSG NickServ :RESETPASS alice")
        alice.expect(r"NOTICE alice :If alice has a verified address, a reset link is on its way")
        token = found(r"RESETPASS alice (\S+) <new password>", mail.next())
        alice.send(f"PRIVMSG NickServ :RESETPASS alice {token} alice-password-3")
        alice.expect(r"NOTICE alice :Password of alice changed")
        assert ask(web, {"type": "login", "name": "alice", "password": "alice-password-3"})["type"] == "logged_in"

        # A fourth request for alice within the hour is held back (and the operator hears of it).
        assert ask(web, {"type": "reset_request", "name": "alice"})["type"] == "reset_requested"
        daemon.wait_for_log(lambda line: "password reset requests" in line and "held back" in line or None)

        # A new address is unverified until its own code is entered; the old code is worthless.
        alice.send("PRIVMSG NickServ :EMAIL alice@new.example.org")
        alice.expect(r"NOTICE alice :Your address is now alice@new.example.org")
        fresh = mail.next()
        assert fresh["To"] == "alice@new.example.org"
        alice.send(f"VERIFY alice {code}")
        alice.expect(r"FAIL VERIFY INVALID_CODE alice ")
        new_code = found(r"NickServ VERIFY alice (\w+)", fresh)
        alice.send(f"VERIFY alice {new_code}")
        alice.expect(r"VERIFY SUCCESS alice ")
        carol = irc_client(irc, "carol")
        carol.send("REGISTER carol not-an-address :carol-password")
        carol.expect(r"FAIL REGISTER INVALID_EMAIL carol ")
        injected = ask(web, {"type": "register", "name": "erin", "password": "erin-password",
                             "email": "erin@example.org\r\nBcc: all@example.org"})  # no header injection
        assert injected["code"] == "bad_email"
    finally:
        daemon.kill()


def test_without_smtp_nothing_is_mailed_and_people_are_told_whom_to_ask(tmp_path):
    daemon = Daemon(state_dir=tmp_path).start()
    try:
        web = daemon.ports["http"]
        refused = ask(web, {"type": "reset_request", "name": "alice"})
        assert refused["code"] == "no_mail" and "operator" in refused["message"]
        guest = irc_client(daemon.ports["irc"], "dave")
        guest.send("REGISTER dave dave@example.org :dave-password")
        assert "VERIFY" not in guest.expect(r"REGISTER SUCCESS dave ")
        guest.send("VERIFY dave ABCDEFGH")
        guest.expect(r"FAIL VERIFY INVALID_CODE dave ")
    finally:
        daemon.kill()


def test_smtp_options_are_checked_at_start(tmp_path):
    from twisted.python import usage

    from chatd.options import Options

    for argv, message in ((["--smtp", "mail:port"], "--smtp: "),
                          (["--smtp", "mail", "--smtp-from", "nobody"], "--smtp-from: "),
                          (["--smtp", "mail", "--smtp-user", "u"], "--smtp-user and --smtp-password")):
        with pytest.raises(usage.UsageError, match=message):
            Options().parseOptions([*argv, "--state-dir", str(tmp_path / "s")])
