"""What nodes tell each other, as compact JSON.

Records (every change but messages) use the core's one codec
(:mod:`chatd.core.codec`).  Messages keep the form they are stored in, in
the room and conversation streams that are the cluster's history (changing
it would make the history already in Redis unreadable): with their own id and
time, so that a message published late (from a node's outbox) keeps both.
"""

from __future__ import annotations

import json
from typing import Any

from ..core.codec import decode, dumps, encode, identity, to_identity
from ..core.directory import Room
from ..core.events import DirectMessage, RoomMessage


def stream_time(stream_id: str) -> float:
    """A stream entry id is "<milliseconds>-<sequence>": the time Redis stored it."""
    return int(stream_id.split("-", 1)[0]) / 1000.0


def message_payload(message: RoomMessage | DirectMessage) -> str:
    """A message as nodes exchange and store it."""
    data: dict[str, Any] = {"i": message.id, "w": int(message.time * 1000), "f": identity(message.sender),
                            "k": message.kind, "x": message.text}
    if message.tags:
        data["g"] = [list(tag) for tag in message.tags]
    if isinstance(message, RoomMessage):
        data["r"] = message.room
    else:
        data["t"] = message.target
        data["p"] = list(message.peers)
    return dumps(data)


def entry_payload(fields: list[Any]) -> str:
    """The message payload a stream entry holds (its ``m`` field; entries are [name, value, ...]),
    or "" for an entry without one."""
    for name, value in zip(fields[::2], fields[1::2], strict=False):
        if name == "m":
            return str(value)
    return ""


def message_from(payload: str) -> RoomMessage | DirectMessage:
    data = json.loads(payload)
    sender = to_identity(data["f"])
    when = int(data["w"]) / 1000.0
    msgid = str(data["i"])
    tags = tuple((name, value) for name, value in data.get("g", ()))
    if "r" in data:
        return RoomMessage(msgid, when, data["r"], sender, data["k"], data["x"], tags)
    peers = data.get("p") or ["", ""]
    return DirectMessage(msgid, when, sender, data["t"], data["k"], data["x"], tags, (str(peers[0]), str(peers[1])))


def room_json(room: Room) -> str:
    return dumps({"n": room.name, "c": room.created, "t": room.topic, "tb": room.topic_by,
                  "tt": room.topic_time, "f": "".join(sorted(room.flags)), "k": room.key, "l": room.limit,
                  "s": room.state()})


__all__ = ["decode", "dumps", "encode", "entry_payload", "identity", "message_from", "message_payload",
           "room_json", "stream_time", "to_identity"]
