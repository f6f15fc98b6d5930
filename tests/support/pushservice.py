"""A push service in the test: a real HTTP server that takes Web Push requests, and a subscriber
that decrypts them (RFC 8291) and checks their VAPID signature (RFC 8292) as a browser's push
service and service worker would."""

from __future__ import annotations

import base64
import json
import os
import queue
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Push:
    def __init__(self, path: str, headers: dict[str, str], body: bytes) -> None:
        self.path, self.headers, self.body = path, headers, body


class PushService:
    """Answers 201 to every push, or ``codes[path]`` for a path given one (410: gone)."""

    def __init__(self) -> None:
        self.received: queue.Queue[Push] = queue.Queue()
        self.codes: dict[str, int] = {}
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                service.received.put(Push(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(service.codes.get(self.path, 201))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, name: str) -> str:
        return f"{self.origin}/push/{name}"

    def next(self, timeout: float = 10.0) -> Push:
        try:
            return self.received.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no push arrived within {timeout} s") from None

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Subscriber:
    """A browser's side of a subscription: its P-256 key and auth secret."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        raw = self.key.public_key().public_bytes(serialization.Encoding.X962,
                                                 serialization.PublicFormat.UncompressedPoint)
        self.p256dh = b64url(raw)
        self.auth_b64 = b64url(self.auth)

    @property
    def irc_keys(self) -> str:
        return f"p256dh={self.p256dh};auth={self.auth_b64}"

    def open(self, push: Push, vapid_key: str, audience: str) -> bytes:
        """The push's payload, after checking it is aes128gcm for us and signed with ``vapid_key``."""
        assert push.headers["content-encoding"] == "aes128gcm"
        assert int(push.headers["ttl"]) > 0
        check_vapid(push.headers["authorization"], vapid_key, audience)
        return http_ece.decrypt(push.body, private_key=self.key, auth_secret=self.auth, version="aes128gcm")

    def json(self, push: Push, vapid_key: str, audience: str) -> dict[str, Any]:
        return json.loads(self.open(push, vapid_key, audience))


def check_vapid(header: str, vapid_key: str, audience: str) -> None:
    """``vapid t=<JWT>,k=<key>``: the key is the server's, the JWT is ES256-signed by it for ``audience``."""
    scheme, _, params = header.partition(" ")
    assert scheme == "vapid"
    fields = dict(part.split("=", 1) for part in params.split(","))
    assert fields["k"] == vapid_key
    head, claims, signature = fields["t"].split(".")
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(vapid_key))
    raw = unb64url(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))  # raises if forged
    body = json.loads(unb64url(claims))
    assert body["aud"] == audience and body["exp"] > time.time() and body["sub"]
