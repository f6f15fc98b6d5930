"""SASL mechanisms, protocol-free: PLAIN, SCRAM-SHA-256 and EXTERNAL (RFC 4616, 5802/7677, 4422).

An adapter (IRC's AUTHENTICATE) decodes the client's base64 pieces and feeds
each to :meth:`Exchange.step`; the answer is either a challenge to send
back, or the end (success, after which the session is logged in).  A
failure raises :class:`~chatd.core.errors.BadLogin`, always with the same
wording whether the account is unknown or the proof wrong.

SCRAM runs on ``scramp`` against the credentials stored at registration;
the server never sees the password.  The credentials are fetched (from a
store that may be remote) before scramp is asked to check them, since
scramp's lookup hook cannot wait.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import attrs
from scramp import ScramException, ScramMechanism

from . import errors

if TYPE_CHECKING:
    from .session import Session

MECHANISMS = ("PLAIN", "EXTERNAL", "SCRAM-SHA-256")
_SCRAM = ScramMechanism("SCRAM-SHA-256")


@attrs.frozen
class Step:
    """What to answer: a challenge (``done`` False), or the final data of a success."""

    data: bytes = b""
    done: bool = False


class Exchange:
    """One SASL authentication attempt by a session."""

    def __init__(self, session: Session, mechanism: str) -> None:
        self.session = session
        self.mechanism = mechanism.upper()
        if self.mechanism not in MECHANISMS:
            raise errors.ChatError(mechanism[:20], "Unknown SASL mechanism")
        self.scram: Optional[object] = None
        self.account: Optional[str] = None

    async def step(self, data: bytes) -> Step:
        if self.mechanism == "PLAIN":
            return await self._plain(data)
        if self.mechanism == "EXTERNAL":
            await self.session.sign_in.login_certificate()
            return Step(done=True)
        return await self._scram(data)

    async def _plain(self, data: bytes) -> Step:
        try:
            authzid, authcid, password = data.decode("utf-8").split("\0")
        except (UnicodeDecodeError, ValueError):
            raise errors.BadLogin("", "Malformed PLAIN credentials") from None
        if authzid and authzid.casefold() != authcid.casefold():
            raise errors.BadLogin("", "Logging in as someone else is not allowed")
        await self.session.sign_in.login(authcid, password)
        return Step(done=True)

    async def _scram(self, data: bytes) -> Step:
        session = self.session
        accounts = session.network.accounts
        if accounts is None:
            raise errors.AccountsUnavailable("")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise errors.BadLogin("", "Malformed SCRAM message") from None
        if self.scram is None:
            name = session.sign_in.name_device(_scram_user(text))
            found = await accounts.scram_info(name, session.address)
            if found is None:
                accounts.scram_failed(name, session.address)
                raise errors.BadLogin("")
            self.account, info = found
            credentials = (info.salt, info.stored_key, info.server_key, info.iterations)
            server = _SCRAM.make_server(lambda _name: credentials)
            try:
                server.set_client_first(text)
            except ScramException:
                raise errors.BadLogin("", "Malformed SCRAM message") from None
            self.scram = server
            return Step(server.get_server_first().encode("utf-8"))
        server = self.scram
        assert self.account is not None
        try:
            server.set_client_final(text)  # type: ignore[attr-defined]
        except ScramException:
            accounts.scram_failed(self.account, session.address)
            raise errors.BadLogin("") from None
        session.sign_in.logged_in(self.account)
        return Step(server.get_server_final().encode("utf-8"), done=True)  # type: ignore[attr-defined]


def _scram_user(client_first: str) -> str:
    """The user name of a SCRAM client-first message (``n,,n=name,r=nonce``; "=2C"/"=3D" escapes)."""
    for part in client_first.split(",")[2:]:
        if part.startswith("n="):
            return part[2:].replace("=2C", ",").replace("=3D", "=")
    raise errors.BadLogin("", "Malformed SCRAM message")
