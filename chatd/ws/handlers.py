"""What each ``chatd.v1`` client frame does (documented in docs/protocol.md).

A handler takes the connection and the parsed frame, checks the frame's
fields, calls the session, and answers with a frame carrying the request's
``id``.  Refusals from the core arrive as :class:`~chatd.core.errors.ChatError`
and become ``error`` frames in the connection's dispatcher.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence

from .. import __version__
from ..core import MESSAGE_KINDS, Ref, casefold, errors
from ..core.queries import rooms_shown
from ..irc.modes import not_applied, parse_room_modes
from ..net.tasks import spawn
from ..services import service_named
from . import SUBPROTOCOL, frames
from .services import to_service

if TYPE_CHECKING:
    from ..core import Room
    from ..core.history import Message
    from .surface import WebConnection

Request = dict[str, Any]
MAX_HISTORY_PAGE = 200


class FrameError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def text_field(request: Request, name: str, required: bool = True) -> str:
    value = request.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise FrameError("bad_field", f"'{name}' must be a non-empty string")
    return value


Handler = Callable[["WebConnection", Request], None]
HANDLERS: dict[str, Handler] = {}


def handler(name: str) -> Callable[[Handler], Handler]:
    def register(function: Handler) -> Handler:
        HANDLERS[name] = function
        return function

    return register


def _run(conn: WebConnection, request: Request, coroutine: Any, what: str) -> None:
    """Carry out a request that waits (history, the cluster); a refusal gets its error frame,
    as a synchronous handler's does, and anything else the internal-error frame."""
    conn.run(_answered(conn, request, coroutine), f"web {what}", lambda: conn.internal_error(request))


async def _answered(conn: WebConnection, request: Request, coroutine: Any) -> None:
    try:
        await coroutine
    except errors.ChatError as error:
        conn.fail(error, request)


@handler("hello")
def hello(conn: WebConnection, request: Request) -> None:
    if conn.session.user is not None:
        raise FrameError("already_registered", "You already said hello")
    nick = text_field(request, "nick")
    realname = text_field(request, "realname", required=False) or nick
    if conn.session.registering:
        raise FrameError("already_registered", "A hello is already under way")
    _run(conn, request, _register(conn, request, nick, realname), "hello")


async def _register(conn: WebConnection, request: Request, nick: str, realname: str) -> None:
    # No grace period on an account's nick: a browser signs in before its hello.
    try:
        user = await conn.session.register(nick, "web", realname, grace=False)
    except errors.ConnectedElsewhere as elsewhere:
        if conn.carry(elsewhere.server, request):
            return  # the node holding this person answers the hello (chatd/cluster/relay.py)
        raise
    if user is None:
        return
    network = conn.factory.network
    limits = network.limits
    conn.answer(request, {
        "type": "welcome", "nick": user.nick, "server": network.server_name, "network": network.network_name,
        "version": __version__, "protocol": SUBPROTOCOL,
        "limits": {"nicklen": limits.nicklen, "channellen": limits.channellen, "topiclen": limits.topiclen,
                   "textlen": limits.textlen, "max_rooms": limits.max_rooms_per_user,
                   "max_frame": conn.factory.settings.max_message},
        # Signed in on another device already (multiclient): the rooms this person is in.
        "rooms": sorted(room.name for room in user.rooms.values()),
        "vapid": network.push.public_key if network.push is not None else None,  # Web Push (ws/push.py)
        "upload": network.uploads.offer(user) if network.uploads is not None else None,  # chatd/uploads
        "previews": network.previews is not None,  # GET /previews?url= (chatd/previews)
    })
    # What others wrote to this account while it was offline: its unread direct messages, as the
    # message frames they were (the client files them under their conversations, unread).
    for message in await conn.session.catch_up.missed_direct():
        frame = frames.frame(message)
        if frame is not None:
            conn.send(frame)


@handler("ping")
def ping(conn: WebConnection, request: Request) -> None:
    conn.answer(request, {"type": "pong"})


@handler("join")
def join(conn: WebConnection, request: Request) -> None:
    room, _new = conn.session.join(text_field(request, "room"), text_field(request, "key", required=False) or None)
    show_joined(conn, request, room, text_field(request, "since", required=False))


def show_room(conn: WebConnection, name: str) -> None:
    """The person is in room ``name`` through another of their connections (multiclient): a ``joined``
    frame without an id, as if this browser had asked to join."""
    room = conn.factory.network.find_room(name)
    if room is not None and conn.session.user in room.members:
        show_joined(conn, {}, room, "")


def show_joined(conn: WebConnection, request: Request, room: Room, since: str) -> None:
    """Answer a join with the room's state, its last messages (or those after ``since``, the last one
    this client saw) and how far this person has read."""
    network = conn.factory.network
    answer = {"type": "joined", "room": room.name, "topic": room.topic, "topic_by": room.topic_nick,
              "topic_time": room.topic_time, "members": frames.members(room), "history": [], "read": None}
    count = conn.factory.settings.history_on_join
    pending: Any
    live = conn.session.catch_up.note_live(room.name)  # what arrives live meanwhile is left out of the history
    if since:
        # Coming back: everything after the last message this client saw, and whether that is all.
        pending = conn.session.catch_up.recover(room.name, Ref(msgid=since), max(count, MAX_HISTORY_PAGE))
    elif network.history is not None and count > 0:
        pending = network.history.latest(casefold(room.name), count)
    else:
        pending = None
    conn.run(_joined(conn, request, answer, room.name, pending, live), "web join",
             lambda: conn.answer(request, answer))


async def _joined(conn: WebConnection, request: Request, answer: Request, name: str, pending: Any,
                  live: Callable[[Sequence[Message]], list[Message]]) -> None:
    """The join's answer, with the last messages (or those missed) and how far this person has read."""
    found: Any = []
    if pending is not None:
        found = await pending
        if isinstance(found, tuple):
            found, answer["recovered"] = found
    answer["history"] = [frames.frame(message) for message in live(found)]
    answer["read"] = await conn.session.read_marker(name)
    conn.answer(request, answer)


@handler("history")
def history(conn: WebConnection, request: Request) -> None:
    store = conn.factory.network.history
    if store is None:
        raise FrameError("no_history", "History is not enabled on this server")
    room = text_field(request, "room", required=False)
    peer = text_field(request, "with", required=False)
    if bool(room) == bool(peer):
        raise FrameError("bad_field", "Give either 'room' or 'with' (a nick)")
    limit = request.get("limit", 50)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_HISTORY_PAGE:
        raise FrameError("bad_field", f"'limit' must be an integer from 1 to {MAX_HISTORY_PAGE}")
    before = text_field(request, "before", required=False)
    after = text_field(request, "after", required=False)
    if before and after:
        raise FrameError("bad_field", "Give 'before' or 'after', not both")
    key = conn.session.history_key(room or peer)
    answer: Request = {"type": "history"}
    answer.update({"room": room} if room else {"with": peer})
    pending: Any
    if after:
        pending = conn.session.catch_up.recover(room or peer, Ref(msgid=after), limit)
    else:
        pending = store.before(key, Ref(msgid=before), limit) if before else store.latest(key, limit)
    conn.run(_page(conn, request, answer, pending, limit), "web history",
          lambda: conn.error("history_error", "History could not be read", request))


async def _page(conn: WebConnection, request: Request, answer: Request, pending: Any, limit: int) -> None:
    found = await pending
    if isinstance(found, tuple):  # after: what was missed, and whether that is all of it
        found, answer["recovered"] = found
        answer["more"] = False
    else:
        answer["more"] = len(found) == limit
    answer["messages"] = [frames.frame(message) for message in found]
    conn.answer(request, answer)


@handler("search")
def search(conn: WebConnection, request: Request) -> None:
    """Full-text search in one room or conversation, or in all of one's own."""
    query = text_field(request, "query")
    target = text_field(request, "room", required=False) or text_field(request, "with", required=False) or None
    limit = request.get("limit", 50)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_HISTORY_PAGE:
        raise FrameError("bad_field", f"'limit' must be an integer from 1 to {MAX_HISTORY_PAGE}")
    _run(conn, request, _search(conn, request, query, target, limit), "search")


async def _search(conn: WebConnection, request: Request, query: str, target: Optional[str], limit: int) -> None:
    found = await conn.session.search(query, target, limit)
    conn.answer(request, {"type": "search", "query": query, "results": [frames.frame(m) for m in found]})


@handler("part")
def part(conn: WebConnection, request: Request) -> None:
    conn.session.part(text_field(request, "room"), text_field(request, "reason", required=False))


@handler("msg")
def msg(conn: WebConnection, request: Request) -> None:
    target = text_field(request, "to")
    text = text_field(request, "text")
    kind = text_field(request, "kind", required=False) or "privmsg"
    if kind not in MESSAGE_KINDS:
        raise FrameError("bad_field", f"'kind' must be one of {', '.join(MESSAGE_KINDS)}")
    reply_to = text_field(request, "reply_to", required=False)
    service = service_named(target)
    if service is not None:
        to_service(conn, request, service, text)
        return
    # A web text box may hold several lines: one message, kept as such (IRC draft/multiline).
    sent = conn.session.send(target, kind, text, (("+draft/reply", reply_to),) if reply_to else (), multiline=True)
    ack: Request = {"type": "ack", "msgid": sent.message.id, "time": sent.message.time}
    if sent.offline:
        ack["offline"] = True  # kept for an account nobody is connected to
    if sent.durable is None:
        conn.answer(request, ack)
        return
    # Acknowledge only once the message is stored (its batch committed, or in Redis). The ack does
    # not hold the connection's later frames: messages sent in a row share one commit, and each ack
    # names its message.
    spawn(_stored(conn, request, ack, sent.durable), "web message storage", lambda: _not_stored(conn, request))


def _not_stored(conn: WebConnection, request: Request) -> None:
    conn.error("not_stored", "The message was delivered but not stored", request)


async def _stored(conn: WebConnection, request: Request, ack: Request, durable: Any) -> None:
    result = await durable
    if result is False:
        _not_stored(conn, request)
        return
    # In cluster mode the stored message has the id the cluster gave it.
    if hasattr(result, "id"):
        ack.update(msgid=result.id, time=result.time)
    conn.answer(request, ack)


@handler("read")
def read(conn: WebConnection, request: Request) -> None:
    """Move how far this person has read a room or conversation; all their connections hear of it."""
    target = text_field(request, "room", required=False) or text_field(request, "with")
    until = request.get("time")
    if not isinstance(until, (int, float)) or isinstance(until, bool) or until < 0:
        raise FrameError("bad_field", "'time' must be seconds since the epoch")
    _run(conn, request, conn.session.mark_read(target, float(until)), "read marker")


@handler("typing")
def typing(conn: WebConnection, request: Request) -> None:
    """Typing notices (IRCv3 +typing): active, paused or done; relayed, never stored, never answered."""
    state = text_field(request, "state")
    if state not in ("active", "paused", "done"):
        raise FrameError("bad_field", "'state' must be active, paused or done")
    conn.session.send_tags(text_field(request, "to"), (("+typing", state),))


@handler("tagmsg")
def tagmsg(conn: WebConnection, request: Request) -> None:
    """Client-only tags for a room or person (reactions: ``{"+draft/react": "👍", "+draft/reply": msgid}``)."""
    tags = request.get("tags")
    if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
        raise FrameError("bad_field", "'tags' must be an object of strings")
    conn.session.send_tags(text_field(request, "to"), tuple(tags.items()))


@handler("redact")
def redact(conn: WebConnection, request: Request) -> None:
    """Remove a message (one's own, or any in a room one operates) everywhere, history included."""
    target = text_field(request, "room", required=False) or text_field(request, "to")
    coroutine = conn.session.redact(target, text_field(request, "msgid"), text_field(request, "reason", required=False))
    _run(conn, request, coroutine, "redact")


@handler("edit")
def edit(conn: WebConnection, request: Request) -> None:
    """Correct one's own message: the new text goes out as a message tagged ``+draft/edit``."""
    target = text_field(request, "room", required=False) or text_field(request, "to")
    _run(conn, request, _edited(conn, request, target), "edit")


async def _edited(conn: WebConnection, request: Request, target: str) -> None:
    sent = await conn.session.edit(target, text_field(request, "msgid"), text_field(request, "text"))
    conn.answer(request, {"type": "ack", "msgid": sent.message.id, "time": sent.message.time})


@handler("topic")
def topic(conn: WebConnection, request: Request) -> None:
    name = text_field(request, "room")
    new: Optional[object] = request.get("topic")
    if new is not None:
        if not isinstance(new, str):
            raise FrameError("bad_field", "'topic' must be a string")
        conn.session.set_topic(name, new)
        return
    room = conn.factory.network.room(name)
    conn.answer(request, {"type": "topic", "room": room.name, "topic": room.topic, "by": room.topic_nick,
                          "time": room.topic_time})


@handler("kick")
def kick(conn: WebConnection, request: Request) -> None:
    conn.session.kick(text_field(request, "room"), text_field(request, "nick"),
                      text_field(request, "reason", required=False) or conn.session.nick or "")
    conn.answer(request, {"type": "ok"})


@handler("invite")
def invite(conn: WebConnection, request: Request) -> None:
    invited = conn.session.invite(text_field(request, "nick"), text_field(request, "room"))
    conn.answer(request, {"type": "ok", "nick": invited.nick})


@handler("mode")
def mode(conn: WebConnection, request: Request) -> None:
    """Room modes as IRC writes them: ``{"room": "#r", "modes": "+o-v", "args": ["bob", "carol"]}``."""
    modes = text_field(request, "modes")
    args = request.get("args", [])
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise FrameError("bad_field", "'args' must be a list of strings")
    parsed = parse_room_modes(modes, args)
    if parsed.missing_param:
        raise FrameError("bad_field", f"A mode in {modes!r} needs a parameter")
    unknown = [letter for kind, letter in parsed.notes if kind == "unknown"]
    if unknown:
        raise errors.UnknownMode("".join(unknown))
    applied = conn.session.change_modes(text_field(request, "room"), parsed.changes)
    answer: Request = {"type": "ok", "applied": [list(change) for change in applied]}
    if not_applied(parsed):
        answer["not_applied"] = not_applied(parsed).split()  # past the MODES limit: send them again
    conn.answer(request, answer)


@handler("whois")
def whois(conn: WebConnection, request: Request) -> None:
    network = conn.factory.network
    nick = text_field(request, "nick")
    user = network.find_user(nick)
    if user is None:
        raise errors.NoSuchNick(nick)
    conn.answer(request, {
        "type": "whois", "nick": user.nick, "user": user.user, "host": user.host, "realname": user.realname,
        "protocol": user.protocol, "away": user.away, "bot": "B" in user.modes, "signon": user.signon,
        "account": user.account, "operator": "o" in user.modes,
        "idle": max(0, int(network.clock() - user.last_active)),
        "rooms": [room.name for room in rooms_shown(user, conn.session.user)],
        **({"address": user.address} if _sees_address(conn, user) else {}),
    })


def _sees_address(conn: WebConnection, user: Any) -> bool:
    """The real address behind a cloak: shown to server operators and to the person themselves."""
    me = conn.session.user
    return bool(user.address) and user.address != user.host and me is not None and (
        me is user or "o" in me.modes)


@handler("names")
def names(conn: WebConnection, request: Request) -> None:
    room, members = conn.session.members(text_field(request, "room"))
    conn.answer(request, {"type": "names", "room": room.name, "members": frames.members(room, members)})


@handler("list")
def list_(conn: WebConnection, request: Request) -> None:
    conn.answer(request, {"type": "list", "rooms": [{"name": r.name, "members": len(r.members), "topic": r.topic}
                                                    for r in conn.session.rooms()]})


@handler("nick")
def nick(conn: WebConnection, request: Request) -> None:
    _run(conn, request, conn.session.rename(text_field(request, "nick")), "nick change")


@handler("away")
def away(conn: WebConnection, request: Request) -> None:
    message = conn.session.set_away(text_field(request, "message", required=False))
    conn.answer(request, {"type": "away", "message": message})
