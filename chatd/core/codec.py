"""One codec for every record: a JSON-ready dict, and back.

``encode`` names the record's class in ``"t"`` and writes each field that
differs from its default; ``decode`` rebuilds the record from the classes'
own type hints.  Nothing here lists the change kinds: a record class added to
:data:`~chatd.core.events.Event` travels between nodes without a line of
codec, which is the point (the cluster, and later the API, webhooks and
workers, all speak this one form).

Identities, the most repeated value, are written as a short list
(``[nick, user, host, realname, protocol, bot?, account?]``).  A field a
newer node sends that this one does not know is ignored, and an unknown kind
raises :class:`ValueError` for the caller to log.
"""

from __future__ import annotations

import functools
import json
import types
import typing
from typing import Any, Union

import attrs

from .events import Event, Identity, Record, ServerBan

#: Record classes by the name ``encode`` writes.
KINDS: dict[str, type] = {cls.__name__: cls for cls in typing.get_args(Event)}


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def identity(who: Identity) -> list[Any]:
    data: list[Any] = [who.nick, who.user, who.host, who.realname, who.protocol]
    if who.account is not None:
        return data + [int(who.bot), who.account]
    return data + [1] if who.bot else data


def to_identity(data: list[Any]) -> Identity:
    nick, user, host, realname, protocol = data[:5]
    account = data[6] if len(data) > 6 and isinstance(data[6], str) else None
    return Identity(nick, user, host, realname, protocol, bool(data[5]) if len(data) > 5 else False, account)


def encode(record: Record) -> dict[str, Any]:
    cls = type(record)
    data: dict[str, Any] = {"t": cls.__name__}
    for field in attrs.fields(cls):
        value = getattr(record, field.name)
        if field.default is not attrs.NOTHING and value == field.default:
            continue
        data[field.name] = _plain(value)
    return data


def decode(data: dict[str, Any]) -> Record:
    cls = KINDS.get(str(data.get("t")))
    if cls is None:
        raise ValueError(f"unknown record kind {data.get('t')!r}")
    hints = _hints(cls)
    record: Record = cls(**{name: _typed(hints[name], value) for name, value in data.items() if name in hints})
    return record


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    names = {field.name for field in attrs.fields(cls)}
    return {name: hint for name, hint in typing.get_type_hints(cls).items() if name in names}


def _plain(value: Any) -> Any:
    if isinstance(value, Identity):
        return identity(value)
    if isinstance(value, ServerBan):
        return attrs.asdict(value)
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value


def _typed(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    if hint is Identity:
        return to_identity(value)
    if hint is ServerBan:
        return ServerBan(**value)
    origin = typing.get_origin(hint)
    if origin is Union or origin is types.UnionType:
        inner = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _typed(inner[0], value) if len(inner) == 1 else value
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_typed(args[0], item) for item in value)
        return tuple(_typed(arg, item) for arg, item in zip(args, value, strict=False))
    if hint is float and isinstance(value, int):
        return float(value)
    return value
