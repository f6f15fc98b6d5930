"""File uploads against a real daemon over real HTTP: the filehost draft as an IRC client uses
it (ISUPPORT, OPTIONS, POST with Basic credentials, 201 and Location), the web session token,
refusals (401, 413 per file and per quota, 415), the headers files are served with (an HTML
file is never served as HTML), guests, and a file deleted with the message that carried it."""

from __future__ import annotations

import base64
import http.client
import json
import re
import struct
import zlib
from typing import Optional
from urllib.parse import urlsplit

import pytest

from .support.processes import Daemon
from .support.sockets import irc_client
from .test_irc_multiclient import register, sasl_line_client, web_frame, web_signed_in

pytestmark = pytest.mark.integration


def png(width: int = 2, height: int = 2, extra: int = 0) -> bytes:
    """A real PNG (what filetype sniffs as image/png), padded to ``extra`` more bytes in a text chunk."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\0" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + (chunk(b"tEXt", b"pad\0" + b"x" * extra) if extra else b"")
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def basic(name: str) -> str:
    return "Basic " + base64.b64encode(f"{name}:{name}-password".encode()).decode()


def request(daemon: Daemon, method: str, path: str, body: Optional[bytes] = None,
            headers: Optional[dict[str, str]] = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", daemon.ports["http"], timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def upload(daemon: Daemon, data: bytes, name: str, authorization: Optional[str], kind: str = "image/png"):
    headers = {"Content-Type": kind, "Content-Disposition": f'attachment; filename="{name}"'}
    if authorization:
        headers["Authorization"] = authorization
    return request(daemon, "POST", "/upload", data, headers)


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    d = Daemon("--flood-rate", "0", "--upload-max-size", "100000", "--upload-quota", "150000", "--upload-guests",
               "--upload-guest-quota", "5000", state_dir=tmp_path_factory.mktemp("uploads")).start()
    register(d, "alice")
    register(d, "bob")
    yield d
    d.kill()


def test_filehost_from_an_irc_client(daemon):
    alice = sasl_line_client(daemon.ports["irc"], "alice", "alice-password")
    isupport = "\n".join(alice.until(" 376 | 422 "))
    url = re.search(r" draft/FILEHOST=(\S+)", isupport).group(1)
    assert re.search(r" soju\.im/FILEHOST=" + re.escape(url) + " ", isupport)
    assert url == f"http://127.0.0.1:{daemon.ports['http']}/upload"

    status, headers, _ = request(daemon, "OPTIONS", "/upload")
    assert status == 204 and "image/*" in headers["accept-post"]

    status, headers, body = upload(daemon, png(), "shot.png", None)
    assert status == 401 and headers["www-authenticate"].startswith("Basic")
    assert json.loads(body)["error"] == "unauthorized"
    status, _, _ = upload(daemon, png(), "shot.png", "Basic " + base64.b64encode(b"alice:wrong").decode())
    assert status == 401

    image = png()
    status, headers, body = upload(daemon, image, "screen shot.png", basic("alice"))
    assert status == 201, body
    location = headers["location"]
    assert json.loads(body)["url"] == location and location.endswith("/screen%20shot.png")
    path = urlsplit(location).path
    status, headers, served = request(daemon, "GET", path)
    assert status == 200 and served == image
    assert headers["content-type"] == "image/png"
    assert headers["x-content-type-options"] == "nosniff"
    csp, disposition = headers["content-security-policy"], headers["content-disposition"]
    assert "sandbox" in csp and "default-src 'none'" in csp
    assert disposition.startswith("inline;") and "screen%20shot.png" in disposition
    status, headers, served = request(daemon, "HEAD", path)
    assert status == 200 and served == b"" and headers["content-length"] == str(len(image))

    # bob, on IRC, gets the link as alice shares it
    bob = irc_client(daemon.ports["irc"], "bob")
    bob.send("JOIN #files")
    bob.expect(" 366 ")
    alice.send("JOIN #files")
    alice.expect(" 366 ")
    alice.send(f"PRIVMSG #files :{location}")
    bob.expect(re.escape(f"PRIVMSG #files :{location}"))
    alice.close()
    bob.close()


def test_an_html_file_is_never_served_as_html(daemon):
    page = b"<!doctype html><html><script>alert(document.cookie)</script></html>"
    status, headers, _ = upload(daemon, page, "page.html", basic("alice"), kind="text/html")
    assert status == 201
    status, headers, served = request(daemon, "GET", urlsplit(headers["location"]).path)
    assert status == 200 and served == page
    assert headers["content-type"] == "text/plain; charset=utf-8"  # sniffed as text, not believed as HTML
    assert headers["content-disposition"].startswith("attachment;")
    assert headers["x-content-type-options"] == "nosniff" and "sandbox" in headers["content-security-policy"]
    # nor a page dressed up as an image
    status, headers, _ = upload(daemon, page, "cat.png", basic("alice"), kind="image/png")
    assert status == 201
    status, headers, _ = request(daemon, "GET", urlsplit(headers["location"]).path)
    assert headers["content-type"] == "text/plain; charset=utf-8"
    assert headers["content-disposition"].startswith("attachment;")


def test_limits_size_quota_and_type(daemon):
    status, _, body = upload(daemon, png(extra=100_001), "big.png", basic("bob"))
    assert status == 413 and json.loads(body)["error"] == "too_large"
    status, _, _ = upload(daemon, png(extra=80_000), "one.png", basic("bob"))
    assert status == 201
    status, _, body = upload(daemon, png(extra=80_000), "two.png", basic("bob"))
    assert status == 413 and json.loads(body)["error"] == "over_quota"
    status, headers, body = upload(daemon, bytes(range(256)) * 4, "blob.bin", basic("bob"),
                                   kind="application/octet-stream")
    assert status == 415 and json.loads(body)["error"] == "unsupported_type" and "image/*" in headers["accept-post"]
    status, _, _ = upload(daemon, b"", "empty.png", basic("bob"))
    assert status == 400


def test_web_session_token_and_guests(daemon):
    with web_signed_in(daemon, "alice") as ws:
        token = web_frame(ws, "logged_in")["token"]
        offer = web_frame(ws, "welcome")["upload"]
        assert offer["url"] == "/upload" and offer["max_size"] == 100000 and "token" not in offer
        status, headers, _ = upload(daemon, png(), "from-web.png", "Bearer " + token)
        assert status == 201 and "/files/" in headers["location"]
    status, _, _ = upload(daemon, png(), "x.png", "Bearer " + token[:-4] + "AAAA")
    assert status == 401

    from websockets.sync.client import connect

    with connect(f"ws://127.0.0.1:{daemon.ports['http']}/ws", subprotocols=["chatd.v1"]) as guest:
        guest.send(json.dumps({"type": "hello", "nick": "visitor", "id": 1}))
        offer = web_frame(guest, "welcome")["upload"]
        status, _, _ = upload(daemon, png(), "guest.png", "Bearer " + offer["token"])
        assert status == 201
        status, _, body = upload(daemon, png(extra=5000), "guest-big.png", "Bearer " + offer["token"])
        assert status == 413 and json.loads(body)["error"] == "over_quota"  # the guests' smaller quota
    # the guest left: its token uploads nothing more
    status, _, _ = upload(daemon, png(), "after.png", "Bearer " + offer["token"])
    assert status == 401


def test_a_file_goes_with_the_message_that_carried_it(daemon):
    caps = "draft/message-redaction message-tags echo-message"
    alice = sasl_line_client(daemon.ports["irc"], "alice", "alice-password", caps=caps)
    alice.until(" 376 | 422 ")
    bob = sasl_line_client(daemon.ports["irc"], "bob", "bob-password", caps=caps)
    bob.until(" 376 | 422 ")
    for client in (alice, bob):
        client.send("JOIN #gone")
        client.expect(" 366 ")
    _, headers, _ = upload(daemon, png(), "kept.png", basic("alice"))
    kept = headers["location"]
    _, headers, _ = upload(daemon, png(), "gone.png", basic("alice"))
    gone = headers["location"]

    # bob quotes alice's file and deletes his message: her file stays (it is not his)
    bob.send(f"PRIVMSG #gone :look {kept}")
    msgid = re.search(r"msgid=([^; ]+)", bob.expect(r"PRIVMSG #gone :look ")).group(1)
    bob.send(f"REDACT #gone {msgid}")
    bob.expect(f"REDACT #gone {re.escape(msgid)}")

    alice.send(f"PRIVMSG #gone :{gone}")
    msgid = re.search(r"msgid=([^; ]+)", alice.expect(r"PRIVMSG #gone :http")).group(1)
    assert request(daemon, "GET", urlsplit(gone).path)[0] == 200
    alice.send(f"REDACT #gone {msgid} :wrong picture")
    alice.expect(f"REDACT #gone {re.escape(msgid)}")
    assert request(daemon, "GET", urlsplit(gone).path)[0] == 404
    assert request(daemon, "GET", urlsplit(kept).path)[0] == 200
    alice.close()
    bob.close()
