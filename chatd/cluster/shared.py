"""This node's changes, told to the cluster: the state Redis keeps, and each record on the events channel.

Every record the network commits here reaches :meth:`SharedState.publish`
(the cluster's sink): it updates what Redis keeps for a node that starts or
comes back (who holds which nick, each node's users, rooms and their members,
server bans) and publishes the record, in the core's codec, on the one events
channel every node applies in one global order.  Writes are fire and forget:
after any outage the node re-syncs wholesale (:mod:`.sync`).

Nicks are claimed here too: a Lua script gives a nick to the first node that
asks; a node that loses a claim it made in the same instant as another renames
its user (:meth:`collision`).
"""

from __future__ import annotations

import random
from typing import Any, Callable, Optional

import attrs
from twisted.internet import defer
from twisted.logger import Logger

from ..core import Network, casefold
from ..core.directory import Room, User
from ..core.events import (
    AccountChanged,
    AwayChanged,
    Connected,
    HostChanged,
    Joined,
    Kicked,
    ModeChanged,
    NickChanged,
    Parted,
    Quit,
    Record,
    RoomStateChanged,
    ServerBanChanged,
    TopicChanged,
    UserChanged,
)
from ..core.remote import home_of
from . import codec, scripts
from .channels import RoomChannels
from .keys import Keys
from .link import Link, call_failed

log = Logger()


class SharedState:
    def __init__(self, link: Link, keys: Keys, node: str, network: Network, channels: RoomChannels) -> None:
        self.link = link
        self.keys = keys
        self.node = node
        self.network = network
        self.channels = channels
        self.dirty: set[str] = set()  # rooms whose member list missed a write of ours
        self.writers: dict[type, Callable[[Any], None]] = {
            Connected: self._connected, UserChanged: self._user, AccountChanged: self._user, HostChanged: self._user,
            AwayChanged: self._user, Quit: self._quit, NickChanged: self._nick, Joined: self._joined,
            Parted: self._parted, Kicked: self._kicked, TopicChanged: self._room, RoomStateChanged: self._room,
            ModeChanged: self._modes, ServerBanChanged: self._ban,
        }

    def publish(self, record: Record) -> None:
        """While the link is down only the channels this node listens to follow (every Redis write
        is skipped): the re-sync tells the rest wholesale once the link is back."""
        write = self.writers.get(type(record))
        if write is not None:
            write(record)
        data = codec.encode(record)
        data["n"] = self.node
        self.call("PUBLISH", self.keys.events, codec.dumps(data))

    def call(self, *command: Any) -> None:
        """Fire and forget: state is re-synced wholesale after any outage."""
        if self.link.up:
            self.link.call(*command).addErrback(call_failed, command[0])

    def member(self, command: str, folded_room: str, *args: Any) -> None:
        """A write to a room's member list, which lives on the room's shard: one its shard could
        not take leaves the room to put right when the shard answers again (:meth:`.Sync.repair`)."""
        if self.link.up:
            self.link.call(command, self.keys.members(folded_room), *args).addErrback(self.unwritten, folded_room)

    def unwritten(self, failure: Any, folded_room: str) -> None:
        self.dirty.add(folded_room)
        call_failed(failure, "member list write")

    def owner_changed(self, nick: str, account: Optional[str]) -> None:
        """An account registered, or a nick grouped or ungrouped, here: every node's index follows."""
        self.call("PUBLISH", self.keys.events, codec.dumps({"t": "owner", "n": self.node, "k": nick, "a": account}))

    # -- what Redis keeps ----------------------------------------------------------------

    @staticmethod
    def user_record(user: User) -> dict[str, Any]:
        """A user as the node's user list keeps them: the record a peer applies on reading it."""
        return codec.encode(Connected(user.signon, user.identity, user.away, user.signon, user.mode_letters))

    def user_json(self, user: User) -> str:
        return codec.dumps(self.user_record(user))

    @staticmethod
    def letters(room: Room, user: User) -> str:
        """A member's status letters in a room (``o``, ``v``), as nodes tell each other."""
        return "".join(sorted(room.members.get(user, ())))

    def status(self, room: Room, user: User) -> str:
        """A member's record in a room: their status letters and the node holding them."""
        return self.letters(room, user) + "|" + (home_of(user) or self.node)

    def _save_user(self, user: Optional[User]) -> None:
        if user is not None:
            self.call("HSET", self.keys.users(self.node), user.folded, self.user_json(user))

    def _connected(self, record: Connected) -> None:
        user = self.network.find_user(record.who.nick)
        if user is not None:
            self.claim(user)
            self._save_user(user)

    def _user(self, record: UserChanged | AccountChanged | AwayChanged | HostChanged) -> None:
        self._save_user(self.network.find_user(record.who.nick))

    def _quit(self, record: Quit) -> None:
        folded = casefold(record.who.nick)
        self.release(folded)
        self.call("HDEL", self.keys.users(self.node), folded)
        for name in record.rooms:
            self.member("HDEL", casefold(name), folded)
            self.channels.maybe_unlisten(name)

    def _nick(self, record: NickChanged) -> None:
        user = self.network.find_user(record.new_nick)
        if user is None:
            return
        old = casefold(record.who.nick)
        if old != user.folded:
            self.claim(user)
            self.release(old)
            self.call("HDEL", self.keys.users(self.node), old)
        self._save_user(user)
        for folded, room in user.rooms.items():
            self.member("HDEL", folded, old)
            self.member("HSET", folded, user.folded, self.status(room, user))

    def _joined(self, record: Joined) -> None:
        folded = casefold(record.room)
        room, user = self.network.find_room(record.room), self.network.find_user(record.who.nick)
        if room is None or user is None:
            return
        self.channels.listen(folded)
        self.call("HSET", self.keys.rooms, folded, codec.room_json(room))
        self.member("HSET", folded, user.folded, self.status(room, user))

    def _parted(self, record: Parted) -> None:
        self.member("HDEL", casefold(record.room), casefold(record.who.nick))
        self.channels.maybe_unlisten(record.room)

    def _kicked(self, record: Kicked) -> None:
        self.member("HDEL", casefold(record.room), casefold(record.target))
        self.channels.maybe_unlisten(record.room)

    def _room(self, record: TopicChanged | RoomStateChanged) -> None:
        room = self.network.find_room(record.room)
        if room is not None:
            self.call("HSET", self.keys.rooms, casefold(room.name), codec.room_json(room))

    def _modes(self, record: ModeChanged) -> None:
        room = self.network.find_room(record.room)
        if room is None:
            return
        folded = casefold(room.name)
        self.call("HSET", self.keys.rooms, folded, codec.room_json(room))
        for _sign, letter, arg in record.changes:
            member = self.network.find_user(arg) if letter in "ov" and arg else None
            if member is not None and member in room.members:
                self.member("HSET", folded, member.folded, self.status(room, member))

    def _ban(self, record: ServerBanChanged) -> None:
        folded = casefold(record.ban.mask)
        if record.added:
            self.call("HSET", self.keys.server_bans, folded, codec.dumps(attrs.asdict(record.ban)))
        else:
            self.call("HDEL", self.keys.server_bans, folded)

    # -- nicks ---------------------------------------------------------------------------

    def reserve(self, folded_nick: str, up: bool) -> defer.Deferred[bool]:
        if not up:
            return defer.succeed(True)  # serve locally; the re-sync sorts out clashes
        d = self.link.script(scripts.CLAIM_NICK, [self.keys.nicks], [folded_nick, self.node])

        def failed(failure: Any) -> bool:
            # Redis went away mid-claim: serve locally, the re-sync sorts out clashes.
            call_failed(failure, "nick claim")
            return True

        return d.addCallbacks(lambda won: bool(int(won)), failed)

    def claim(self, user: User) -> defer.Deferred[Any]:
        """Claim ``user``'s nick for this node; if another node won it meanwhile, ours gives way."""
        folded = user.folded
        if not self.link.up:
            return defer.succeed(None)
        d = self.link.script(scripts.CLAIM_NICK, [self.keys.nicks], [folded, self.node])
        return d.addCallbacks(lambda won: None if int(won) else self.collision(user, folded), call_failed,
                              errbackArgs=("nick claim",))

    def release(self, folded_nick: str) -> None:
        if not self.link.up:
            return
        self.link.script(scripts.RELEASE_NICK, [self.keys.nicks], [folded_nick, self.node]).addErrback(
            call_failed, "nick release")

    def collision(self, user: User, folded: Optional[str] = None) -> None:
        """Another node claimed the same nick in the same instant: ours gives way."""
        if folded is not None and user.folded != folded:
            return  # already renamed
        if self.network.users.get(user.folded) is not user:
            return
        guest = f"Guest{random.randrange(10**5):05d}"
        log.info("nick collision on {nick}: renaming the local user to {guest}", nick=user.nick, guest=guest)
        self.network.people.change_nick(user, guest)
