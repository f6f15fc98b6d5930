"""``twistd chatd``: the service tree, built from validated options. Wiring only.

``makeService(options, reactor=...)`` takes the reactor as a parameter so a
test can build (and start) the whole tree on a memory reactor; twistd calls
it with none and the global reactor is used.  Options and their validation
live in :mod:`chatd.options`.
"""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path
from typing import Any, Optional

import attrs
from twisted.application import internet
from twisted.internet import defer, endpoints

from . import options as validated
from .accounts.passwords import ScryptHasher
from .accounts.sqlite import SQLiteAccounts
from .alwayson import start_always_on
from .api.hooks import url_base
from .application import ChatdService
from .cluster.push import RedisPushStore
from .core import HistoryStore, Limits, Network, Publisher
from .core.accounts import Accounts
from .core.cloaks import Cloaks
from .history.sqlite import Retention, SQLiteHistory
from .http.channel import HTTPLimits
from .http.site import make_api_site, make_metrics_site, make_site
from .irc.factory import IRCFactory
from .irc.motd import motd_reader
from .listeners import Listener, ReadyAnnouncer, with_backlog
from .logs import make_observer
from .metrics import ChatCollector, MetricsResource, make_registry
from .net.certfp import ask_client_certificates
from .net.connection import ListenerSettings
from .net.flood import UNLIMITED, FloodPolicy
from .net.peers import ConnectionCounter
from .net.proxied import ProxyHeaderFactory, proxied_kinds, trusted_from
from .net.refusals import Refusals
from .net.tasks import spawn
from .previews.http import preview_resources
from .previews.service import previews_from
from .push.service import start_push
from .push.store import SQLitePushStore
from .reload import Reloader
from .shutdown import GracefulShutdown
from .systemd import Notifier, NotifyService
from .telnet.connection import TelnetFactory
from .uploads.http import upload_resources
from .uploads.service import uploads_from
from .workers.role import adopt, listening_reactor, role
from .ws.factory import LOOPBACK, ChatWebSocketFactory, WebSocketSettings

__all__ = ["Options", "makeService"]


Options = validated.TwistdOptions  # a mistake is one line and exit status 2


def _history(options: Options, reactor: Any, top: ChatdService) -> Optional[SQLiteHistory]:
    if options["no-history"] or options["redis"]:
        return None
    state = Path(options["state-dir"])
    try:
        history = SQLiteHistory(
            state / "history.sqlite3", reactor, reactor,
            retention=Retention(options["retention-days"], options["retention-count"]),
            room_retention=options["room-retention"],
        )
    except (sqlite3.Error, OSError) as error:  # checked with the options; this is what is left (a lock, a race)
        raise SystemExit(f"chatd: --state-dir {state}: cannot open the history: {error}") from None
    # Early in, late out: it starts before the listeners and flushes as they stop.
    history.setServiceParent(top)
    pruning = internet.TimerService(3600, history.prune)
    pruning.clock = reactor
    pruning.setServiceParent(top)
    return history


def _accounts(options: Options, reactor: Any, top: ChatdService) -> Optional[SQLiteAccounts]:
    """The account and server-ban store on one node (in cluster mode Redis holds them)."""
    if options["redis"]:
        return None
    path = ":memory:" if options["no-history"] else Path(options["state-dir"]) / "accounts.sqlite3"
    try:
        store = SQLiteAccounts(path, reactor)
    except (sqlite3.Error, OSError) as error:
        raise SystemExit(f"chatd: --state-dir {options['state-dir']}: cannot open the accounts: {error}") from None
    store.setServiceParent(top)
    return store


def _network(options: Options, reactor: Any, top: ChatdService) -> tuple[Network, Any]:
    """The network, with its history store and (in cluster mode) the Redis bridge as publisher."""
    history: Optional[HistoryStore] = _history(options, reactor, top)
    bridge = None
    publisher: Optional[Publisher] = None
    if options["redis"]:
        from .cluster.address import parse_cluster, parse_sentinels
        from .cluster.bridge import RedisBridge  # nothing of Redis is loaded without --redis

        sentinels = parse_sentinels(options["redis-sentinel"]) if options["redis-sentinel"] else []
        try:
            bridge = RedisBridge(reactor, options["redis"], network_name=options["network-name"],
                                 node=options["node-name"], node_timeout=options["node-timeout"],
                                 timeout=options["redis-timeout"],
                                 outbox=Path(options["state-dir"]) / "outbox.sqlite3",
                                 sentinels=sentinels, master=options["redis-master"] or "",
                                 cluster=parse_cluster(options["redis-cluster"]) if options["redis-cluster"] else (),
                                 wait_replicas=options["redis-wait-replicas"],
                                 history_cap=options["retention-count"] or 10**9)
        except (sqlite3.Error, OSError) as error:
            raise SystemExit(f"chatd: --state-dir {options['state-dir']}: cannot open the outbox: {error}") from None
        bridge.setServiceParent(top)
        history, publisher = bridge.history, bridge
    store: Any = bridge.accounts if bridge is not None else _accounts(options, reactor, top)
    network = Network(
        server_name=options["server-name"] or socket.gethostname() or "chatd.local",
        network_name=options["network-name"],
        limits=Limits(nicklen=options["nicklen"], channellen=options["channellen"], topiclen=options["topiclen"],
                      max_rooms_per_user=options["max-rooms"], whowas=options["whowas-size"],
                      monitor=options["monitor-size"], multiline_lines=options["multiline-max-lines"],
                      multiline_bytes=options["multiline-max-bytes"], nick_grace=options["nick-grace"],
                      devices_per_account=options["devices-per-account"],
                      new_rooms_per_minute=options["new-rooms-per-minute"], max_rooms=options["max-rooms-total"],
                      room_idle=options["room-idle-days"] * 86400),
        clock=reactor.seconds,
        history=history,
        publisher=publisher,
        accounts=Accounts(store, ScryptHasher(reactor), reactor.seconds, options["login-attempts"]),
        schedule=reactor.callLater,
        batch_turns=True,
    )
    network.require_account = options["require-account"]
    network.messaging.store_first = options["history-durability"] == "before-delivery"
    assert network.accounts is not None
    network.cloaks = Cloaks(not options["no-cloaks"], options["cloak-suffix"], network.accounts.signing_key,
                            accounts=options["account-cloaks"])
    network.operators.configure_operators(options["operators"], bridge if bridge is not None else store)
    if history is not None:
        network.room_rules.restore_rooms(history.load_rooms())
    people = network.people
    people.always_on, people.absent_message = options["always-on"], options["absent-message"]
    if not options["no-history"]:  # early in, late out: kept people back before the listeners open
        start_always_on(network, Path(options["state-dir"]), reactor, top, bridge)
    if not options["no-push"] and not options["no-history"]:  # the VAPID key must outlive a restart
        subscriptions = RedisPushStore(bridge.link, bridge.keys) if bridge is not None else \
            _state_store(options, reactor, top, SQLitePushStore, "push.sqlite3", "the push subscriptions")
        start_push(network, subscriptions, Path(options["state-dir"]) / "vapid.pem", options, reactor, bridge)
    return network, bridge


def _state_store(options: Options, reactor: Any, top: ChatdService, kind: Any, filename: str, what: str) -> Any:
    """A SQLite store of the state directory (in memory with --no-history), started with the tree;
    a file that cannot be opened stops start-up with one line naming --state-dir."""
    path = ":memory:" if options["no-history"] else Path(options["state-dir"]) / filename
    try:
        store = kind(path, reactor)
    except (sqlite3.Error, OSError) as error:
        raise SystemExit(f"chatd: --state-dir {options['state-dir']}: cannot open {what}: {error}") from None
    store.setServiceParent(top)
    return store


def _api(options: Options, reactor: Any, top: ChatdService, network: Network, bridge: Any) -> dict[bytes, Any]:
    """``/api`` and ``/hooks``: the server API and incoming webhooks, keys in the state dir or Redis."""
    from .api.bots import Bots
    from .api.http import RateLimit
    from .api.incoming import HookServer
    from .api.roomhooks import RoomHooks
    from .api.server import ApiServer
    from .api.store import KeyStore, RedisKeys, SQLiteKeys

    store: KeyStore
    if bridge is not None:
        store = RedisKeys(bridge.link, bridge.keys.api)
    else:
        store = _state_store(options, reactor, top, SQLiteKeys, "apikeys.sqlite3", "the API keys")
    bots = Bots(network)
    limit = RateLimit(reactor, options["api-rate"], options["api-burst"])
    def sweep() -> None:
        bots.sweep()
        defer.ensureDeferred(bots.prune(store)).addErrback(lambda _: None)  # the store is down: next time

    sweeping = internet.TimerService(60, sweep)
    sweeping.clock = reactor
    sweeping.setServiceParent(top)
    outgoing = _outgoing(options, reactor, top, network, store, bots)
    top.room_hooks = RoomHooks(store, outgoing, lambda: "")  # the base is known once listeners are made
    return {b"api": ApiServer(network, store, bots, limit, outgoing, top.room_hooks).app.resource(),
            b"hooks": HookServer(store, bots, limit).app.resource()}


def _outgoing(options: Options, reactor: Any, top: ChatdService, network: Network, store: Any,
              bots: Any) -> Any:
    """Outgoing webhooks: a record sink, its durable queue in the state dir, and its HTTP client."""
    from .api.outgoing import Outgoing
    from .api.queue import WebhookQueue

    queue = _state_store(options, reactor, top, WebhookQueue, "webhooks.sqlite3", "the webhook queue")
    outgoing = Outgoing(reactor, store, queue, bots, retries=options["webhook-retries"],
                        timeout=options["webhook-timeout"], cap=options["webhook-queue"],
                        configured=options["webhooks"])
    outgoing.setServiceParent(top)
    network.records.add(outgoing.record)
    top.outgoing = outgoing
    return outgoing


def makeService(options: Options, reactor: Any = None) -> ChatdService:
    if reactor is None:
        from twisted.internet import reactor  # twistd's own; tests pass theirs

    top = ChatdService(make_observer(options["log-format"], options["log-level"], options["log-file"]), reactor)
    notify = NotifyService(Notifier())
    notify.setServiceParent(top)
    me = role()  # a worker of --workers, or None
    if options["workers"] > 1 and me is None:
        from .workers.supervisor import supervise  # this process only runs the workers

        supervise(options, reactor, top, notify)
        return top
    network, bridge = _network(options, reactor, top)

    refusals = Refusals(reactor)  # one aggregate log of refused connections for every listener
    peers = ConnectionCounter(options["max-per-address"], refusals)
    flood = FloodPolicy(options["flood-rate"], options["flood-burst"], options["flood-queue"])
    tags = options["client-tags-max"]
    public = ListenerSettings(flood=flood, sendq=options["sendq"], max_tags=tags)
    trusted = ListenerSettings(flood=UNLIMITED, sendq=options["sendq"] * 16, check_peer_limit=False, max_tags=tags)
    irc_args = dict(password=options["password"], motd=motd_reader(options["motd-file"]),
                    ping_interval=options["ping-interval"], ping_timeout=options["ping-timeout"],
                    missed_lines=options["missed-lines"], missed_days=options["missed-days"])

    listeners: list[Listener] = []
    factories: list[tuple[str, Any]] = []
    proxies = trusted_from(options["trusted-proxies"])
    proxied = proxied_kinds(options["proxy-protocol"])

    listening = listening_reactor(reactor, me)  # in a worker, ports shared with its siblings

    def listen(kind: str, protocol: str, description: str, factory: Any) -> None:
        served = ProxyHeaderFactory(factory, proxies) if kind in proxied else factory
        backlog = options["listen-backlog"]

        def endpoint(d: str) -> Any:  # on irc-tls, certificates log in with SASL EXTERNAL
            made = endpoints.serverFromString(listening, with_backlog(d, backlog))
            return ask_client_certificates(made) if kind == "irc-tls" else made
        listener = Listener(kind, description, endpoint, served, reactor)
        listener.setServiceParent(top)
        listeners.append(listener)
        top.reloaders.append(listener.reload)
        if protocol:
            factories.append((protocol, factory))

    sweepers = []
    tls_port: list[int] = []  # known once the TLS listener is bound
    duration = options["sts-duration"]

    def remember_tls_port(port: Any) -> Any:
        tls_port.append(port.getHost().port)
        return port

    def sts(on_tls: bool) -> Any:
        if not options["irc-tls"] or not duration:
            return lambda: None
        if on_tls:
            return lambda: f"duration={duration}"
        return lambda: f"port={tls_port[0]},duration={duration}" if tls_port else None

    for kind, option, settings in (("irc", "irc", public), ("irc-tls", "irc-tls", public),
                                   ("irc-trusted", "irc-trusted", trusted)):
        if options[option]:
            irc = IRCFactory(network, reactor, peers, settings, sts=sts(kind == "irc-tls"), **irc_args)
            listen(kind, "irc", options[option], irc)
            sweepers.append(irc)
            if kind == "irc-tls":
                listeners[-1].ready.addCallback(remember_tls_port)
    telnet = TelnetFactory(network, reactor, peers, public)
    telnet.replay_lines = options["telnet-replay"]
    listen("telnet", "telnet", options["telnet"], telnet)

    # Web IRC clients (text.ircv3.net) run the IRC adapter; the WebSocket took the address slot.
    irc_ws = IRCFactory(network, reactor, peers, ListenerSettings(flood=flood, sendq=options["sendq"],
                                                                 max_tags=tags, check_peer_limit=False),
                        **irc_args)
    sweepers.append(irc_ws)
    ws = ChatWebSocketFactory(network, reactor, peers, WebSocketSettings(
        flood=flood,
        sendq=options["sendq"],
        max_message=options["ws-max-message"],
        hard_max_message=max(1 << 20, options["ws-max-message"] * 4),
        allowed_origins=tuple(o.strip().rstrip("/") for o in options["allowed-origins"].split(",") if o.strip()),
        public_hosts=LOOPBACK + ((options["public-host"] or network.server_name).lower(),),
        compression=options["ws-compression"],
        ping_interval=options["ping-interval"],
        ping_timeout=options["ping-timeout"],
        history_on_join=options["history-on-join"],
        trusted_proxies=proxies,
    ))
    ws.irc = irc_ws
    factories.append(("web", ws))
    if bridge is not None:  # a device of someone another node holds is carried there (chatd/cluster/relay.py)
        bridge.relay.serve({"irc": irc_ws, "web": ws, "telnet": telnet}, [f for _, f in factories] + [irc_ws])

    def health() -> dict[str, Any]:
        return {
            "status": "ok" if bridge is None or bridge.up else "degraded",
            "redis": None if bridge is None else ("up" if bridge.up else "down"),
            "outbox": None if bridge is None else bridge.messages.waiting,
            "users": len(network.users),
            "rooms": len(network.rooms),
            "connections": {protocol: len(f.connections) for protocol, f in factories},
        }

    web_at: list[Listener] = []  # the web client's listener, once made: where its URLs point

    def web_base() -> str:
        bound = getattr(web_at[0].port.getHost(), "port", None) if web_at[0].port is not None else None
        return url_base(options["public-host"], options["http"], bound)

    uploads = uploads_from(options, network, reactor, top, web_base)
    http_limits = HTTPLimits(reactor, ConnectionCounter(options["http-max-per-address"], refusals),
                             options["http-header-timeout"], proxies, options["api-max-body"],
                             uploads.settings.max_size if uploads is not None else 0)
    api = _api(options, reactor, top, network, bridge)
    site = make_site(options["web-root-path"], ws, health, http_limits,
                     {**({} if options["api"] else api), **upload_resources(uploads),
                      **preview_resources(previews_from(options, network, reactor), reactor.seconds)})
    listen("http", "", options["http"], site)
    web_at.append(listeners[-1])
    if options["api"]:
        listen("api", "", options["api"], make_api_site(api, health, http_limits))
    hooks_at = listeners[-1]  # where hook URLs point: the API's own listener, or the web client's

    def hook_base() -> str:
        bound = getattr(hooks_at.port.getHost(), "port", None) if hooks_at.port is not None else None
        return url_base(options["public-host"], options["api"] or options["http"], bound)

    top.room_hooks.base = hook_base
    if options["smtp"]:
        from .mail import recovery_from  # twisted.mail is loaded only for --smtp

        network.recovery = recovery_from(options, reactor, network, web_base)
    if options["https"]:
        listen("https", "", options["https"], site)
    if options["metrics"]:
        # The history commit series describe this process's own SQLite writer; a cluster node's history
        # is Redis's, which has no batches of its own to report.
        local = network.history if isinstance(network.history, SQLiteHistory) else None
        registry = make_registry(ChatCollector(network, lambda: factories, local, bridge, top.outgoing))
        listen("metrics", "", options["metrics"], make_metrics_site(MetricsResource(registry), health, http_limits))

    period = max(0.1, min(options["ping-interval"], options["ping-timeout"]) / 2)

    def sweep() -> None:
        for factory in sweepers:
            factory.sweep()

    keepalive = internet.TimerService(period, sweep)
    keepalive.clock = reactor
    keepalive.setServiceParent(top)
    if options["no-history"]:
        state = "none (--no-history)"
    elif options["redis"]:
        where = f"Sentinel {options['redis-sentinel']}, master {options['redis-master']}" \
            if options["redis-sentinel"] else options["redis"].split("@")[-1]  # never the password
        state = f"Redis Cluster ({where}, ...)" if options["redis-cluster"] else f"Redis ({where})"
    else:
        state = str(Path(options["state-dir"]).resolve())
    ready = ReadyAnnouncer(listeners, reactor, options["public-host"] or network.server_name, state)
    ready.callbacks.append(notify.ready)
    adopt(me, bridge, ready)
    ready.setServiceParent(top)
    # SIGHUP and REHASH read the whole configuration again (chatd/reload.py).
    top.reloader = Reloader(options, network, top.observer, top.reloaders)

    def live_limits(fresh: validated.Options) -> None:
        """A reload's limits, proxies and replay sizes: what connections made from now on get."""
        proxies.networks[:] = trusted_from(fresh["trusted-proxies"]).networks
        peers.max_per_address = fresh["max-per-address"]
        http_limits.peers.max_per_address = fresh["http-max-per-address"]
        flood = FloodPolicy(fresh["flood-rate"], fresh["flood-burst"], fresh["flood-queue"])
        for factory in [f for _, f in factories if isinstance(f, IRCFactory)] + [irc_ws, telnet]:
            lenient = not factory.settings.flood.enabled  # irc-trusted keeps no flood limit, 16 times the queue
            factory.settings = attrs.evolve(factory.settings, flood=UNLIMITED if lenient else flood,
                                            sendq=fresh["sendq"] * (16 if lenient else 1))
            if isinstance(factory, IRCFactory):
                factory.motd = motd_reader(fresh["motd-file"])
                factory.missed_lines, factory.missed_days = fresh["missed-lines"], fresh["missed-days"]
        telnet.replay_lines = fresh["telnet-replay"]
        ws.settings = attrs.evolve(ws.settings, flood=flood, sendq=fresh["sendq"],
                                   history_on_join=fresh["history-on-join"])

    top.reloader.appliers.append(live_limits)
    if top.outgoing is not None:
        def live_webhooks(fresh: validated.Options, outgoing: Any = top.outgoing) -> None:
            """``[[webhooks]]`` as the file has them now (written to the store, taken out ones removed)."""
            outgoing.configured = fresh["webhooks"]
            spawn(outgoing.refresh(), "webhooks from the configuration")

        top.reloader.appliers.append(live_webhooks)
    for _, factory in factories:
        factory.room_hooks = top.room_hooks
    irc_ws.room_hooks = top.room_hooks
    for irc_factory in [f for _, f in factories if isinstance(f, IRCFactory)] + [irc_ws]:
        irc_factory.rehash = top.reloader.reload
        irc_factory.rehash_source = Path(options["config"]).name if options["config"] else "chatd"
    # Last in, first out: on SIGTERM clients are told before anything else stops.
    GracefulShutdown(
        reactor, lambda: [c for _, f in factories for c in list(f.connections)], options["shutdown-timeout"]
    ).setServiceParent(top)
    return top
