"""Writing straight to the socket when nothing is waiting to be sent.

Twisted's ``transport.write`` never sends at once: it appends to a buffer,
registers the socket for writability (an ``epoll_ctl``), and sends on the
next reactor pass (and ``epoll_ctl`` again to unregister).  For a chat
server that writes one batch to thousands of sockets per turn, that
bookkeeping is most of the cost of a delivery (docs/benchmarks.md, "What the
profile says").  When the transport's buffer is empty, one non-blocking
``send()`` does the same job; only what the kernel did not take goes through
Twisted's buffering, so order and back-pressure (the producer a transport's
full buffer pauses) are unchanged.

This reads two attributes Twisted keeps on its TCP transports
(``dataBuffer``/``offset`` and ``_tempDataBuffer``, unchanged since Twisted
8); Twisted offers no public "is anything buffered" query.  A transport
of another kind (TLS, PROXY-protocol wrappers, tests' string transports)
simply gets ``write``.
"""

from __future__ import annotations

from typing import Any

from twisted.internet import tcp


def write_now(transport: Any, data: bytes) -> None:
    """Send ``data`` on ``transport``: at once if its buffer is empty, else buffered as usual."""
    # Only Twisted's own plain TCP transport: a TLS wrapper passes unknown attributes (even
    # ``socket``) through to the TCP transport under it, and must never be bypassed.
    if (type(transport) is not tcp.Server or transport.TLS or transport._tempDataBuffer
            or len(transport.dataBuffer) > transport.offset or not transport.connected or transport.disconnecting):
        transport.write(data)
        return
    try:
        sent = transport.socket.send(data)
    except (BlockingIOError, InterruptedError):
        sent = 0
    except OSError:
        transport.write(data)  # let Twisted find the broken connection its own way
        return
    if sent < len(data):
        transport.write(data[sent:])
