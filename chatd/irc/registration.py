"""Getting in and staying in: CAP, PASS, NICK, USER, the welcome burst,
PING/PONG, QUIT, and the server information sent on welcome (LUSERS, MOTD).

Reference: modern.ircdocs.horse (connection registration) and the IRCv3
capability negotiation specification (``CAP LS 302``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import __version__
from ..core import casefold, errors
from . import caps as capabilities
from . import carried, multiline, webpush
from . import numerics as N
from .channels import show_room
from .commands import command
from .missed import replay_missed
from .render import trailing
from .wire import Message

if TYPE_CHECKING:
    from .context import Context

MAX_ISUPPORT_TOKENS = 13


@command("CAP", min_params=1, before_registration=True)
def cap(ctx: Context, msg: Message) -> None:
    reg = ctx.registration
    registered = ctx.session.user is not None
    sub = msg.params[0].upper()
    if sub in ("LS", "REQ") and not isinstance(ctx.caps, set):
        ctx.caps = set()  # this client negotiates: it gets a set of its own
    if sub == "LS":
        if not registered:
            reg.cap_negotiating = True
        if len(msg.params) > 1 and msg.params[1].isdigit():
            reg.cap_version = max(reg.cap_version, int(msg.params[1]))
        if reg.cap_version >= 302:
            ctx.caps.add("cap-notify")
            ctx.caps_changed()
        offered = [f"{name}={multiline.cap_value(ctx)}" if name == multiline.CAP and reg.cap_version >= 302
                   else f"{name}={capabilities.VALUES[name]}" if name in capabilities.VALUES and reg.cap_version >= 302
                   else name for name in capabilities.SUPPORTED
                   if name not in capabilities.OPTIONAL or webpush.offered(ctx)]
        policy = ctx.factory.sts()
        if policy is not None and reg.cap_version >= 302:
            offered.append(f"sts={policy}")  # IRCv3 sts: informational, never requested
        ctx.send(f":{ctx.server} CAP {ctx.me} LS :{' '.join(offered)}")
    elif sub == "LIST":
        ctx.send(f":{ctx.server} CAP {ctx.me} LIST :{' '.join(sorted(ctx.caps))}")
    elif sub == "REQ":
        if not registered:
            reg.cap_negotiating = True
        wanted = msg.params[1] if len(msg.params) > 1 else ""
        names = wanted.split()
        if not names or not all(n.lstrip("-") in capabilities.SUPPORTED for n in names) \
                or (not webpush.offered(ctx) and any(n.lstrip("-") in capabilities.OPTIONAL for n in names)):
            ctx.send(f":{ctx.server} CAP {ctx.me} NAK :{wanted}")
            return
        for name in names:
            if name.startswith("-"):
                ctx.caps.discard(name[1:])
            else:
                ctx.caps.add(name)
        ctx.caps_changed()
        ctx.send(f":{ctx.server} CAP {ctx.me} ACK :{wanted}")
    elif sub == "END":
        if not registered:
            reg.cap_negotiating = False
            try_register(ctx)
    else:
        ctx.reply(N.ERR_INVALIDCAPCMD, sub or "*", "Invalid CAP command")


@command("PASS", min_params=1, before_registration=True)
def password(ctx: Context, msg: Message) -> None:
    if ctx.session.user is not None:
        ctx.reply(N.ERR_ALREADYREGISTERED, "You may not reregister")
        return
    expected = ctx.factory.password
    ctx.registration.password_ok = expected is None or msg.params[0] == expected


@command("NICK", before_registration=True)
def nick(ctx: Context, msg: Message) -> None:
    if not msg.params or not msg.params[0]:
        ctx.reply(N.ERR_NONICKNAMEGIVEN, "No nickname given")
        return
    wanted = msg.params[0]
    if ctx.session.user is not None:
        ctx.run(_rename(ctx, wanted), "IRC nick change", ctx.internal_error)
        return
    ctx.session.own_nick(wanted)
    if not ctx.network.directory.nick_available(wanted) and not _may_attach(ctx, wanted):
        raise errors.NickInUse(wanted)
    ctx.registration.nick = wanted
    try_register(ctx)


def _may_attach(ctx: Context, nick: str) -> bool:
    """Whether a held ``nick`` may still turn out to be this person's own on another device
    (multiclient): its holder is logged in, and this client is or may yet be (SASL comes after NICK).
    Registration decides for good (:meth:`chatd.core.Session.register`)."""
    holder = ctx.network.find_user(nick)
    if holder is None or holder.account is None:
        return False
    if ctx.network.limits.devices_per_account < 2 and ctx.network.people.sessions_of(holder):
        return False  # one connection each, and theirs is open (an always-on person who is away is not)
    mine = ctx.session.account
    return ctx.registration.cap_negotiating if mine is None else casefold(mine) == casefold(holder.account)


async def _rename(ctx: Context, wanted: str) -> None:
    try:
        await ctx.session.rename(wanted)
    except errors.ChatError as error:
        ctx.fail(error)


@command("USER", min_params=4, before_registration=True)
def user(ctx: Context, msg: Message) -> None:
    if ctx.session.user is not None:
        ctx.reply(N.ERR_ALREADYREGISTERED, "You may not reregister")
        return
    if not msg.params[0] or not msg.params[3]:  # Modern IRC: an empty user or real name is 461
        ctx.reply(N.ERR_NEEDMOREPARAMS, "USER", "Not enough parameters")
        return
    ctx.registration.username = "~" + msg.params[0][:10]
    ctx.registration.realname = msg.params[3]
    try_register(ctx)


def try_register(ctx: Context) -> None:
    reg = ctx.registration
    if reg.cap_negotiating or reg.nick is None or reg.username is None or ctx.session.registering:
        return
    if not reg.password_ok:
        ctx.reply(N.ERR_PASSWDMISMATCH, "Password incorrect")
        ctx.close("Bad password")
        return
    ctx.run(_register(ctx, reg.nick, reg.username, reg.realname), "IRC registration", ctx.internal_error)


async def _register(ctx: Context, nick: str, username: str, realname: str) -> None:
    """The nick is claimed network-wide (or refused): finish registration."""
    try:
        user = await ctx.session.register(nick, username, realname)
    except errors.ChatError as error:
        if isinstance(error, errors.ConnectedElsewhere) and carried.carry(ctx, error.server):
            return  # the node holding this person welcomes the client
        ctx.registration.nick = None  # numerics address "*" until a nick is accepted
        if error.code == "account_required":
            ctx.send(f"FAIL * ACCOUNT_REQUIRED {trailing(error.message)}")
            ctx.close("Members only: log in with SASL first")
            return
        ctx.fail(error)
        if error.code == "server_banned":
            ctx.close(error.message)
        return
    if user is not None:
        welcome(ctx)
        if ctx.session.attached:  # the same person on another device: the rooms they are in
            for room in list(user.rooms.values()):
                show_room(ctx, room.name, False)
        replay_missed(ctx)  # signed in with SASL before: what was kept while away
        if ctx.session.in_grace:
            grace = int(ctx.network.limits.nick_grace)
            ctx.send(f":NickServ!NickServ@services.{ctx.server} NOTICE {user.nick} "
                     f":This nick belongs to an account. Log in (/msg NickServ IDENTIFY <password>) within "
                     f"{grace} seconds or you will be renamed.")


def welcome(ctx: Context) -> None:
    user = ctx.session.me()
    network = ctx.network
    ctx.reply(N.RPL_WELCOME, f"Welcome to the {network.network_name} Network, {user.identity.mask}")
    ctx.reply(N.RPL_YOURHOST, f"Your host is {ctx.server}, running version chatd-{__version__}")
    ctx.reply(N.RPL_CREATED, f"This server was created {ctx.factory.started}")
    ctx.reply(N.RPL_MYINFO, ctx.server, f"chatd-{__version__}", "Biow", "Ibeiklmnoqstv", "Ibeklqov")
    send_isupport(ctx)
    lusers(ctx, Message("LUSERS"))
    motd(ctx, Message("MOTD"))


def send_isupport(ctx: Context) -> None:
    tokens = ctx.factory.isupport()
    for start in range(0, len(tokens), MAX_ISUPPORT_TOKENS):
        ctx.reply(N.RPL_ISUPPORT, *tokens[start : start + MAX_ISUPPORT_TOKENS], "are supported by this server")


@command("VERSION")
def version(ctx: Context, msg: Message) -> None:
    """RPL_VERSION, then the ISUPPORT tokens again (as modern servers do: a client may refresh them)."""
    if msg.params and casefold(msg.params[0]) != casefold(ctx.server):
        ctx.reply(N.ERR_NOSUCHSERVER, msg.params[0], "No such server")
        return
    ctx.reply(N.RPL_VERSION, f"chatd-{__version__}", ctx.server, "one chat network for IRC, telnet and the web")
    send_isupport(ctx)


# -- keepalive and leaving ---------------------------------------------------------


@command("PING", before_registration=True)
def ping(ctx: Context, msg: Message) -> None:
    if not msg.params:
        ctx.reply(N.ERR_NEEDMOREPARAMS, "PING", "Not enough parameters")
        return
    ctx.send(f":{ctx.server} PONG {ctx.server} {trailing(msg.params[0])}")


@command("PONG", before_registration=True)
def pong(ctx: Context, msg: Message) -> None:
    ctx.ping_sent = None


@command("QUIT", before_registration=True)
def quit_(ctx: Context, msg: Message) -> None:
    reason = msg.params[0] if msg.params else "Client quit"
    ctx.close(f"Quit: {reason}")


# -- server information ---------------------------------------------------------------


@command("LUSERS")
def lusers(ctx: Context, msg: Message) -> None:
    network = ctx.network
    users = len(network.users)
    ctx.reply(N.RPL_LUSERCLIENT, f"There are {users} users and 0 invisible on 1 servers")
    ctx.reply(N.RPL_LUSEROP, "0", "operator(s) online")
    connections = ctx.factory.connections
    unknown = len(connections) - sum(1 for c in connections if c.session.user is not None)
    ctx.reply(N.RPL_LUSERUNKNOWN, str(max(unknown, 0)), "unknown connection(s)")
    ctx.reply(N.RPL_LUSERCHANNELS, str(len(network.rooms)), "channels formed")
    ctx.reply(N.RPL_LUSERME, f"I have {users} clients and 0 servers")
    top = str(network.directory.max_users)
    ctx.reply(N.RPL_LOCALUSERS, str(users), top, f"Current local users {users}, max {top}")
    ctx.reply(N.RPL_GLOBALUSERS, str(users), top, f"Current global users {users}, max {top}")


@command("MOTD")
def motd(ctx: Context, msg: Message) -> None:
    lines = ctx.factory.motd()
    if lines is None:
        ctx.reply(N.ERR_NOMOTD, "MOTD File is missing")
        return
    ctx.reply(N.RPL_MOTDSTART, f"- {ctx.server} Message of the day - ")
    for line in lines:
        ctx.reply(N.RPL_MOTD, f"- {line}")
    ctx.reply(N.RPL_ENDOFMOTD, "End of /MOTD command.")
