"""Always-on people of a cluster, kept in Redis so that they outlive the node holding them.

One hash (``{net}:always-on``): folded nick -> the person's entry
(:func:`chatd.core.staying.entry`) with the node holding them.  Each node
writes its own (:meth:`RedisAlwaysOn.save`, a whole snapshot: entries of its
that are no longer kept go).  :meth:`RedisAlwaysOn.load` is what a node
brings back when it is in sync: its own entries (after a restart under the
same ``--node-name``), and those of nodes that are gone (not in the nodes
hash, or silent past ``--node-timeout``), which one script hands to the first
node that asks: a lost node's people come back on exactly one other node.
"""

from __future__ import annotations

import json
import time
from typing import Any

from twisted.internet import defer

from ..core import casefold
from .keys import Keys
from .link import Link

# KEYS: always-on hash; ARGV: node, entries as a JSON object (folded nick -> entry). This node's
# entries become exactly those given.
SAVE = """
local mine = cjson.decode(ARGV[2])
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local ok, held = pcall(cjson.decode, all[i + 1])
  if (not ok or held['node'] == ARGV[1]) and mine[all[i]] == nil then redis.call('HDEL', KEYS[1], all[i]) end
end
for nick, entry in pairs(mine) do
  entry['node'] = ARGV[1]
  redis.call('HSET', KEYS[1], nick, cjson.encode(entry))
end
return 1
"""

# KEYS: always-on hash, nodes hash; ARGV: node, now (ms), node timeout (ms), a node known gone ('').
# This node's entries, and those of gone nodes, which become this node's.
LOAD = """
local out = {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local held = cjson.decode(all[i + 1])
  local beat = redis.call('HGET', KEYS[2], held['node'])
  if held['node'] == ARGV[1] then
    table.insert(out, all[i + 1])
  elseif held['node'] == ARGV[4] or not beat or tonumber(ARGV[2]) - tonumber(beat) > tonumber(ARGV[3]) then
    held['node'] = ARGV[1]
    local raw = cjson.encode(held)
    redis.call('HSET', KEYS[1], all[i], raw)
    table.insert(out, raw)
  end
end
return out
"""


class RedisAlwaysOn:
    """The :class:`chatd.alwayson.Store` of a cluster."""

    def __init__(self, link: Link, keys: Keys, node: str, node_timeout: float) -> None:
        self.link = link
        self.keys = keys
        self.node = node
        self.node_timeout = node_timeout

    def load(self, gone: str = "") -> defer.Deferred[list[dict[str, Any]]]:
        d = self.link.script(LOAD, [self.keys.always_on, self.keys.nodes],
                             [self.node, int(time.time() * 1000), int(self.node_timeout * 1000), gone])
        return d.addCallback(lambda raw: [_entry(item) for item in raw or []])

    def save(self, entries: list[dict[str, Any]]) -> defer.Deferred[None]:
        mine = {casefold(str(entry["nick"])): entry for entry in entries}
        d = self.link.script(SAVE, [self.keys.always_on], [self.node, json.dumps(mine)])
        return d.addCallback(lambda _: None)


def _entry(raw: str) -> dict[str, Any]:
    entry = json.loads(raw)
    rooms = entry.get("rooms")
    entry["rooms"] = rooms if isinstance(rooms, list) else []  # Lua's cjson writes an empty list as {}
    return entry
