"""The protocol-free heart of chatd: rooms, members, nicks, message ids, fan-out.

Nothing in this package imports Twisted protocols, Autobahn or Redis code;
adapters translate their wire to calls on :class:`Network` and implement
:class:`Client` so the core can reach their connections.
"""

from . import errors
from .casemap import CASEMAPPING, casefold
from .delivery import Client, fan_out
from .events import (
    AwayChanged,
    DirectMessage,
    Event,
    Identity,
    Invited,
    Joined,
    Kicked,
    ModeChanged,
    NickChanged,
    Parted,
    Quit,
    RoomMessage,
    TopicChanged,
)
from .history import HistoryStore, Ref, RoomRecord, TargetSummary, dm_key, target_key
from .ids import MessageIdGenerator, id_time
from .limits import ROOM_PREFIXES, Limits
from .network import MESSAGE_KINDS, Network, Sent
from .rooms import FLAG_MODES, PARAM_MODES, STATUS_MODES, Room
from .users import User

__all__ = [
    "HistoryStore", "Ref", "RoomRecord", "Sent", "TargetSummary", "dm_key", "target_key",
    "AwayChanged", "CASEMAPPING", "Client", "DirectMessage", "Event", "FLAG_MODES",
    "Identity", "Invited", "Joined", "Kicked", "Limits", "MESSAGE_KINDS",
    "MessageIdGenerator", "ModeChanged", "Network", "NickChanged", "PARAM_MODES",
    "Parted", "Quit", "ROOM_PREFIXES", "Room", "RoomMessage", "STATUS_MODES",
    "TopicChanged", "User", "casefold", "errors", "fan_out", "id_time",
]
