"""The protocol-free heart of chatd: rooms, members, nicks, message ids, fan-out.

Nothing in this package imports Twisted, Autobahn or Redis code.  Adapters
translate their wire into calls on a :class:`Session` (one per connection)
and implement :class:`Client` so the core can reach their connections; the
cluster, history and (later) account stores sit behind interfaces defined
here (:class:`Publisher`, :class:`HistoryStore`).
"""

from . import errors
from .casemap import CASEMAPPING, casefold
from .client import Client
from .delivery import fan_out
from .directory import Room, User
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
from .modes import FLAG_MODES, PARAM_MODES, STATUS_MODES, ModeChange
from .network import Network
from .publisher import LocalPublisher, Publisher, Sent
from .remote import RemoteClient, is_remote
from .session import MESSAGE_KINDS, Session

__all__ = [
    "HistoryStore", "Ref", "RoomRecord", "Sent", "TargetSummary", "dm_key", "target_key",
    "AwayChanged", "CASEMAPPING", "Client", "DirectMessage", "Event", "FLAG_MODES",
    "Identity", "Invited", "Joined", "Kicked", "Limits", "MESSAGE_KINDS",
    "LocalPublisher", "ModeChange", "Publisher", "RemoteClient", "Session", "is_remote",
    "MessageIdGenerator", "ModeChanged", "Network", "NickChanged", "PARAM_MODES",
    "Parted", "Quit", "ROOM_PREFIXES", "Room", "RoomMessage", "STATUS_MODES",
    "TopicChanged", "User", "casefold", "errors", "fan_out", "id_time",
]
