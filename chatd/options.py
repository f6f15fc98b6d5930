"""``twistd chatd`` options: every setting, its default, and its validation.

Validation lives here, with the options, so that ``chatd.tap`` only builds
the service tree from settings already known to be good.  The same names are
the keys of the TOML configuration file (:mod:`chatd.config`).
"""

from __future__ import annotations

import re
import sys
from typing import Any, Optional

from twisted.python import usage

from .checks import LISTENERS, check_endpoint, check_readable, check_state_dir, check_workers, worker_count
from .cluster.address import RedisAddress, parse_cluster, parse_sentinels
from .config import apply_file, given_on_command_line
from .history.sqlite import Retention
from .http.site import find_web_root
from .logs import LEVELS
from .net.proxied import PROXIABLE, proxied_kinds, trusted_from
from .uploads.sniff import DEFAULT_TYPES, patterns

#: When a message counts as sent (--history-durability), the default first.
DURABILITY = ("after-delivery", "before-delivery")


class Options(usage.Options):
    synopsis = "[options]"
    longdesc = "chatd: one chat network for IRC, telnet and browser users."

    optFlags: list[list[Any]] = [
        ["no-cloaks", None, "Show everyone's real address (by default others see a cloak: a keyed hash of it)."],
        ["always-on", None, "Accounts stay in their rooms, shown away, while none of their connections is open "
         "(each account may say otherwise: NickServ SET ALWAYSON; on a cluster another node takes them over "
         "when theirs is gone)."],
        ["account-cloaks", None, "Show people logged in to an account as account/NAME instead of a cloak "
         "of their address (IRC clients with chghost see the change as they log in or out)."],
        ["smtp-tls", None, "Require STARTTLS from the --smtp server (else it is used when offered)."],
        ["ws-compression", None, "Offer permessage-deflate (costs CPU per recipient: frames can't be shared)."],
        ["no-history", None, "Keep no history: nothing is written to the state directory."],
        ["no-push", None, "Send no Web Push notifications (and offer no draft/webpush or push subscriptions)."],
        ["push-private-endpoints", None, "Also send pushes to http:// endpoints and to loopback or private "
         "addresses (a push service on your own network); by default only https:// on public addresses."],
        ["no-uploads", None, "Take no file uploads (and advertise no draft/FILEHOST)."],
        ["no-previews", None, "Fetch no link previews (title, description, image of linked pages)."],
        ["preview-private-addresses", None, "Also preview links to loopback and private addresses (a wiki on "
         "your own network); by default only public addresses are ever fetched."],
        ["upload-guests", None, "Let guests upload too (from the web client, under --upload-guest-quota per address)."],
        ["require-account", None, "Members only: people must log in (SASL, the web's sign-in, telnet /login) "
         "before they can chat."],
    ]

    optParameters: list[list[Any]] = [
        ["config", None, None, "TOML file with any of these options as keys; the command line wins."],
        ["irc", None, "tcp:6667:interface=127.0.0.1", "IRC listener (endpoint string)."],
        ["irc-trusted", None, None, "Extra IRC listener without flood or per-address limits (endpoint string)."],
        ["irc-tls", None, None, "Extra IRC listener, usually TLS: ssl:6697:privateKey=KEY:certKey=CERT."],
        ["telnet", None, "tcp:2323:interface=127.0.0.1", "Telnet listener (endpoint string)."],
        ["http", None, "tcp:8080:interface=127.0.0.1", "HTTP listener: web client, /ws, /healthz (endpoint string)."],
        ["https", None, None, "Extra HTTP listener, usually TLS: ssl:8443:privateKey=KEY:certKey=CERT."],
        ["api", None, None, "Own listener for the HTTP API (/api/v1/, /hooks/), e.g. tcp:8081:interface=127.0.0.1 "
         "(default: the --http listener serves it)."],
        ["api-rate", None, 5.0, "API requests per second one key may make, sustained (0: no limit).", float],
        ["api-burst", None, 20, "API requests one key may make at once before --api-rate applies.", int],
        ["api-max-body", None, 65536, "Largest API or webhook request body in bytes.", int],
        ["webhook-retries", None, 10, "Attempts to deliver an outgoing webhook event before it is dropped.", int],
        ["webhook-timeout", None, 10.0, "Seconds an outgoing webhook's receiver has to answer.", float],
        ["webhook-queue", None, 1000, "Outgoing webhook events kept per subscription while its receiver "
         "is down (the oldest go first).", int],
        ["web-root", None, None, "Folder with the web client (default: the one installed with chatd)."],
        ["allowed-origins", None, "", "Comma-separated origins allowed to open web sockets, besides pages "
         "from --public-host and from this machine (* allows all)."],
        ["public-host", None, None, "Host name browsers use to reach the web client (default: the server "
         "name); pages from it may open web sockets."],
        ["metrics", None, None, "Listener for /metrics (and /healthz), e.g. tcp:9100:interface=127.0.0.1 "
         "(default: none; metrics are never on the public HTTP listener)."],
        ["sts-duration", None, 2592000, "Seconds IRC clients should use only TLS once they saw it, advertised "
         "(IRCv3 sts) when --irc-tls is set (0: never advertise).", int],
        ["trusted-proxies", None, "", "Comma-separated addresses or CIDR networks of reverse proxies whose "
         "Forwarded or X-Forwarded-For (HTTP) or PROXY header (see proxy-protocol) names the real client."],
        ["proxy-protocol", None, "", "Listeners that read a PROXY protocol header (v1/v2) from a trusted proxy "
         "before anything else: any of irc, irc-tls, irc-trusted, telnet."],
        ["http-max-per-address", None, 50, "HTTP connections allowed from one address (0: no limit).", int],
        ["http-header-timeout", None, 10.0, "Seconds a client has to send a request's headers.", float],
        ["ws-max-message", None, 16384, "Largest WebSocket frame in bytes; larger ones get an error frame.", int],
        ["state-dir", None, "./chatd-data", "Folder for chatd's data (history, accounts; in cluster mode the "
         "outbox); created on first start."],
        ["history-on-join", None, 50, "Messages a web user gets on joining a room.", int],
        ["history-durability", None, "after-delivery", "When a message counts as sent: after-delivery (people "
         "get it at once, history commits within milliseconds after) or before-delivery (people get it once "
         "history has committed it: nothing anyone saw is lost in a crash, at the cost of one commit's "
         "latency). Cluster mode stores in Redis before delivering either way."],
        ["cloak-suffix", None, "cloak", "Last part of cloaked hosts (abc.def.cloak)."],
        ["smtp", None, None, "Mail server (host or host:port, default port 25) for address verification "
         "and password reset links; without it chatd sends no mail."],
        ["smtp-from", None, None, "Sender address of chatd's mails (default: chatd@<server-name>)."],
        ["smtp-user", None, None, "User name to log in to the --smtp server (AUTH; with --smtp-password)."],
        ["smtp-password", None, None, "Password for --smtp-user (better in the config file, mode 0600)."],
        ["telnet-replay", None, 10, "Messages a telnet user sees on joining a room.", int],
        ["missed-lines", None, 100, "Room lines an IRC client without chathistory, signed in, gets on coming back "
         "(since that device left; 0: none).", int],
        ["missed-days", None, 7.0, "How far back those missed room lines go, in days.", float],
        ["retention-days", None, 0.0, "Delete messages older than this many days (0: keep).", float],
        ["retention-count", None, 100000, "Keep at most this many messages per room or conversation (0: all).", int],
        ["redis", None, None, "Cluster mode: redis://[user:password@]host:6379/0 (rediss:// for TLS)."],
        ["redis-sentinel", None, None, "Cluster mode through Redis Sentinel: host:26379,host:26379 (with "
         "--redis-master; --redis then only gives database, user, password, TLS)."],
        ["redis-master", None, None, "The master name the Sentinels watch (with --redis-sentinel)."],
        ["redis-cluster", None, None, "Cluster mode over a Redis Cluster (7 or later): seed nodes "
         "redis://[user:password@]host:7000,host:7001,... (rediss:// for TLS). See docs/cluster.md."],
        ["redis-wait-replicas", None, 0, "A message counts as stored (acknowledged) once this many Redis replicas "
         "have it (WAIT); 1 with replicas: a primary's crash loses nothing acknowledged.", int],
        ["node-name", None, None, "This node's name in the cluster (default: host-pid-random)."],
        ["workers", None, 1, "Worker processes sharing the listeners, each a cluster node (a number, or auto: one "
         "per core); above 1 needs --redis. See docs/cluster.md.", worker_count],
        ["redis-timeout", None, 1.0, "Seconds Redis has to answer before the link counts as down (local chat "
         "goes on meanwhile).", float],
        ["node-timeout", None, 10.0, "Seconds without a heartbeat before a node's users are dropped.", float],
        ["server-name", None, None, "Server name shown to clients (default: host name)."],
        ["network-name", None, "chatd", "Network name (IRC NETWORK=)."],
        ["motd-file", None, None, "File with the message of the day."],
        ["password", None, None, "Server password IRC clients must send with PASS."],
        ["flood-rate", None, 4.0, "Commands per second a client may sustain (0: no flood control).", float],
        ["flood-burst", None, 20, "Commands a client may send at once before being slowed.", int],
        ["flood-queue", None, 60, "Delayed commands after which a client is cut off (Excess Flood).", int],
        ["sendq", None, 1 << 20, "Bytes of unread output after which a client is cut off.", int],
        ["max-per-address", None, 20, "Connections allowed from one address (0: no limit).", int],
        ["listen-backlog", None, 1024, "Connections the kernel queues for each TCP, TLS or UNIX listener "
         "until they are accepted (the kernel caps it at net.core.somaxconn).", int],
        ["ping-interval", None, 120.0, "Seconds of silence before the server pings an IRC client.", float],
        ["ping-timeout", None, 60.0, "Seconds to wait for the answer before 'Ping timeout'.", float],
        ["nicklen", None, 30, "Longest nick.", int],
        ["channellen", None, 50, "Longest room name.", int],
        ["topiclen", None, 390, "Longest topic.", int],
        ["max-rooms", None, 50, "Rooms one user may be in.", int],
        ["whowas-size", None, 1000, "Departed or renamed nicks remembered for WHOWAS (0: none).", int],
        ["monitor-size", None, 100, "Nicks one IRC client may watch with MONITOR.", int],
        ["client-tags-max", None, 4094, "Bytes of IRCv3 client tags one IRC line may carry (417 beyond).", int],
        ["multiline-max-lines", None, 24, "Lines in one multi-line message (draft/multiline, web).", int],
        ["multiline-max-bytes", None, 4096, "Bytes of text in one multi-line message.", int],
        ["nick-grace", None, 30.0, "Seconds a guest may keep a registered nick to log in before being renamed "
         "(0: such nicks are refused outright).", float],
        ["absent-message", None, "Not connected", "The away message of an always-on person while none of their "
         "connections is open."],
        ["devices-per-account", None, 10, "Connections one person logged in to an account may have at once "
         "under one nick: IRC, web and telnet, each seeing what the others do (1: one, as for guests).", int],
        ["push-contact", None, "", "How push services may reach this server's operator, signed into every push "
         "(VAPID 'sub'): mailto:you@example.org or an https:// URL (default: mailto:postmaster@SERVER-NAME)."],
        ["push-subscriptions", None, 10, "Push subscriptions (browsers, IRC clients) one account may have.", int],
        ["push-per-minute", None, 30, "Push notifications one account may be sent per minute (the rest are "
         "dropped and counted).", int],
        ["upload-dir", None, None, "Folder for uploaded files (default: files/ in --state-dir; in a cluster, give "
         "every node the same shared folder so each serves every file)."],
        ["upload-max-size", None, 10 << 20, "Largest file one upload may be, in bytes.", int],
        ["upload-quota", None, 200 << 20, "Bytes of files one account may keep at once.", int],
        ["upload-guest-quota", None, 20 << 20, "Bytes of files guests from one address may keep (--upload-guests).",
         int],
        ["upload-types", None, DEFAULT_TYPES, "Comma-separated file types taken, as sniffed from their bytes "
         "(image/* matches every image type)."],
        ["upload-days", None, 30.0, "Days a file is kept (0: until the message carrying it is deleted).", float],
        ["uploads-per-minute", None, 20, "Uploads one account, and one address, may make per minute.", int],
        ["login-attempts", None, 5, "Failed logins allowed per account from one address each minute; one address "
         "may fail four times as often over all accounts (0: no bound).", int],
        ["new-rooms-per-minute", None, 10, "Rooms one person, and one address, may create per minute "
         "(0: no bound).", int],
        ["max-rooms-total", None, 10000, "Rooms the network may hold (0: no bound).", int],
        ["room-idle-days", None, 7.0, "Days an empty unregistered room keeps its key, modes and lists.", float],
        ["log-format", None, "text", "Log as readable 'text' or as 'json' lines."],
        ["log-level", None, "info", "Least important level logged: debug, info, warn, error, critical."],
        ["log-file", None, "-", "Where the log goes; - is standard output (the journal under systemd)."],
        ["shutdown-timeout", None, 5.0, "Seconds clients get to close on shutdown before they are cut.", float],
    ]

    def __init__(self) -> None:
        super().__init__()
        self["room-retention"] = {}
        self["operators"] = []  # [[operators]] tables of the TOML file only
        self["webhooks"] = []  # [[webhooks]] tables, likewise
        self.argv: list[str] = []
        # Repeatable options: the config file takes them as lists of strings.
        self.multi_options = {"room-retention": self.opt_room_retention}

    def parseOptions(self, options: Optional[list[str]] = None) -> None:
        self.argv = list(sys.argv[1:] if options is None else options)
        super().parseOptions(options)

    def opt_room_retention(self, value: str) -> None:
        """Retention for one room, as #room=DAYS:COUNT (repeatable; 0 means no limit)."""
        try:
            room, _, rule = value.partition("=")
            days, _, count = rule.partition(":")
            self["room-retention"][room] = Retention(float(days or 0), int(count or 0))
        except ValueError:
            raise usage.UsageError(f"--room-retention: expected #room=DAYS:COUNT, got {value!r}") from None
        if not room.startswith("#"):
            raise usage.UsageError(f"--room-retention: {room!r} is not a room")

    def postOptions(self) -> None:
        if self["config"]:
            names = [str(p[0]) for p in self.optParameters] + [str(f[0]) for f in self.optFlags] + ["room-retention"]
            apply_file(self, self["config"], given_on_command_line(self.argv, names))
        for name in ("flood-burst", "flood-queue", "sendq", "nicklen", "channellen", "topiclen", "max-rooms",
                     "monitor-size", "client-tags-max", "multiline-max-lines", "multiline-max-bytes",
                     "listen-backlog", "push-subscriptions", "push-per-minute", "upload-max-size", "upload-quota",
                     "upload-guest-quota", "uploads-per-minute"):
            if self[name] <= 0:
                raise usage.UsageError(f"--{name} must be positive")
        if self["retention-days"] < 0 or self["retention-count"] < 0:
            raise usage.UsageError("--retention-days and --retention-count must not be negative")
        if self["flood-rate"] < 0:
            raise usage.UsageError("--flood-rate must not be negative")
        contact = self["push-contact"]
        if contact and not (contact.startswith("https://") or (contact.startswith("mailto:") and "@" in contact)):
            raise usage.UsageError("--push-contact must be mailto:someone@example.org or an https:// URL")
        if self["redis-cluster"]:
            if self["redis"] or self["redis-sentinel"]:
                raise usage.UsageError("--redis-cluster: give one of --redis, --redis-sentinel and --redis-cluster")
            try:
                parse_cluster(self["redis-cluster"])
            except ValueError as error:
                raise usage.UsageError(f"--redis-cluster: {error}") from None
            self["redis"] = self["redis-cluster"].split(",")[0].strip()  # cluster mode; credentials, TLS
        if not 0 <= self["redis-wait-replicas"] <= 5:
            raise usage.UsageError("--redis-wait-replicas must be between 0 and 5")
        if re.search(r"[{}:\s]", self["network-name"] or ""):
            raise usage.UsageError("--network-name must not contain braces, colons or spaces (it names Redis keys)")
        if self["redis-sentinel"]:
            try:
                parse_sentinels(self["redis-sentinel"])
            except ValueError as error:
                raise usage.UsageError(f"--redis-sentinel: {error}") from None
            if not self["redis-master"]:
                raise usage.UsageError("--redis-sentinel needs --redis-master (the name the Sentinels watch)")
            self["redis"] = self["redis"] or "redis://sentinel/0"  # the master's address comes from Sentinel
        elif self["redis-master"]:
            raise usage.UsageError("--redis-master needs --redis-sentinel")
        if self["redis"]:
            try:
                RedisAddress.parse(self["redis"])
            except ValueError as error:
                raise usage.UsageError(f"--redis: {error}") from None
        check_workers(self["workers"], bool(self["redis"]))
        if not 0.1 <= self["redis-timeout"] <= 30:
            raise usage.UsageError("--redis-timeout must be between 0.1 and 30 seconds")
        if not 2 <= self["node-timeout"] <= 300:
            raise usage.UsageError("--node-timeout must be between 2 and 300 seconds")
        if self["log-format"] not in ("text", "json"):
            raise usage.UsageError("--log-format must be text or json")
        if self["log-level"] not in LEVELS:
            raise usage.UsageError(f"--log-level must be one of {', '.join(LEVELS)}")
        if self["shutdown-timeout"] < 0:
            raise usage.UsageError("--shutdown-timeout must not be negative")
        if self["ws-max-message"] < 256:
            raise usage.UsageError("--ws-max-message must be at least 256")
        try:
            self["web-root-path"] = find_web_root(self["web-root"])
        except FileNotFoundError as error:
            raise usage.UsageError(str(error)) from None
        if self["motd-file"] is not None:
            check_readable("motd-file", self["motd-file"])
        try:
            trusted = trusted_from(self["trusted-proxies"])
        except ValueError as error:
            raise usage.UsageError(f"--trusted-proxies: {error}") from None
        for kind in proxied_kinds(self["proxy-protocol"]):
            if kind not in PROXIABLE:
                raise usage.UsageError(f"--proxy-protocol: {kind!r} is not one of {', '.join(PROXIABLE)}")
            if not trusted:
                raise usage.UsageError("--proxy-protocol needs --trusted-proxies (who may send the header)")
        for name in ("nick-grace", "login-attempts", "new-rooms-per-minute", "max-rooms-total", "room-idle-days",
                     "missed-lines", "missed-days"):
            if self[name] < 0:
                raise usage.UsageError(f"--{name} must not be negative")
        if self["devices-per-account"] < 1:
            raise usage.UsageError("--devices-per-account must be at least 1")
        if self["whowas-size"] < 0:
            raise usage.UsageError("--whowas-size must not be negative")
        if self["sts-duration"] < 0:
            raise usage.UsageError("--sts-duration must not be negative")
        if self["http-max-per-address"] < 0:
            raise usage.UsageError("--http-max-per-address must not be negative")
        if self["api-rate"] < 0:
            raise usage.UsageError("--api-rate must not be negative")
        if self["api-burst"] <= 0 or self["api-max-body"] < 1024:
            raise usage.UsageError("--api-burst must be positive and --api-max-body at least 1024")
        for name in ("webhook-retries", "webhook-queue", "webhook-timeout"):
            if self[name] <= 0:
                raise usage.UsageError(f"--{name} must be positive")
        if self["history-durability"] not in DURABILITY:
            raise usage.UsageError(f"--history-durability must be one of {', '.join(DURABILITY)}")
        if not re.fullmatch(r"[a-z0-9](?:[a-z0-9.-]{0,30}[a-z0-9])?", self["cloak-suffix"]):
            raise usage.UsageError("--cloak-suffix must be a host name part: lowercase letters, digits, '.' and '-'")
        if self["smtp"]:
            from .core.recovery import valid_email
            from .mail import parse_smtp

            try:
                parse_smtp(self["smtp"])
            except ValueError as error:
                raise usage.UsageError(f"--smtp: {error}") from None
            if self["smtp-from"]:
                try:
                    valid_email(self["smtp-from"])
                except Exception:
                    raise usage.UsageError(f"--smtp-from: {self['smtp-from']!r} is not an e-mail address") from None
            if bool(self["smtp-user"]) != bool(self["smtp-password"]):
                raise usage.UsageError("--smtp-user and --smtp-password go together")
        try:
            self["upload-type-list"] = patterns(self["upload-types"])
        except ValueError as error:
            raise usage.UsageError(f"--upload-types: {str(error)!r} is not a type like image/png or image/*") from None
        if self["upload-days"] < 0:
            raise usage.UsageError("--upload-days must not be negative")
        if self["upload-dir"] and not self["no-uploads"]:
            check_state_dir(self["upload-dir"], "upload-dir")
        if self["http-header-timeout"] <= 0:
            raise usage.UsageError("--http-header-timeout must be positive")
        for name in LISTENERS:
            if self[name]:
                check_endpoint(name, self[name], shared=self["workers"] > 1)
        if not self["no-history"] or self["redis"]:
            check_state_dir(self["state-dir"])  # in cluster mode it holds the outbox

    def opt_version(self) -> None:
        """Print chatd's version (and Twisted's and Python's) and exit."""
        import platform

        import twisted

        from . import __version__

        print(f"chatd {__version__} (Twisted {twisted.__version__}, Python {platform.python_version()})")
        raise SystemExit(0)


class TwistdOptions(Options):
    """The options as ``twistd chatd`` reads them: a mistake is one line and exit status 2.

    (twistd itself would print its whole usage text above the reason.)
    """

    def parseOptions(self, options: Optional[list[str]] = None) -> None:  # noqa: N802
        try:
            super().parseOptions(options)
        except usage.UsageError as error:
            sys.stderr.write(f"chatd: {error}\n")
            raise SystemExit(2) from None
