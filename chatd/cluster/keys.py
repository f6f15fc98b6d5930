"""Redis key and channel names, all under one prefix per network.

Every name carries a hash tag (``{...}``) saying what it belongs to, so that
on a Redis Cluster what one step touches sits in one slot (:mod:`.slots`):

- ``{r:ROOM}``: everything of one room (its stream, id index, members and
  message channel), so the room's message script is one slot and a room's
  traffic reaches its own shard only;
- ``{d:PERSON1 PERSON2}``: one direct conversation (stream and id index);
- ``{n:NODE}``: one node's direct-message inbox and channel;
- ``{p:PERSON}``: one person's read markers, conversation partners, push
  subscriptions and session tokens;
- ``{net}``: the presence state every node reads when it (re)joins (nicks,
  nodes, users, rooms, server bans) and the events channel: small, written on
  connects, joins and nick changes, never per message;
- ``{accounts}`` and ``{api}``: the account records with their nick and
  certificate indexes, and the API keys with theirs (each change is one
  script over the record and its index, so they share a slot).

The same names serve a single Redis: one layout, so that moving to a cluster
is a copy (``python -m chatd.migrate``); the flat names earlier releases
used (``chatd:NET:history:ROOM``, ...) are mapped by :func:`renamed`.  docs/cluster.md lists them;
keep the two in step.
"""

from __future__ import annotations

from typing import Optional

import attrs

ROOM, CONVERSATION, NODE, PERSON = "r:", "d:", "n:", "p:"


@attrs.frozen
class Keys:
    prefix: str  # "chatd:<network>:"

    def _tagged(self, tag: str, what: str) -> str:
        return f"{self.prefix}{{{tag}}}:{what}"

    # -- the network's presence state, one slot ------------------------------------------

    @property
    def events(self) -> str:
        return self._tagged("net", "events")  # channel: presence and room state, every node

    @property
    def nicks(self) -> str:
        return self._tagged("net", "nicks")  # hash: folded nick -> node

    @property
    def nodes(self) -> str:
        return self._tagged("net", "nodes")  # hash: node -> last heartbeat (ms)

    def users(self, node: str) -> str:
        return self._tagged("net", "users:" + node)  # hash: folded nick -> identity JSON

    @property
    def rooms(self) -> str:
        return self._tagged("net", "rooms")  # hash: folded room -> room JSON

    @property
    def server_bans(self) -> str:
        return self._tagged("net", "server-bans")  # hash: folded mask -> ban JSON (KLINE)

    @property
    def always_on(self) -> str:
        return self._tagged("net", "always-on")  # hash: folded nick -> always-on entry JSON with its node

    @property
    def vapid_key(self) -> str:
        return self._tagged("net", "vapid-key")  # string: the network's Web Push key (PEM)

    # -- one room, one slot -----------------------------------------------------------------

    def room_channel(self, folded_room: str) -> str:
        return self._tagged(ROOM + folded_room, "msgs")  # channel: one room's messages

    def room_of_channel(self, channel: str) -> Optional[str]:
        """The folded room whose message channel ``channel`` is, or None."""
        head, tail = self.prefix + "{" + ROOM, "}:msgs"
        if channel.startswith(head) and channel.endswith(tail):
            return channel[len(head):-len(tail)]
        return None

    def members(self, folded_room: str) -> str:
        return self._tagged(ROOM + folded_room, "members")  # hash: folded nick -> "status|node"

    # -- streams: a room's or a conversation's ----------------------------------------------

    @staticmethod
    def _target_tag(target: str) -> str:
        """A room's tag, or a conversation's (its key is the two folded persons, space between)."""
        return (CONVERSATION if " " in target else ROOM) + target

    def history(self, target: str) -> str:
        return self._tagged(self._target_tag(target), "history")  # stream: a room's or a conversation's messages

    def ids(self, target: str) -> str:
        # sorted set: message id -> stream time (ms), for idempotency
        return self._tagged(self._target_tag(target), "ids")

    # -- one node ---------------------------------------------------------------------------

    def node_channel(self, node: str) -> str:
        return self._tagged(NODE + node, "msgs")  # channel: direct messages for one node's users

    def relay(self, node: str) -> str:
        return self._tagged(NODE + node, "relay")  # channel: connections carried to or from this node (relay.py)

    def inbox(self, node: str) -> str:
        return self._tagged(NODE + node, "inbox")  # stream: direct messages for one node, read back after a gap

    # -- one person -------------------------------------------------------------------------

    def read_markers(self, person: str) -> str:
        return self._tagged(PERSON + person, "read")  # hash: target -> seconds read up to

    def peers(self, person: str) -> str:
        return self._tagged(PERSON + person, "peers")  # sorted set: conversation partners (persons) by last time

    def push(self, folded_account: str) -> str:
        return self._tagged(PERSON + folded_account, "push")  # hash: endpoint -> subscription JSON

    def account_tokens(self, folded: str) -> str:
        return self._tagged(PERSON + folded, "tokens")  # hash: session token id -> {"c": created, "e": expires}

    # -- accounts and API keys: a record and its indexes in one slot ---------------------------

    def account(self, folded: str) -> str:
        return self._tagged("accounts", "account:" + folded)  # string: an account's JSON record

    @property
    def account_nicks(self) -> str:
        return self._tagged("accounts", "nicks")  # hash: folded nick -> folded account

    @property
    def account_certs(self) -> str:
        return self._tagged("accounts", "certs")  # hash: certificate fingerprint -> folded account

    @property
    def token_secret(self) -> str:
        return self._tagged("accounts", "token-secret")  # string: the key signing password-reset tokens

    @property
    def api(self) -> str:
        """The prefix of the API's keys (``apikeys``, ``apikey-digests``, ``hooks``, ``webhooks``)."""
        return self._tagged("api", "")


def renamed(prefix: str, old: str) -> Optional[str]:
    """The name the flat key ``old`` (earlier releases) has now, or None if it is not chatd's."""
    if not old.startswith(prefix) or "{" in old[len(prefix):len(prefix) + 1]:
        return None
    keys, rest = Keys(prefix), old[len(prefix):]
    kind, _, name = rest.partition(":")
    single = {"nicks": keys.nicks, "nodes": keys.nodes, "rooms": keys.rooms, "server-bans": keys.server_bans,
              "vapid-key": keys.vapid_key, "account-nicks": keys.account_nicks,
              "account-certs": keys.account_certs, "token-secret": keys.token_secret,
              "apikeys": keys.api + "apikeys", "apikey-digests": keys.api + "apikey-digests",
              "hooks": keys.api + "hooks", "webhooks": keys.api + "webhooks"}
    if not name:
        return single.get(kind)
    per_name = {"users": keys.users, "members": keys.members, "history": keys.history, "ids": keys.ids,
                "inbox": keys.inbox, "read": keys.read_markers, "peers": keys.peers, "push": keys.push,
                "tokens": keys.account_tokens, "account": keys.account}
    make = per_name.get(kind)
    return make(name) if make is not None else None
