"""Which room channels this node listens to: a room's while it has members here.

A first member here subscribes this node to the room's channel and reads back
from its stream what was said between marking where it ended and the
subscription taking effect; when the last one leaves the node unsubscribes.
"""

from __future__ import annotations

from typing import Any

from ..core import Network, casefold
from ..core.remote import is_remote
from .keys import Keys
from .link import Link, call_failed
from .messages import MessagePath


class RoomChannels:
    def __init__(self, link: Link, keys: Keys, messages: MessagePath, network: Network) -> None:
        self.link = link
        self.keys = keys
        self.messages = messages
        self.network = network
        self.folded: set[str] = set()  # folded rooms whose channel we listen to

    def listen(self, folded: str) -> None:
        if folded in self.folded:
            return
        self.folded.add(folded)
        if self.link.up:
            stream = self.keys.history(folded)
            self.messages.hold(stream)
            self.messages.mark(stream)
            d = self.link.subscribe(self.keys.room_channel(folded))
            d.addCallback(lambda _: self.messages.backfill(stream))
            d.addErrback(self._not_listening, stream)

    def _not_listening(self, failure: Any, stream: str) -> None:
        self.messages.release(stream)
        call_failed(failure, "subscribe")

    def maybe_unlisten(self, room_name: str) -> None:
        """Stop listening to a room nobody here is in any more."""
        folded = casefold(room_name)
        room = self.network.find_room(room_name)
        if room is not None and any(not is_remote(u) for u in room.members):
            return
        if folded in self.folded:
            self.folded.discard(folded)
            self.messages.forget(self.keys.history(folded))
            if self.link.up:
                d = self.link.unsubscribe(self.keys.room_channel(folded))
                d.addErrback(call_failed, "unsubscribe")

    def channels(self) -> list[str]:
        return [self.keys.room_channel(folded) for folded in self.folded]

    def streams(self) -> list[str]:
        return [self.keys.history(folded) for folded in self.folded]
