"""Redis key and channel names, all under one prefix per network.

docs/cluster.md lists them; keep the two in step.
"""

from __future__ import annotations

import attrs


@attrs.frozen
class Keys:
    prefix: str  # "chatd:<network>:"

    @property
    def events(self) -> str:
        return self.prefix + "events"  # channel: presence and room state, every node

    def room_channel(self, folded_room: str) -> str:
        return self.prefix + "room:" + folded_room  # channel: one room's messages

    def node_channel(self, node: str) -> str:
        return self.prefix + "node:" + node  # channel: direct messages for one node's users

    @property
    def nicks(self) -> str:
        return self.prefix + "nicks"  # hash: folded nick -> node

    @property
    def nodes(self) -> str:
        return self.prefix + "nodes"  # hash: node -> last heartbeat (ms)

    def users(self, node: str) -> str:
        return self.prefix + "users:" + node  # hash: folded nick -> identity JSON

    @property
    def rooms(self) -> str:
        return self.prefix + "rooms"  # hash: folded room -> room JSON

    @property
    def members_prefix(self) -> str:
        return self.prefix + "members:"

    def members(self, folded_room: str) -> str:
        return self.members_prefix + folded_room  # hash: folded nick -> "status|node"

    def history(self, target: str) -> str:
        return self.prefix + "history:" + target  # stream: a room's or a conversation's messages

    def ids(self, target: str) -> str:
        return self.prefix + "ids:" + target  # sorted set: message id -> stream time (ms), for idempotency

    def inbox(self, node: str) -> str:
        return self.prefix + "inbox:" + node  # stream: direct messages for one node, read back after a gap

    def read_markers(self, person: str) -> str:
        return self.prefix + "read:" + person  # hash: target -> seconds read up to

    def peers(self, person: str) -> str:
        return self.prefix + "peers:" + person  # sorted set: conversation partners (persons) by last time

    @property
    def server_bans(self) -> str:
        return self.prefix + "server-bans"  # hash: folded mask -> ban JSON (KLINE)

    def account(self, folded: str) -> str:
        return self.prefix + "account:" + folded  # string: an account's JSON record

    @property
    def account_nicks(self) -> str:
        return self.prefix + "account-nicks"  # hash: folded nick -> folded account

    @property
    def account_certs(self) -> str:
        return self.prefix + "account-certs"  # hash: certificate fingerprint -> folded account

    def account_tokens(self, folded: str) -> str:
        return self.prefix + "tokens:" + folded  # hash: session token id -> {"c": created, "e": expires}
