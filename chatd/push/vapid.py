"""The server's VAPID key (RFC 8292): made once into the state directory, then kept.

Push services accept a subscription's pushes only when they are signed with the key the browser
was given at subscribe time, so the key must outlive restarts: ``vapid.pem`` (0600) in the state
directory.  Signing is ``py_vapid``'s (the library under ``pywebpush``).  In a cluster every node must sign
with the same key (a browser's subscription is tied to one): the first node's is kept in Redis
and the others adopt it as they sync (:meth:`VapidKey.adopt`).
"""

from __future__ import annotations

import base64
import os
import time
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02

from ..files import write_private

#: How long a signed token is good for (RFC 8292 allows up to 24 hours).
TOKEN_SECONDS = 12 * 3600


class VapidKey:
    def __init__(self, vapid: Vapid02, contact: str, path: Path | None = None) -> None:
        self.contact = contact
        self.path = path
        self._use(vapid)

    def _use(self, vapid: Vapid02) -> None:
        vapid.conf["no-strict"] = True  # the contact is checked as an option (mailto: or https:)
        self.vapid = vapid
        self.pem: bytes = vapid.private_pem()
        raw = vapid.public_key.public_bytes(serialization.Encoding.X962,
                                            serialization.PublicFormat.UncompressedPoint)
        #: URL-safe base64 without padding, as browsers (applicationServerKey) and ISUPPORT VAPID take it.
        self.public = base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
        self._signed: dict[str, tuple[float, str]] = {}

    def adopt(self, pem: bytes) -> None:
        """Use the key every node of a cluster agreed on (the first node's), and keep it in our file."""
        if pem == self.pem:
            return
        self._use(Vapid02.from_pem(pem))
        if self.path is not None:
            write_private(self.path, pem)

    @classmethod
    def load_or_create(cls, path: Path, contact: str) -> VapidKey:
        if not path.exists():
            vapid = Vapid02()
            vapid.generate_keys()
            write_private(path, vapid.private_pem())
        os.chmod(path, 0o600)  # a file copied in by hand under the umask
        return cls(Vapid02.from_pem(path.read_bytes()), contact, path)

    def authorization(self, endpoint: str, now: float | None = None) -> str:
        """The ``Authorization`` header for a push to ``endpoint`` (one token per push service,
        reused until it is an hour from expiring)."""
        now = time.time() if now is None else now
        parts = urlsplit(endpoint)
        audience = f"{parts.scheme}://{parts.netloc}"
        cached = self._signed.get(audience)
        if cached is not None and cached[0] - now > 3600:
            return cached[1]
        expires = int(now) + TOKEN_SECONDS
        header = self.vapid.sign({"aud": audience, "exp": expires, "sub": self.contact})["Authorization"]
        self._signed[audience] = (float(expires), header)
        return str(header)
