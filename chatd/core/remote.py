"""People whose connection another node holds, as this node sees them.

They are ordinary :class:`~chatd.core.directory.User` objects whose client is
a :class:`RemoteClient`, so NAMES, WHO, LIST and membership rules work the
same for everyone; fan-out skips them because they encode nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .directory import User
    from .events import Event


class RemoteClient:
    """Stands in for a connection held by another node: delivers nothing here."""

    format_key = ("remote",)
    echo_messages = False
    immediate = False
    behind = False

    def __init__(self, node: str) -> None:
        self.node = node

    def encode(self, event: Event) -> None:
        return None

    def deliver(self, payload: object) -> None:  # pragma: no cover - encode() returns None
        pass

    def combine(self, payloads: list[object]) -> object:  # pragma: no cover - nothing to combine
        return payloads

    def show_room(self, name: str, joined: bool) -> None:
        pass  # its own node shows it

    def hold_input(self, hold: bool) -> None:
        pass  # its own node reads its socket

    def disconnect(self, reason: str) -> None:
        pass


def is_remote(user: User) -> bool:
    return isinstance(user.client, RemoteClient)


def home_of(user: User) -> str:
    """The node holding ``user``'s connection, or "" for this one."""
    return user.client.node if isinstance(user.client, RemoteClient) else ""
