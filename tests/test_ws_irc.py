"""Web IRC clients: IRC over WebSocket (text.ircv3.net, binary.ircv3.net) on /ws,
chatting with a TCP IRC client and a chatd.v1 browser user, under the same rules."""

from __future__ import annotations

import base64
import contextlib
import json

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from .support.parts import CLOAK
from .support.processes import Daemon
from .support.sockets import LineClient, irc_register

pytestmark = pytest.mark.integration


class WebIRC:
    """A web IRC client as Gamja or Kiwi IRC would be: one IRC line per WebSocket message."""

    def __init__(self, stack, port, subprotocol="text.ircv3.net", origin=None):
        self.ws = stack.enter_context(connect(f"ws://127.0.0.1:{port}/ws", subprotocols=[subprotocol],
                                              origin=origin))
        self.binary = subprotocol.startswith("binary")
        assert self.ws.subprotocol == subprotocol

    def send(self, line):
        self.ws.send(line.encode() if self.binary else line)

    def expect(self, needle, timeout=10):
        while True:
            message = self.ws.recv(timeout=timeout)
            line = message.decode() if isinstance(message, bytes) else message
            assert "\r" not in line and "\n" not in line  # one line per message, no CRLF
            if needle in line:
                return line


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    d = Daemon(state_dir=tmp_path_factory.mktemp("wsirc")).start()
    yield d
    d.kill()


def test_a_web_irc_client_chats_with_tcp_irc_and_chatd_v1_users(server):
    port = server.ports["http"]
    tcp = LineClient(server.ports["irc"])
    irc_register(tcp, "tcpivan")
    tcp.send("JOIN #webirc")
    tcp.expect(" 366 ")
    with contextlib.ExitStack() as stack:
        kiwi = WebIRC(stack, port)
        kiwi.send("CAP LS 302")
        assert "draft/chathistory" in kiwi.expect("CAP * LS")
        kiwi.send("NICK kiwi")
        kiwi.send("USER kiwi 0 * :Kiwi user")
        kiwi.send("CAP END")
        assert kiwi.expect(" 001 kiwi ")
        kiwi.expect(" 376 kiwi ")  # a client reads the whole welcome
        kiwi.send("JOIN #webirc")
        assert kiwi.expect(" 366 kiwi #webirc ")
        assert tcp.expect(rf"^:kiwi!~kiwi@{CLOAK} JOIN #webirc$")
        kiwi.send("PRIVMSG #webirc :hello over a web socket")
        assert tcp.expect(r"PRIVMSG #webirc :hello over a web socket$")
        tcp.send("PRIVMSG #webirc :hello back")
        assert kiwi.expect("hello back").startswith(":tcpivan!")

        browser = stack.enter_context(connect(f"ws://127.0.0.1:{port}/ws", subprotocols=["chatd.v1"]))
        browser.send(json.dumps({"type": "hello", "nick": "webwendy"}))
        browser.send(json.dumps({"type": "join", "room": "#webirc", "id": 1}))
        while json.loads(browser.recv(timeout=10)).get("id") != 1:
            pass
        assert kiwi.expect("JOIN #webirc").startswith(":webwendy!web@")
        kiwi.send("WHOIS webwendy")
        assert "chatd (web)" in kiwi.expect(" 312 ")

        gamja = WebIRC(stack, port, "binary.ircv3.net")
        gamja.send("NICK gamja")
        gamja.send("USER gamja 0 * :Gamja")
        assert gamja.expect(" 001 gamja ")
        gamja.expect(" 376 gamja ")
        gamja.send("PRIVMSG kiwi :binary works too")
        assert kiwi.expect("binary works too").startswith(":gamja!")
        kiwi.send("QUIT :bye")
        assert kiwi.expect("ERROR :Closing Link")
        assert tcp.expect(r"^:kiwi!\S+ QUIT :Quit: bye$")
    tcp.close()


def test_web_irc_has_the_same_origin_rules_and_flood_control(server):
    port = server.ports["http"]
    with pytest.raises(InvalidStatus) as refused:
        connect(f"ws://127.0.0.1:{port}/ws", subprotocols=["text.ircv3.net"], origin="https://evil.example")
    assert refused.value.response.status_code == 403
    with pytest.raises(InvalidStatus) as unknown:
        connect(f"ws://127.0.0.1:{port}/ws", subprotocols=["mqtt"])
    assert unknown.value.response.status_code == 400
    with contextlib.ExitStack() as stack:
        flooder = WebIRC(stack, port)
        flooder.send("NICK flooder")
        flooder.send("USER f 0 * :F")
        flooder.expect(" 376 ")
        with pytest.raises(ConnectionClosed):
            for i in range(500):
                flooder.send(f"PRIVMSG #nowhere :{i}")
            flooder.expect("never")
    tcp = LineClient(server.ports["irc"])
    irc_register(tcp, "afterflood")
    tcp.send("WHOIS flooder")
    assert tcp.expect(" 401 afterflood flooder ")  # gone, nick free
    tcp.close()


def test_a_web_irc_client_signs_in_with_sasl(server):
    """SASL waits on the account store: meanwhile the web IRC socket is not read, and the lines the
    client sent behind it are answered after it, in order."""
    tcp = LineClient(server.ports["irc"])
    irc_register(tcp, "saslwendy")
    tcp.send("REGISTER * * :wendy-password")
    tcp.expect("REGISTER SUCCESS saslwendy ")
    tcp.send("QUIT")
    assert tcp.closed()
    with contextlib.ExitStack() as stack:
        kiwi = WebIRC(stack, server.ports["http"])
        kiwi.send("CAP REQ :sasl")
        kiwi.send("NICK saslwendy")
        kiwi.send("USER wendy 0 * :Wendy")
        kiwi.send("AUTHENTICATE PLAIN")
        kiwi.expect("AUTHENTICATE +")
        kiwi.send("AUTHENTICATE " + base64.b64encode(b"\0saslwendy\0wendy-password").decode())
        kiwi.send("CAP END")  # sent at once, read once SASL has answered
        assert "You are now logged in as saslwendy" in kiwi.expect(" 900 ")
        kiwi.expect(" 903 ")
        kiwi.expect(" 001 saslwendy ")
