"""Accounts over IRC: SASL (AUTHENTICATE), IRCv3 draft/account-registration (REGISTER, VERIFY),
and NickServ/ChanServ for clients that speak to services (``/msg NickServ IDENTIFY pw``).

References: ircv3.net "SASL v3.2" (AUTHENTICATE, numerics 900-908; 400-byte
chunks, ``+`` for empty), "draft/account-registration", and Ergo's manual
for the services' command names.  Everything here calls the session
(:mod:`chatd.core.signin`, :mod:`chatd.core.sasl`); only the wire is IRC's.
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Optional

from ..core import errors
from ..core.sasl import MECHANISMS, Exchange
from ..net.certfp import peer_fingerprint
from ..services import serve, service_named
from . import numerics as N
from .commands import command
from .missed import replay_missed
from .render import trailing
from .wire import Message

if TYPE_CHECKING:
    from .context import Context

CHUNK = 400
MAX_SASL = 8192  # bytes of base64 one authentication may send


def _mask(ctx: Context) -> str:
    user = ctx.session.user
    if user is not None:
        return user.identity.mask
    return f"{ctx.registration.nick or '*'}!{ctx.registration.username or '*'}@{ctx.address}"


def logged_in(ctx: Context, account: str) -> None:
    ctx.reply(N.RPL_LOGGEDIN, _mask(ctx), account, f"You are now logged in as {account}")
    replay_missed(ctx)  # once connected (a SASL login's come after the welcome, below)


# -- SASL -------------------------------------------------------------------------------------


@command("AUTHENTICATE", min_params=1, before_registration=True)
def authenticate(ctx: Context, msg: Message) -> None:
    reg = ctx.registration
    data = msg.params[0]
    if data == "*":
        if reg.sasl is not None:
            reg.sasl, reg.sasl_buffer = None, ""
            ctx.reply(N.ERR_SASLABORTED, "SASL authentication aborted")
        return
    if reg.sasl is None:
        if ctx.session.account is not None:
            ctx.reply(N.ERR_SASLALREADY, "You have already authenticated using SASL")
            return
        if data.upper() not in MECHANISMS:
            ctx.reply(N.RPL_SASLMECHS, ",".join(MECHANISMS), "are available SASL mechanisms")
            ctx.reply(N.ERR_SASLFAIL, "SASL authentication failed")
            return
        ctx.session.certfp = peer_fingerprint(ctx.transport)
        reg.sasl, reg.sasl_buffer, reg.sasl_finishing = Exchange(ctx.session, data), "", False
        ctx.send("AUTHENTICATE +")
        return
    if reg.sasl_finishing:  # the client acknowledged SCRAM's server-final message
        reg.sasl, reg.sasl_finishing = None, False
        ctx.reply(N.RPL_SASLSUCCESS, "SASL authentication successful")
        return
    if data != "+":
        reg.sasl_buffer += data
    if len(reg.sasl_buffer) > MAX_SASL:
        reg.sasl, reg.sasl_buffer = None, ""
        ctx.reply(N.ERR_SASLTOOLONG, "SASL message too long")
        return
    if len(data) == CHUNK:
        return  # more to come
    try:
        payload = base64.b64decode(reg.sasl_buffer, validate=True)
    except (binascii.Error, ValueError):
        reg.sasl, reg.sasl_buffer = None, ""
        ctx.reply(N.ERR_SASLFAIL, "SASL authentication failed: bad base64")
        return
    reg.sasl_buffer = ""
    ctx.run(_step(ctx, reg.sasl, payload), "SASL", ctx.internal_error)


async def _step(ctx: Context, exchange: Exchange, payload: bytes) -> None:
    reg = ctx.registration
    try:
        step = await exchange.step(payload)
    except errors.ChatError as error:
        if reg.sasl is exchange:
            reg.sasl = None
        ctx.reply(N.ERR_SASLFAIL, f"SASL authentication failed: {error.message}"
                  if error.message != errors.BadLogin.default_message else "SASL authentication failed")
        return
    if reg.sasl is not exchange or ctx.closing:
        return
    if not step.done:
        _send_data(ctx, step.data)
        return
    logged_in(ctx, ctx.session.account or "")
    if step.data:  # SCRAM: the server's proof, then 903 once the client acknowledges it
        reg.sasl_finishing = True
        _send_data(ctx, step.data)
    else:
        reg.sasl = None
        ctx.reply(N.RPL_SASLSUCCESS, "SASL authentication successful")


def _send_data(ctx: Context, data: bytes) -> None:
    encoded = base64.b64encode(data).decode("ascii")
    chunks = [encoded[i:i + CHUNK] for i in range(0, len(encoded), CHUNK)] or ["+"]
    if len(chunks[-1]) == CHUNK:
        chunks.append("+")
    for chunk in chunks:
        ctx.send(f"AUTHENTICATE {chunk}")


# -- draft/account-registration -----------------------------------------------------------------

_FAIL_CODES = {"account_exists": "ACCOUNT_EXISTS", "weak_password": "WEAK_PASSWORD", "bad_nick": "BAD_ACCOUNT_NAME",
               "nick_reserved": "ACCOUNT_EXISTS", "accounts_unavailable": "TEMPORARILY_UNAVAILABLE",
               "bad_email": "INVALID_EMAIL"}


@command("REGISTER", min_params=3, before_registration=True)
def register(ctx: Context, msg: Message) -> None:
    account, email, password = msg.params[:3]
    if account == "*":
        account = ctx.session.nick or ctx.registration.nick or ""
        if not account:
            ctx.send(f"FAIL REGISTER NEED_NICK * {trailing('Send NICK first, or name the account')}")
            return
    if ctx.session.account is not None:
        ctx.send(f"FAIL REGISTER ALREADY_AUTHENTICATED {account} {trailing('You are already logged in')}")
        return
    ctx.run(_register(ctx, account, "" if email == "*" else email, password), "account registration",
          ctx.internal_error)


async def _register(ctx: Context, account: str, email: str, password: str) -> None:
    try:
        name = await ctx.session.sign_in.register_account(account, password, email)
    except errors.ChatError as error:
        code = _FAIL_CODES.get(error.code, "TEMPORARILY_UNAVAILABLE")
        ctx.send(f"FAIL REGISTER {code} {account} {trailing(error.describe())}")
        return
    said = "Account created"
    if email and ctx.session.sign_in.sends_mail:
        said += f"; a code to verify {email} is on its way (VERIFY {name} <code>)"
    ctx.send(f"REGISTER SUCCESS {name} {trailing(said)}")
    logged_in(ctx, name)


@command("VERIFY", min_params=2, before_registration=True)
def verify(ctx: Context, msg: Message) -> None:
    """The code mailed to an account's address (with --smtp): the address is verified, so reset
    links may go to it. The account works without it; only the way back in needs it."""
    ctx.run(_verify(ctx, msg.params[0], msg.params[1]), "account verification", ctx.internal_error)


async def _verify(ctx: Context, account: str, code: str) -> None:
    try:
        name = await ctx.session.sign_in.verify_email(account, code)
    except errors.ChatError as error:
        fail = "TEMPORARILY_UNAVAILABLE" if error.code == "accounts_unavailable" else "INVALID_CODE"
        ctx.send(f"FAIL VERIFY {fail} {account} {trailing(error.describe())}")
        return
    ctx.send(f"VERIFY SUCCESS {name} {trailing('Address verified: it can receive password reset links')}")


# -- services: NickServ and ChanServ ---------------------------------------------------------


class IRCServiceUser:
    """The services' answers as IRC shows them: NOTICEs from the service, numerics 900/901."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.session = ctx.session

    def service_says(self, service: str, text: str) -> None:
        self.ctx.send(f":{service}!{service}@services.{self.ctx.server} NOTICE {self.ctx.me} {trailing(text)}")

    def signed_in(self, account: str) -> None:
        logged_in(self.ctx, account)

    def signed_out(self) -> None:
        self.ctx.reply(N.RPL_LOGGEDOUT, _mask(self.ctx), "You are now logged out")

    def certificate(self) -> Optional[str]:
        return peer_fingerprint(self.ctx.transport)


def to_service(ctx: Context, service: str, text: str) -> None:
    """Words for ``service``, answered in order with the connection's other replies."""
    ctx.run(serve(IRCServiceUser(ctx), service, text, ctx.factory.room_hooks), service, ctx.internal_error)


def services(ctx: Context, target: str, text: str) -> bool:
    """A PRIVMSG to NickServ or ChanServ: handled here (True) instead of sent to a person."""
    service = service_named(target)
    if service is None:
        return False
    to_service(ctx, service, text)
    return True


@command("NICKSERV", before_registration=False)
def nickserv_command(ctx: Context, msg: Message) -> None:
    to_service(ctx, "NickServ", " ".join(msg.params))


@command("NS")
def ns(ctx: Context, msg: Message) -> None:
    nickserv_command(ctx, msg)


@command("CHANSERV")
def chanserv_command(ctx: Context, msg: Message) -> None:
    to_service(ctx, "ChanServ", " ".join(msg.params))


@command("CS")
def cs(ctx: Context, msg: Message) -> None:
    chanserv_command(ctx, msg)
