"""The server API under ``/api/v1/`` (docs/api.md, ``/api/v1/openapi.json``).

Routing is klein's over ``twisted.web``: it gives path parameters, methods
and async handlers on the very Site (and limits) the web client is served
from, without writing a router.  Every action goes through a bot user's
:class:`~chatd.core.session.Session` (:mod:`.bots`), so the rules are a
person's: bans, ``+m``, ``+n``, nick ownership, text limits.  The key is
looked up in its store on every request, so a revoked key fails at once.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Optional

from klein import Klein
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.server import Request

from ..core import errors
from ..core.casemap import casefold
from ..core.history import Ref
from ..core.limits import ROOM_PREFIXES
from ..core.moderation import normalise
from ..core.queries import can_see
from ..core.session import MESSAGE_KINDS
from ..ws import frames
from . import openapi
from .bots import Bots
from .http import ApiError, RateLimit, bearer, failure_body, field, json_body, respond
from .keys import NAME, KeyRecord, digest
from .subscriptions import CONFIG, new_subscription

if TYPE_CHECKING:
    from ..core.accounts import Accounts
    from ..core.directory import Room, User
    from ..core.network import Network
    from .outgoing import Outgoing
    from .roomhooks import RoomHooks
    from .store import KeyStore

MAX_PAGE = 200
log = Logger()


def room_name(raw: str) -> str:
    """``ops`` or ``#ops`` (``%23ops`` in a URL): a room, with ``#`` added when it has no prefix."""
    return raw if raw[:1] in ROOM_PREFIXES else "#" + raw


class ApiServer:
    app = Klein()

    def __init__(self, network: Network, store: KeyStore, bots: Bots, limit: RateLimit,
                 outgoing: Optional[Outgoing] = None, room_hooks: Optional[RoomHooks] = None) -> None:
        self.network = network
        self.room_hooks = room_hooks
        self.store = store
        self.bots = bots
        self.limit = limit
        self.outgoing = outgoing
        self.posted = 0

    # -- the common part of every request ----------------------------------------------

    async def key(self, request: Request, scope: str, room: Optional[str] = None) -> KeyRecord:
        token = bearer(request)
        record = await self.store.find_key(digest(token)) if token else None
        if record is None:
            raise ApiError(401, "unauthorized", "A valid API key is needed (Authorization: Bearer KEY)",
                           {"WWW-Authenticate": 'Bearer realm="chatd"'})
        self.limit.check("key:" + record.name)
        if not record.allows(scope):
            raise ApiError(403, "forbidden", f"This key has no {scope} scope")
        if room is not None and not record.covers(room):
            raise ApiError(403, "forbidden", f"This key may not act in {room}")
        return record

    @app.handle_errors(Exception)
    def failed(self, request: Any, failure: Failure) -> bytes:
        return failure_body(request, failure, "No such API path")

    @app.route("/v1/openapi.json", methods=["GET"])
    def spec(self, request: Request) -> bytes:
        return respond(request, 200, openapi.SPEC)

    @app.route("/v1/rooms", methods=["GET"])
    async def rooms(self, request: Request) -> bytes:
        record = await self.key(request, "read")
        shown = [room for room in self.network.rooms.values() if self._may_see(record, room)]
        shown.sort(key=lambda r: (-len(r.members), r.name))
        return respond(request, 200, {"rooms": [{"name": r.name, "members": len(r.members), "topic": r.topic}
                                                for r in shown]})

    @app.route("/v1/rooms/<raw>", methods=["GET"])
    async def room(self, request: Request, raw: str) -> bytes:
        name = room_name(raw)
        record = await self.key(request, "read", name)
        room = self._room(record, name)
        return respond(request, 200, {
            "name": room.name, "topic": room.topic, "topic_by": room.topic_nick, "topic_time": room.topic_time,
            "modes": "+" + "".join(sorted(room.flags)) + ("k" if room.key else "") + ("l" if room.limit else ""),
            "created": room.created,
            "members": [self._member(user, status) for user, status in room.members.items()],
        })

    @app.route("/v1/rooms/<raw>/messages", methods=["GET"])
    async def history(self, request: Request, raw: str) -> bytes:
        name = room_name(raw)
        record = await self.key(request, "read", name)
        room = self._room(record, name)
        store = self.network.history
        if store is None:
            raise ApiError(404, "no_history", "History is not kept on this server")
        before, after = _arg(request, "before"), _arg(request, "after")
        if before and after:
            raise ApiError(400, "bad_field", "Give 'before' or 'after', not both")
        limit_text = _arg(request, "limit") or "50"
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_PAGE:
            raise ApiError(400, "bad_field", f"'limit' must be an integer from 1 to {MAX_PAGE}")
        limit, key = int(limit_text), casefold(room.name)
        if after:
            found = list(await store.latest(key, limit + 1, after=Ref(msgid=after)))
            more, found = len(found) > limit, found[-limit:]
        else:
            found = list(await (store.before(key, Ref(msgid=before), limit) if before else store.latest(key, limit)))
            more = len(found) == limit
        return respond(request, 200, {"room": room.name, "messages": [frames.frame(m) for m in found],
                                      "more": more})

    @app.route("/v1/users/<nick>", methods=["GET"])
    async def user(self, request: Request, nick: str) -> bytes:
        await self.key(request, "read")
        user = self.network.find_user(nick)
        if user is None:
            owner = await self.network.accounts.owner_of(nick) if self.network.accounts is not None else None
            if owner is None:
                raise errors.NoSuchNick(nick)
            return respond(request, 200, {"nick": nick, "online": False, "account": owner})
        rooms = [room.name for room in user.rooms.values() if "s" not in room.flags]
        return respond(request, 200, {"nick": user.nick, "online": True, "account": user.account,
                                      "away": user.away, "protocol": user.protocol, "bot": "B" in user.modes,
                                      "idle": max(0, int(self.network.clock() - user.last_active)),
                                      "rooms": sorted(rooms)})

    # -- posting ------------------------------------------------------------------------

    @app.route("/v1/rooms/<raw>/messages", methods=["POST"])
    async def post_room(self, request: Request, raw: str) -> bytes:
        name = room_name(raw)
        record = await self.key(request, "post", name)
        data = json_body(request)
        text, kind, nick = self._message(data, record)
        session = await self.bots.in_room(nick, record.name, f"API key {record.name}", name)
        return await self._send(request, session, name, kind, text)

    @app.route("/v1/users/<nick>/messages", methods=["POST"])
    async def post_user(self, request: Request, nick: str) -> bytes:
        record = await self.key(request, "post")
        if record.rooms:
            raise ApiError(403, "forbidden", "This key may only post to its rooms")
        data = json_body(request)
        text, kind, sender = self._message(data, record)
        if self.network.find_user(nick) is None:
            raise errors.NoSuchNick(nick)
        session = await self.bots.session(sender, record.name, f"API key {record.name}")
        return await self._send(request, session, nick, kind, text)

    def _message(self, data: dict[str, Any], record: KeyRecord) -> tuple[str, str, str]:
        text = field(data, "text")
        kind = field(data, "kind", required=False, default="privmsg")
        nick = field(data, "as", required=False, default=record.name)
        assert text is not None and kind is not None and nick is not None
        if kind not in MESSAGE_KINDS:
            raise ApiError(400, "bad_field", f"'kind' is one of {', '.join(MESSAGE_KINDS)}")
        return text, kind, nick

    async def _send(self, request: Request, session: Any, target: str, kind: str, text: str) -> bytes:
        sent = session.send(target, kind, text, multiline=True)
        stored = True
        if sent.durable is not None:
            stored = bool(await sent.durable)
        self.posted += 1
        message = sent.message
        return respond(request, 201, {"id": message.id, "time": message.time, "stored": stored,
                                      "from": message.sender.nick,
                                      "iso_time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(message.time))
                                      + f".{int(message.time * 1000) % 1000:03d}Z"})

    # -- moderation: the key's bot acts as a room operator (moderate) or server operator (admin) --

    async def _moderator(self, request: Request, raw: str) -> tuple[Any, str, dict[str, Any]]:
        name = room_name(raw)
        record = await self.key(request, "moderate", name)
        room = self._room(record, name)
        data = json_body(request) if request.method in (b"POST", b"PUT") else {}
        nick = field(data, "as", required=False, default=record.name) or record.name
        session = await self.bots.moderator(nick, record.name, f"API key {record.name}", room.name)
        return session, room.name, data

    @app.route("/v1/rooms/<raw>/topic", methods=["PUT"])
    async def set_topic(self, request: Request, raw: str) -> bytes:
        session, name, data = await self._moderator(request, raw)
        topic = field(data, "topic")
        assert topic is not None
        session.set_topic(name, topic)
        room = self.network.room(name)
        return respond(request, 200, {"room": room.name, "topic": room.topic, "topic_by": room.topic_nick})

    @app.route("/v1/rooms/<raw>/kicks", methods=["POST"])
    async def kick(self, request: Request, raw: str) -> bytes:
        session, name, data = await self._moderator(request, raw)
        nick = field(data, "nick")
        assert nick is not None
        session.kick(name, nick, field(data, "reason", required=False, default="") or "")
        return respond(request, 200, {"ok": True, "room": name, "kicked": nick})

    @app.route("/v1/rooms/<raw>/bans", methods=["GET"])
    async def room_bans(self, request: Request, raw: str) -> bytes:
        name = room_name(raw)
        record = await self.key(request, "moderate", name)
        room = self._room(record, name)
        return respond(request, 200, {"room": room.name, "bans": [
            {"mask": e.mask, "set_by": e.set_by, "time": e.time} for e in room.lists.get("b", [])]})

    @app.route("/v1/rooms/<raw>/bans", methods=["POST"])
    async def ban(self, request: Request, raw: str) -> bytes:
        session, name, data = await self._moderator(request, raw)
        mask = field(data, "mask")
        assert mask is not None
        applied = session.change_modes(name, [("+", "b", mask)])
        return respond(request, 201 if applied else 200, {"room": name, "mask": applied[0][2] if applied else mask,
                                                          "added": bool(applied)})

    @app.route("/v1/rooms/<raw>/bans/<mask>", methods=["DELETE"])
    async def unban(self, request: Request, raw: str, mask: str) -> bytes:
        session, name, _ = await self._moderator(request, raw)
        if not session.change_modes(name, [("-", "b", mask)]):
            raise ApiError(404, "not_found", f"{mask} is not banned in {name}")
        return respond(request, 200, {"ok": True, "room": name, "mask": mask})

    @app.route("/v1/bans", methods=["GET"])
    async def server_bans(self, request: Request) -> bytes:
        await self.key(request, "admin")
        return respond(request, 200, {"bans": [
            {"mask": b.mask, "reason": b.reason, "set_by": b.set_by, "created": b.created, "expires": b.expires}
            for b in self.network.operators.server_bans.values()]})

    @app.route("/v1/bans", methods=["POST"])
    async def server_ban(self, request: Request) -> bytes:
        record = await self.key(request, "admin")
        data = json_body(request)
        mask = field(data, "mask")
        assert mask is not None
        session = await self.bots.operator(record.name, record.name, f"API key {record.name}")
        ban, removed = session.moderation.server_ban(mask, field(data, "duration", required=False, default="0") or "0",
                                          field(data, "reason", required=False, default="") or "")
        return respond(request, 201, {"mask": ban.mask, "reason": ban.reason, "expires": ban.expires,
                                      "disconnected": removed})

    @app.route("/v1/bans/<mask>", methods=["DELETE"])
    async def lift_server_ban(self, request: Request, mask: str) -> bytes:
        record = await self.key(request, "admin")
        if casefold(normalise(mask)) not in self.network.operators.server_bans:
            raise ApiError(404, "not_found", f"{mask} is not a server ban")
        session = await self.bots.operator(record.name, record.name, f"API key {record.name}")
        session.moderation.lift_server_ban(mask)
        return respond(request, 200, {"ok": True, "mask": mask})

    # -- accounts (admin keys: an operator's way back into an account) ----------------------

    async def _account(self, request: Request, name: str) -> tuple[Accounts, str]:
        await self.key(request, "admin")
        accounts = self.network.accounts
        if accounts is None:
            raise ApiError(404, "not_found", "This server has no accounts")
        try:
            return accounts, (await accounts.info(name)).name
        except errors.NoSuchAccount:
            raise ApiError(404, "not_found", f"No account is named {name}") from None

    @app.route("/v1/accounts/<name>/password", methods=["PUT"])
    async def set_password(self, request: Request, name: str) -> bytes:
        accounts, account = await self._account(request, name)
        password = field(json_body(request), "password")
        assert password is not None
        revoked = await accounts.set_password(account, password)
        log.info("API key reset the password of account {account}", account=account)
        return respond(request, 200, {"account": account, "revoked": revoked})

    @app.route("/v1/accounts/<name>/sessions", methods=["GET"])
    async def sessions(self, request: Request, name: str) -> bytes:
        accounts, account = await self._account(request, name)
        return respond(request, 200, {"account": account, "sessions": [
            {"id": t.id, "created": t.created, "expires": t.expires} for t in await accounts.sessions(account)]})

    @app.route("/v1/accounts/<name>/sessions", methods=["DELETE"])
    async def end_sessions(self, request: Request, name: str) -> bytes:
        accounts, account = await self._account(request, name)
        return respond(request, 200, {"account": account, "revoked": await accounts.revoke_tokens(account)})

    # -- incoming hooks (moderators of a room make them) --------------------------------

    @app.route("/v1/hooks", methods=["GET"])
    async def hooks(self, request: Request) -> bytes:
        record = await self.key(request, "moderate")
        return respond(request, 200, {"hooks": [hook.public() for hook in await self.store.hooks()
                                                if record.covers(hook.room)]})

    @app.route("/v1/hooks", methods=["POST"])
    async def add_hook(self, request: Request) -> bytes:
        data = json_body(request)
        room, name = field(data, "room"), field(data, "name")
        assert room is not None and name is not None and self.room_hooks is not None
        record = await self.key(request, "moderate", room_name(room))
        found = self._room(record, room_name(room))
        if not NAME.fullmatch(name):
            raise ApiError(400, "bad_field", f"{name!r} is not a nick for the hook's posts")
        hook, url = await self.room_hooks.add_hook(found.name, name, "key:" + record.name)
        return respond(request, 201, {**hook.public(), "url": url})

    @app.route("/v1/hooks/<hook_id>", methods=["DELETE"])
    async def remove_hook(self, request: Request, hook_id: str) -> bytes:
        record = await self.key(request, "moderate")
        hook = await self.store.find_hook(hook_id)
        if hook is None or not record.covers(hook.room):
            raise ApiError(404, "not_found", "No such hook")
        await self.store.remove_hook(hook_id)
        return respond(request, 200, {"ok": True})

    # -- outgoing webhooks (moderators of a room subscribe it) ------------------------------

    @app.route("/v1/webhooks", methods=["GET"])
    async def webhooks(self, request: Request) -> bytes:
        record = await self.key(request, "moderate")
        subs = [sub.public() for sub in await self.store.subscriptions() if record.covers(sub.room)]
        return respond(request, 200, {"webhooks": subs})

    @app.route("/v1/webhooks", methods=["POST"])
    async def subscribe(self, request: Request) -> bytes:
        data = json_body(request)
        room = field(data, "room")
        url = field(data, "url")
        assert room is not None and url is not None
        record = await self.key(request, "moderate", room_name(room))
        self._room(record, room_name(room))
        try:
            sub = new_subscription(room_name(room), url, data.get("events"), data.get("triggers"),
                                   field(data, "nick", required=False, default=record.name) or record.name,
                                   "key:" + record.name)
        except ValueError as error:
            raise ApiError(400, "bad_field", str(error)) from None
        await self.store.add_subscription(sub)
        if self.outgoing is not None:
            self.outgoing.added(sub)
        return respond(request, 201, {**sub.public(), "secret": sub.secret})

    @app.route("/v1/webhooks/<sub_id>", methods=["DELETE"])
    async def unsubscribe(self, request: Request, sub_id: str) -> bytes:
        record = await self.key(request, "moderate")
        sub = next((s for s in await self.store.subscriptions() if s.id == sub_id), None)
        if sub is None or not record.covers(sub.room):
            raise ApiError(404, "not_found", "No such webhook")
        if sub.created_by == CONFIG:
            raise ApiError(409, "in_config", "This webhook is in the server's config file; remove it there")
        await self.store.remove_subscription(sub_id)
        if self.outgoing is not None:
            self.outgoing.removed(sub_id)
        return respond(request, 200, {"ok": True})

    # -- helpers ------------------------------------------------------------------------

    def _may_see(self, record: KeyRecord, room: Room) -> bool:
        """Secret rooms only for admin keys and keys that name them; a key's rooms only."""
        if not record.covers(room.name):
            return False
        return can_see(room, None) or "admin" in record.scopes or bool(record.rooms)

    def _room(self, record: KeyRecord, name: str) -> Room:
        room = self.network.find_room(name)
        if room is None or not self._may_see(record, room):
            raise errors.NoSuchRoom(name)
        return room

    @staticmethod
    def _member(user: User, status: set[str]) -> dict[str, Any]:
        return {"nick": user.nick, "protocol": user.protocol, "account": user.account, "away": user.away,
                "op": "o" in status, "voice": "v" in status, "bot": "B" in user.modes}


def _arg(request: Request, name: str) -> Optional[str]:
    values = (request.args or {}).get(name.encode())
    if not values:
        return None
    try:
        return values[0].decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "bad_field", f"'{name}' is not UTF-8") from None
