"""Accounts, bans and operators across two real nodes sharing one real Redis."""

from __future__ import annotations

import contextlib
import re

import pytest
from websockets.exceptions import ConnectionClosed

from chatd.accounts.passwords import scrypt_hash

from .support.sockets import LineClient, irc_client, irc_register
from .test_cluster import Web, in_sync, node, redis  # noqa: F401  (the fixture, shared)
from .test_core_offline_messages import sasl_client

pytestmark = pytest.mark.cluster


def test_accounts_bans_and_klines_reach_every_node(tmp_path, redis):  # noqa: F811
    config = tmp_path / "operators.toml"
    config.write_text(f'[[operators]]\nname = "root"\npassword = "{scrypt_hash("root-password")}"\n')
    a = in_sync(node(tmp_path, redis, "alpha", "--config", str(config)))
    b = in_sync(node(tmp_path, redis, "beta", "--config", str(config)))
    try:
        # An account made on one node logs in on the other, and owns its nick there.
        ann = LineClient(a.ports["irc"])
        irc_register(ann, "ann")
        ann.send("REGISTER * * :ann-password")
        ann.expect("REGISTER SUCCESS ann ")
        ann.send("JOIN #shared")
        ann.expect(" 366 ")
        with contextlib.ExitStack() as stack:
            web = Web(stack, b.ports["http"], "visitor")
            web.send({"type": "nick", "nick": "ann", "id": 1})
            assert web.expect(lambda f: f.get("id") == 1)["code"] == "nick_reserved"
            web.send({"type": "login", "name": "ann", "password": "ann-password", "id": 2})
            assert web.expect(lambda f: f.get("id") == 2)["account"] == "ann"

            # A ban by account set on node alpha keeps a web user on node beta out.
            troll = Web(stack, b.ports["http"], "trollweb")
            troll.send({"type": "register", "password": "troll-password", "id": 1})
            troll.expect(lambda f: f.get("id") == 1)
            web.send({"type": "join", "room": "#shared", "id": 3})
            web.expect(lambda f: f.get("id") == 3)
            ann.send("MODE #shared +b a:trollweb")
            ann.expect(r"MODE #shared \+b a:trollweb")
            web.expect(lambda f: f.get("type") == "mode")  # node beta has heard of the ban
            troll.send({"type": "join", "room": "#shared", "id": 2})
            refused = troll.expect(lambda f: f.get("id") == 2)
            assert refused.get("code") == "banned", refused

            # A server ban from an operator on alpha disconnects a matching user on beta.
            root = LineClient(a.ports["irc"])
            irc_register(root, "root")
            root.send("OPER root root-password")
            root.expect(" 381 ")
            root.send("KLINE 10 a:trollweb :spam")
            root.expect("Banned a:trollweb")
            with pytest.raises(ConnectionClosed) as closed:
                troll.expect(lambda f: False, timeout=15)  # everything until the node closes the socket
            assert closed.value.rcvd is not None and "Banned: spam" in closed.value.rcvd.reason
    finally:
        a.kill()
        b.kill()


def test_a_token_revoked_on_one_node_signs_in_on_no_node(tmp_path, redis):  # noqa: F811
    a = in_sync(node(tmp_path, redis, "alpha"))
    b = in_sync(node(tmp_path, redis, "beta"))
    try:
        with contextlib.ExitStack() as stack:
            first = Web(stack, a.ports["http"], "tokyo")
            first.send({"type": "register", "password": "tokyo-password", "id": 1})
            token = first.expect(lambda f: f.get("id") == 1)["token"]
            # The token signs in on the other node: one store for the network.
            other = Web(stack, b.ports["http"], "tokyo-phone")
            other.send({"type": "login", "token": token, "id": 2})
            assert other.expect(lambda f: f.get("id") == 2)["type"] == "logged_in"
            other.send({"type": "sessions", "id": 3})
            assert len(other.expect(lambda f: f.get("id") == 3)["sessions"]) == 1
            # Signing out on beta revokes it for alpha too, at once.
            other.send({"type": "logout", "id": 4})
            assert other.expect(lambda f: f.get("id") == 4)["revoked"] == 1
            again = Web(stack, a.ports["http"], "thief")
            again.send({"type": "login", "token": token, "id": 5})
            assert again.expect(lambda f: f.get("id") == 5)["code"] == "bad_login"
    finally:
        a.kill()
        b.kill()


def test_an_operator_password_reset_holds_on_every_node(tmp_path, redis):  # noqa: F811
    """``python -m chatd.account --redis`` sets the password in Redis: the old one and the saved
    sessions stop working on both nodes at once, the new one works on both."""
    from .test_service_account_reset import account_tool

    a = in_sync(node(tmp_path, redis, "alpha"))
    b = in_sync(node(tmp_path, redis, "beta"))
    try:
        with contextlib.ExitStack() as stack:
            first = Web(stack, a.ports["http"], "kyoto")
            first.send({"type": "register", "password": "kyoto-password", "id": 1})
            token = first.expect(lambda f: f.get("id") == 1)["token"]
            reset = account_tool(str(tmp_path), "--redis", redis.url, "passwd", "kyoto", stdin="kyoto-new-password\n")
            assert reset.returncode == 0 and "1 session(s) ended" in reset.stdout, reset.stderr
            for port, nick in ((a.ports["http"], "k1"), (b.ports["http"], "k2")):
                web = Web(stack, port, nick)
                web.send({"type": "login", "token": token, "id": 2})
                assert web.expect(lambda f: f.get("id") == 2)["code"] == "bad_login"
                web.send({"type": "login", "name": "kyoto", "password": "kyoto-password", "id": 3})
                assert web.expect(lambda f: f.get("id") == 3)["code"] == "bad_login"
                web.send({"type": "login", "name": "kyoto", "password": "kyoto-new-password", "id": 4})
                assert web.expect(lambda f: f.get("id") == 4)["account"] == "kyoto"
    finally:
        a.kill()
        b.kill()


def test_mail_codes_and_reset_links_work_across_nodes(tmp_path, redis):  # noqa: F811
    """The signing key and the verified address live in Redis: a code mailed by one node verifies
    on the other, and a reset link asked for on one node works once, on the other."""
    from .support.smtp import MailCatcher, found
    from .test_account_mail import ask

    with MailCatcher() as mail:
        a = in_sync(node(tmp_path, redis, "alpha", "--smtp", mail.address))
        b = in_sync(node(tmp_path, redis, "beta", "--smtp", mail.address))
        try:
            made = ask(a.ports["http"], {"type": "register", "name": "nara", "password": "nara-password",
                                         "email": "nara@example.org"})
            assert made["type"] == "logged_in"
            code = found(r"NickServ VERIFY nara (\w+)", mail.next())
            assert ask(b.ports["http"], {"type": "verify_email", "account": "nara", "code": code})["type"] \
                == "email_verified"
            assert ask(a.ports["http"], {"type": "reset_request", "name": "nara"})["type"] == "reset_requested"
            token = found(r"RESETPASS nara (\S+) <new password>", mail.next())
            done = ask(b.ports["http"], {"type": "reset_password", "token": token, "password": "nara-new-password"})
            assert done["type"] == "logged_in"
            assert ask(a.ports["http"], {"type": "reset_password", "token": token,
                                         "password": "nara-third-password"})["code"] == "bad_code"
            assert ask(a.ports["http"], {"type": "login", "token": made["token"]})["code"] == "bad_login"
            assert ask(a.ports["http"], {"type": "login", "name": "nara", "password": "nara-new-password"})[
                "type"] == "logged_in"
        finally:
            a.kill()
            b.kill()


def test_a_message_to_an_account_registered_on_another_node_waits_for_it(tmp_path, redis):  # noqa: F811
    """No 401 for an account that exists, whichever node it was registered on: one node learns it
    as it happens (an event), one started afterwards from Redis."""
    a = in_sync(node(tmp_path, redis, "alpha"))
    b = in_sync(node(tmp_path, redis, "beta"))
    c = None
    try:
        alice = irc_client(a.ports["irc"], "alice")
        alice.send("REGISTER * * :alice-password")
        alice.expect("REGISTER SUCCESS alice ")
        alice.send("QUIT :laptop closed")
        assert alice.closed()
        c = in_sync(node(tmp_path, redis, "gamma"))
        bob = irc_client(b.ports["irc"], "bob")
        bob.send("PRIVMSG alice :from beta")
        assert bob.expect(" 301 bob alice ").endswith(":is offline; your message waits for them")
        bob.send("PRIVMSG nobody :hello?")
        bob.expect(" 401 bob nobody ")
        carol = irc_client(c.ports["irc"], "carol")
        carol.send("PRIVMSG alice :from gamma")
        assert carol.expect(" 301 carol alice ").endswith(":is offline; your message waits for them")
        back = sasl_client(c.ports["irc"], "alice", "alice-password")
        back.send("PING :after-welcome")
        lines = back.until("PONG")
        assert any(re.match(r"^:bob!\S+ PRIVMSG alice :from beta$", line) for line in lines)
        assert any(re.match(r"^:carol!\S+ PRIVMSG alice :from gamma$", line) for line in lines)
    finally:
        for daemon in (a, b, c):
            if daemon is not None:
                daemon.kill()
