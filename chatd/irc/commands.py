"""The IRC command table: each handler module registers its commands here.

A handler is a function of the connection's :class:`~.context.Context` and
one parsed :class:`~.wire.Message`.  The table says how many parameters a
command needs (461 otherwise) and whether it may be used before registration.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import attrs

if TYPE_CHECKING:
    from .context import Context
    from .wire import Message

Handler = Callable[["Context", "Message"], None]


@attrs.frozen
class Command:
    handler: Handler
    min_params: int = 0
    before_registration: bool = False


COMMANDS: dict[str, Command] = {}


def command(name: str, min_params: int = 0, before_registration: bool = False) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        COMMANDS[name] = Command(handler, min_params, before_registration)
        return handler

    return register
