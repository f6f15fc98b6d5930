"""Password hashing: scrypt (RFC 7914, stdlib ``hashlib.scrypt``) for logins, and SCRAM-SHA-256
credentials (``scramp``) for SASL SCRAM, both derived at registration.

Hashing is deliberately slow (about 16 MiB and tens of milliseconds per
guess), so it runs on a thread, never on the reactor.  The encoding follows
the PHC string format: ``$scrypt$ln=14,r=8,p=1$<salt>$<hash>`` in unpadded
base64, so the cost can be raised later without breaking old hashes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from typing import Any, Callable, Optional, TypeVar

from scramp import ScramMechanism
from twisted.internet import defer, threads

from ..core.accounts import ScramInfo

T = TypeVar("T")
SCRAM = ScramMechanism("SCRAM-SHA-256")
SCRAM_ITERATIONS = 4096  # RFC 7677's minimum; scrypt is what guards the login password
_DUMMY_SALT = b"chatd-no-such-account"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def scrypt_hash(password: str, log_n: int = 14, r: int = 8, p: int = 1, salt: Optional[bytes] = None) -> str:
    salt = salt if salt is not None else os.urandom(16)
    key = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=1 << log_n, r=r, p=p, maxmem=1 << 26, dklen=32)
    return f"$scrypt$ln={log_n},r={r},p={p}${_b64(salt)}${_b64(key)}"


def scrypt_verify(stored: Optional[str], password: str, log_n: int = 14) -> bool:
    """Constant-time check; an unparsable or missing hash does the same work and fails."""
    try:
        if stored is None:
            raise ValueError("no hash")
        _, scheme, params, salt_text, key_text = stored.split("$")
        if scheme != "scrypt":
            raise ValueError(scheme)
        values = dict(item.split("=", 1) for item in params.split(","))
        salt, expected = _unb64(salt_text), _unb64(key_text)
        log_n, r, p = int(values["ln"]), int(values["r"]), int(values["p"])
    except (ValueError, KeyError):
        scrypt_hash(password, log_n, salt=_DUMMY_SALT)
        return False
    key = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=1 << log_n, r=r, p=p, maxmem=1 << 26,
                         dklen=len(expected))
    return hmac.compare_digest(key, expected)


def scram_info(password: str) -> ScramInfo:
    salt, stored_key, server_key, iterations = SCRAM.make_auth_info(password, iteration_count=SCRAM_ITERATIONS)
    return ScramInfo(salt, stored_key, server_key, iterations)


class ScryptHasher:
    """A :class:`chatd.core.accounts.PasswordHasher` that works on the reactor's thread pool.

    Without a reactor (unit tests on a memory reactor) the work runs inline.
    ``log_n`` is the scrypt cost (2**14 by default, as RFC 7914 suggests for logins).
    """

    def __init__(self, reactor: Any = None, log_n: int = 14) -> None:
        self.reactor = reactor
        self.log_n = log_n

    def _run(self, fn: Callable[..., T], *args: Any) -> defer.Deferred[T]:
        if self.reactor is None:
            return defer.maybeDeferred(fn, *args)
        return threads.deferToThreadPool(self.reactor, self.reactor.getThreadPool(), fn, *args)

    def hash(self, password: str) -> defer.Deferred[tuple[str, ScramInfo]]:
        return self._run(lambda: (scrypt_hash(password, self.log_n), scram_info(password)))

    def verify(self, stored: Optional[str], password: str) -> defer.Deferred[bool]:
        return self._run(scrypt_verify, stored, password, self.log_n)
