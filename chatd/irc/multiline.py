"""IRCv3 draft/multiline: one message of several lines, sent as a batch.

A client that negotiated ``draft/multiline`` opens ``BATCH +ref
draft/multiline <target>``, sends PRIVMSG (or NOTICE) lines tagged
``batch=ref`` (``draft/multiline-concat`` joins a line to the previous one
without a line break) and closes with ``BATCH -ref``.  The lines become one
message whose text holds line breaks; clients with the capability get it
back as a batch, the others as separate lines (see :mod:`.render`).
Limits are in the capability's value; breaking them is a ``FAIL BATCH``.
Reference: ircv3.net/specs/extensions/multiline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core import errors
from .commands import command
from .context import Collecting
from .messaging import client_tags
from .wire import Message

if TYPE_CHECKING:
    from .context import Context

CAP = "draft/multiline"
MAX_OPEN = 4  # batches one client may have open at once


def cap_value(ctx: Context) -> str:
    limits = ctx.network.limits
    return f"max-bytes={limits.multiline_bytes},max-lines={limits.multiline_lines}"


def collect(ctx: Context, msg: Message, batch: Collecting) -> None:
    """A line inside an open multiline batch."""
    limits = ctx.network.limits
    if msg.command not in ("PRIVMSG", "NOTICE") or len(msg.params) < 2:
        batch.broken = batch.broken or "MULTILINE_INVALID * :Only PRIVMSG or NOTICE lines may be in a multiline batch"
        return
    if batch.command not in (None, msg.command):
        batch.broken = batch.broken or "MULTILINE_INVALID * :PRIVMSG and NOTICE cannot be mixed"
    batch.command = msg.command
    if msg.params[0] != batch.target:
        batch.broken = batch.broken or f"MULTILINE_INVALID_TARGET {batch.target} {msg.params[0]} :Target mismatch"
    text = msg.params[1]
    batch.size += len(text.encode("utf-8"))
    if msg.tag("draft/multiline-concat") is not None and not text:
        batch.broken = batch.broken or "MULTILINE_INVALID * :A blank line cannot be concatenated"
    if msg.tag("draft/multiline-concat") is not None and batch.parts:
        batch.parts[-1] += text
    else:
        batch.parts.append(text)
    if batch.size > limits.multiline_bytes:
        batch.broken = batch.broken or f"MULTILINE_MAX_BYTES {limits.multiline_bytes} :Multiline batch too long"
    elif len(batch.parts) > limits.multiline_lines:
        batch.broken = batch.broken or f"MULTILINE_MAX_LINES {limits.multiline_lines} :Too many lines"


@command("BATCH", min_params=1)
def batch(ctx: Context, msg: Message) -> None:
    ref = msg.params[0]
    if ref.startswith("+"):
        if CAP not in ctx.caps or len(msg.params) < 3 or msg.params[1] != CAP:
            ctx.send(f":{ctx.server} FAIL BATCH MULTILINE_INVALID * :Only {CAP} batches may be sent")
            return
        if len(ctx.open_batches) >= MAX_OPEN:
            ctx.send(f":{ctx.server} FAIL BATCH MULTILINE_INVALID * :Too many open batches")
            return
        if not isinstance(ctx.open_batches, dict):
            ctx.open_batches = {}  # the first batch of this client
        # A labelled batch is answered when it closes: its echo (or FAIL) carries the label, no ACK now.
        ctx.open_batches[ref[1:]] = Collecting(msg.params[2], client_tags(ctx, msg), reply=ctx.hold_reply())
        return
    collecting = ctx.open_batches.pop(ref[1:], None) if isinstance(ctx.open_batches, dict) else None
    if collecting is None:
        ctx.send(f":{ctx.server} FAIL BATCH MULTILINE_INVALID * :No such batch")
        return
    with collecting.reply if collecting.reply is not None else ctx.hold_reply():
        finish(ctx, collecting)


def finish(ctx: Context, collecting: Collecting) -> None:
    """A closed batch: its one message sent (and echoed), or the FAIL of the rule it broke."""
    if collecting.broken is not None:
        ctx.send(f":{ctx.server} FAIL BATCH {collecting.broken}")
        return
    if not collecting.parts:
        ctx.send(f":{ctx.server} FAIL BATCH MULTILINE_INVALID * :Empty batch")
        return
    if not any(part.strip() for part in collecting.parts):
        ctx.send(f":{ctx.server} FAIL BATCH MULTILINE_INVALID * :A message cannot be blank lines only")
        return
    kind = "notice" if collecting.command == "NOTICE" else "privmsg"
    try:
        ctx.session.send(collecting.target, kind, "\n".join(collecting.parts), collecting.tags, multiline=True)
    except errors.ChatError as error:
        if kind != "notice":
            ctx.fail(error)
