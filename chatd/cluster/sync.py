"""Bringing a node in line with the cluster when its Redis link comes (back) up.

:meth:`Sync.snapshot` reads the network's state (live nodes, their users,
rooms and members) from Redis into this node's view; :meth:`Sync.register`
then tells Redis and every other node what this node holds, claiming its
nicks again and announcing a ``sync`` that peers apply with
:meth:`Inbound.resync_node`.
"""

from __future__ import annotations

import json
import time
from typing import Any

from twisted.internet import defer
from twisted.logger import Logger

from ..core import Network, casefold
from ..core.events import Connected, ServerBan
from ..core.remote import is_remote
from . import codec, scripts
from .channels import RoomChannels
from .keys import Keys
from .link import Link
from .nodes import Nodes
from .shared import SharedState

log = Logger()


class Sync:
    def __init__(self, link: Link, keys: Keys, node: str, network: Network, nodes: Nodes,
                 shared: SharedState, channels: RoomChannels) -> None:
        self.link = link
        self.keys = keys
        self.node = node
        self.network = network
        self.nodes = nodes
        self.shared = shared
        self.channels = channels
        self.unseated: dict[str, tuple[str, float]] = {}  # rooms whose member list was not readable

    async def _seat(self, folded: str, alive: set[str], quiet: bool = False) -> None:
        """Seat other nodes' members of a room as its member list has them.  The list lives on the
        room's shard: while that one does not answer the room stays in :attr:`unseated`, and
        :meth:`repair` seats them when it is back."""
        name, created = self.unseated[folded]
        try:
            members = await self.link.call("HGETALL", self.keys.members(folded))
        except Exception as error:
            if not quiet:
                log.warn("cluster: the members of {room} are not readable now ({error}); read again when "
                         "its shard answers", room=name, error=error)
            return
        del self.unseated[folded]
        for nick, value in zip(members[::2], members[1::2], strict=False):
            status, _, node = value.partition("|")
            member = self.network.users.get(nick) if node in alive else None
            if member is not None and is_remote(member):
                self.network.replica.seat(member, name, status, created)

    @property
    def unrepaired(self) -> bool:
        return bool(self.unseated or self.shared.dirty)

    async def repair(self) -> None:
        """Seat the members a snapshot could not read, and write this node's members again where a
        write of ours was lost: tried again (quietly) until the rooms' shards answer."""
        for folded in list(self.unseated):
            await self._seat(folded, set(self.nodes.heard), quiet=True)
        for folded in list(self.shared.dirty):
            self.shared.dirty.discard(folded)
            try:
                await self.link.script(scripts.REAP_MEMBERS, [self.keys.members(folded)], [self.node])
                room = self.network.find_room(folded)
                ours = [u for u in room.members if not is_remote(u)] if room is not None else []
                if room is not None and ours:
                    pairs = [field for u in ours for field in (u.folded, self.shared.status(room, u))]
                    await self.link.call("HSET", self.keys.members(folded), *pairs)
                    # A node that read the list before this write (it started during the outage)
                    # learns our members here.
                    seats = [[u.nick, self.shared.letters(room, u)] for u in ours]
                    await self.link.call("PUBLISH", self.keys.events, codec.dumps(
                        {"t": "seats", "n": self.node, "r": room.name, "c": room.created, "m": seats}))
            except Exception:
                self.shared.dirty.add(folded)

    async def snapshot(self) -> None:
        """Read the network's state from Redis into our view."""
        link, keys, replica = self.link, self.keys, self.network.replica
        now_ms = int(time.time() * 1000)
        nodes = await link.call("HGETALL", keys.nodes)
        alive: dict[str, list[Any]] = {}
        for node, beat in zip(nodes[::2], nodes[1::2], strict=False):
            if node == self.node:
                continue
            age = (now_ms - int(beat)) / 1000.0
            if age > self.nodes.node_timeout:
                await self.nodes.reap(node)
                continue
            self.nodes.heard_from(node, max(age, 0))
            alive[node] = await link.call("HGETALL", keys.users(node))
        present: set[str] = set()
        for node, flat in alive.items():
            for folded, raw in zip(flat[::2], flat[1::2], strict=False):
                record = codec.decode(json.loads(raw))
                if not isinstance(record, Connected):
                    continue
                collided = replica.connected(node, record)
                if collided is not None:
                    self.shared.collision(collided)
                present.add(folded)
        for user in [u for u in self.network.users.values() if is_remote(u)]:
            if user.folded not in present:
                replica.drop(user, "node lost")
        rooms = await link.call("HGETALL", keys.rooms)
        for folded, raw in zip(rooms[::2], rooms[1::2], strict=False):
            data = json.loads(raw)
            room = self.network.find_room(data["n"])
            if room is None or not [u for u in room.members if not is_remote(u)]:
                replica.room(data["n"], data["c"], data["t"], data["tb"], data["tt"], data["f"], data["k"],
                             data["l"], data.get("s"))
            self.unseated[folded] = (data["n"], data["c"])
            await self._seat(folded, set(alive))
        bans = await link.call("HGETALL", keys.server_bans)
        for raw in bans[1::2]:
            self.network.operators.remember_ban(ServerBan(**json.loads(raw)))

    async def owners(self) -> None:
        """Which account owns which nick, network-wide, into the accounts' index: decisions that
        cannot wait for Redis (a message to an account nobody is connected to is kept, not 401)
        then know accounts registered on other nodes.  Changes after this arrive as events."""
        accounts = self.network.accounts
        if accounts is None:
            return
        try:
            flat = await self.link.call("HGETALL", self.keys.account_nicks)
        except Exception as error:
            log.warn("cluster: the accounts' nicks are not readable now ({error})", error=error)
            return
        index = {}
        for nick, owner in zip(flat[::2], flat[1::2], strict=False):
            known = accounts.owners.get(nick)  # keeps the name as the account spells it, when known
            index[nick] = known if known is not None and casefold(known) == owner else owner
        accounts.owners = index

    def register(self) -> defer.Deferred[Any]:
        """Tell Redis and every node what this node holds (after start or an outage)."""
        link, keys, node = self.link, self.keys, self.node
        now_ms = int(time.time() * 1000)
        calls = [link.call("HSET", keys.nodes, node, now_ms), link.call("DEL", keys.users(node))]
        listing = []
        for user in [u for u in self.network.users.values() if not is_remote(u)]:
            calls.append(self.shared.claim(user))
            calls.append(link.call("HSET", keys.users(node), user.folded, self.shared.user_json(user)))
            rooms = {}
            for folded, room in user.rooms.items():
                rooms[room.name] = self.shared.letters(room, user)
                self.channels.folded.add(folded)
                calls.append(link.call("HSET", keys.rooms, folded, codec.room_json(room)))
                calls.append(link.call("HSET", keys.members(folded), user.folded, self.shared.status(room, user))
                             .addErrback(self.shared.unwritten, folded))
            listing.append({"c": self.shared.user_record(user), "r": rooms})
        sync = codec.dumps({"t": "sync", "n": node, "users": listing})
        calls.append(link.call("PUBLISH", keys.events, sync))
        return defer.gatherResults(calls, consumeErrors=True)

    def check_persistence(self) -> None:
        """Shared history and accounts live in Redis: say so loudly if it keeps nothing on disk."""
        def checked(info: Any) -> None:
            fields = dict(line.split(":", 1) for line in str(info).splitlines() if ":" in line)
            if fields.get("aof_enabled", "0").strip() == "1":
                return
            d = self.link.call("CONFIG", "GET", "save")
            d.addCallback(lambda saved: log.warn(
                "Redis has no AOF (appendonly no){more}: a Redis restart loses the latest history, accounts "
                "and registered rooms; turn on appendonly (docs/cluster.md)",
                more="" if len(saved) > 1 and saved[1].strip() else " and no snapshots"))
            d.addErrback(lambda _: log.warn("Redis has no AOF (appendonly no): a Redis restart loses the latest "
                                            "history, accounts and registered rooms (docs/cluster.md)"))

        self.link.call("INFO", "persistence").addCallbacks(checked, lambda _: None)

        def flat(found: Any) -> None:
            if int(found or 0):
                log.warn("Redis holds this network's keys under the names of an earlier release (no hash "
                         "tags): run python -m chatd.migrate once to copy them (docs/cluster.md)")

        self.link.call("EXISTS", self.keys.prefix + "account-nicks").addCallbacks(flat, lambda _: None)
