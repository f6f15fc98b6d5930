"""An IRC connection whose person another node of the cluster holds: carried over to it.

Registration on this node found the person connected on another node
(:class:`~chatd.core.errors.ConnectedElsewhere`).  What the client negotiated here (its
capabilities, CAP version, NICK and USER, the account SASL proved) goes to that node with the
lines not read yet; there a connection of the same kind takes it up and welcomes the client as
one more device of the person (:mod:`chatd.cluster.relay` moves the bytes both ways).  The
client notices nothing but the server name in the welcome.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import caps as capabilities

if TYPE_CHECKING:
    from .context import Context


def carry(ctx: Context, home: str) -> bool:
    """Hand the registering connection to node ``home``; False if it cannot be carried."""
    reg, session = ctx.registration, ctx.session
    state = {"caps": sorted(ctx.caps), "version": reg.cap_version, "nick": reg.nick, "username": reg.username,
             "realname": reg.realname, "account": session.account, "device": session.device,
             "certfp": session.certfp}
    return ctx.carry(home, state)


def resume(ctx: Context, state: dict[str, Any]) -> None:
    """On the node holding the person: the carried connection takes up what the client negotiated
    (registration then finishes as it would have there)."""
    caps = {str(name) for name in state.get("caps") or () if name in capabilities.SUPPORTED}
    if caps:
        ctx.caps = caps
        ctx.caps_changed()
    reg, session = ctx.registration, ctx.session
    reg.cap_version = int(state.get("version") or 0)
    reg.nick, reg.username = str(state.get("nick") or "*"), str(state.get("username") or "~user")
    reg.realname = str(state.get("realname") or reg.nick)
    reg.password_ok = True  # the server it connected to checked PASS
    session.device = str(state.get("device") or "")
    session.certfp = state.get("certfp") or None
    if state.get("account"):
        session.sign_in.logged_in(str(state["account"]))
