"""Shared state of one IRC listener: settings, renderers, MOTD, ISUPPORT, keepalive."""

from __future__ import annotations

import time
from typing import Any, Callable, Optional

from ..core import CASEMAPPING, ROOM_PREFIXES
from ..net.connection import LineFactory
from . import chathistory, webpush
from .monitor import Monitors
from .render import LineRenderer


class IRCFactory(LineFactory):
    # connection_class: chatd.irc.connection.IRCConnection names itself there.

    def __init__(
        self,
        *args: Any,
        password: Optional[str] = None,
        motd: Callable[[], Optional[list[str]]] = lambda: None,
        ping_interval: float = 120.0,
        ping_timeout: float = 60.0,
        sts: Callable[[], Optional[str]] = lambda: None,
        missed_lines: int = 100,
        missed_days: float = 7.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.password = password
        self.motd = motd
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        #: Room lines replayed to a signed-in client without chathistory that comes back, and how far back.
        self.missed_lines, self.missed_days = missed_lines, missed_days
        self.sts = sts  # the IRCv3 sts policy to advertise, if any (known once the TLS port is bound)
        self.renderers: dict[tuple[bool, ...], LineRenderer] = {}
        self.monitors = Monitors(self.network.find_user)
        #: Reads the configuration again (REHASH; chatd.reload.Reloader.reload), when the daemon has one.
        self.rehash: Optional[Callable[[], Any]] = None
        self.rehash_source = "chatd"  # what 382 names: the configuration file, or the command line
        self.network.seen.add(self.monitors.changed)
        self.started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(self.network.created))

    def renderer(self, key: tuple[bool, ...]) -> LineRenderer:
        renderer = self.renderers.get(key)
        if renderer is None:
            renderer = self.renderers[key] = LineRenderer.for_key(key, self.network.server_name)
        return renderer

    def isupport(self) -> list[str]:
        limits = self.network.limits
        # The history pair first: clients read them together, so they share one 005 line.
        return ([f"CHATHISTORY={chathistory.MAX_LIMIT}", "MSGREFTYPES=msgid,timestamp"]
                if self.network.history is not None else []) + [
            f"AWAYLEN={limits.awaylen}",
            f"CASEMAPPING={CASEMAPPING}",
            f"CHANLIMIT={ROOM_PREFIXES}:{limits.max_rooms_per_user}",
            "BOT=B",
            "CHANMODES=beIq,k,l,imnst",
            "EXCEPTS=e",
            "INVEX=I",
            "EXTBAN=,am",
            f"CHANNELLEN={limits.channellen}",
            "NAMELEN=256",
            f"CHANTYPES={ROOM_PREFIXES}",
            "ELIST=CMNTU",
            f"KEYLEN={limits.keylen}",
            f"KICKLEN={limits.kicklen}",
            "MAXTARGETS=4",
            "MODES=4",
            f"MONITOR={limits.monitor}",
            f"NETWORK={self.network.network_name}",
            f"NICKLEN={limits.nicklen}",
            "PREFIX=(ov)@+",
            "TARGMAX=PRIVMSG:4,NOTICE:4,TAGMSG:4,JOIN:,PART:,KICK:,NAMES:,WHOIS:1,WHOWAS:5,MONITOR:",
            f"TOPICLEN={limits.topiclen}",
            "UTF8ONLY",
            *webpush.isupport(self.network),
            "WHOX",
            # Where to upload a file to share (soju's filehost draft; chatd/uploads): both names clients read.
            *([f"draft/FILEHOST={self.network.uploads.url}", f"soju.im/FILEHOST={self.network.uploads.url}"]
              if self.network.uploads is not None else []),
        ]

    def sweep(self) -> None:
        """Ping idle clients and drop those that stopped answering."""
        now = self.clock.seconds()
        for conn in list(self.connections):
            conn.keepalive(now)
