"""Lua scripts that make each cluster step atomic in Redis.

A room message is appended to the room's capped stream and published in one
step, so the stream order and the order every node receives are the same:
one order per room, decided by Redis.  Message ids are the nodes' own; each
stream has an index of the ids it holds, which makes publishing idempotent
and lets history find a message by id.

Each script touches the keys of one hash tag only (one slot of a Redis
Cluster, :mod:`.keys`): a direct message is stored in its conversation, then
put in each receiving node's inbox, two steps that are each idempotent or
deduplicated by id.
"""

# Keep a stream's id index about as long as the stream (trimmed with '~'): drop ids older than its
# first entry once the index has outgrown the cap by a tenth.
_TRIM_INDEX = """
local function trim_index(stream, index, cap)
  if redis.call('ZCARD', index) > tonumber(cap) * 1.1 + 100 then
    local first = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)
    if first[1] then
      redis.call('ZREMRANGEBYSCORE', index, '-inf', '(' .. string.match(first[1][1], '^(%d+)'))
    end
  end
end
"""

# KEYS: stream, id index and, for a room, its channel; ARGV: payload, maxlen, message id.
# A room's or a direct conversation's message, stored (and a room's published) in one step.
# Idempotent: an id the index holds is neither stored nor published again (returns 0).
STORE_MESSAGE = _TRIM_INDEX + """
if redis.call('ZSCORE', KEYS[2], ARGV[3]) then return 0 end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'm', ARGV[1])
redis.call('ZADD', KEYS[2], string.match(id, '^(%d+)'), ARGV[3])
if KEYS[3] then redis.call('PUBLISH', KEYS[3], id .. ' ' .. ARGV[1]) end
trim_index(KEYS[1], KEYS[2], ARGV[2])
return 1
"""

# KEYS: a node's inbox stream, its channel; ARGV: payload, inbox maxlen. A direct message for
# one node's users, after it is stored in its conversation (a node skips an id it delivered).
NODE_MESSAGE = """
local box = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'm', ARGV[1])
redis.call('PUBLISH', KEYS[2], box .. ' ' .. ARGV[1])
return 1
"""

# KEYS: nicks hash; ARGV: folded nick, node. 1 if the nick is (now) this node's.
CLAIM_NICK = """
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then return 1 end
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return 1 end
return 0
"""

# KEYS: nicks hash; ARGV: folded nick, node. Deletes the claim only if it is ours.
RELEASE_NICK = """
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  return redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0
"""

# KEYS: nicks hash, rooms hash, nodes hash, users-of-node hash; ARGV: node.
# Forget a node's nick claims, its users and itself; returns every room, whose member hashes
# (each in its room's slot) REAP_MEMBERS then clears of the node's people.
REAP_NODE = """
local node = ARGV[1]
local nicks = redis.call('HGETALL', KEYS[1])
for i = 1, #nicks, 2 do
  if nicks[i + 1] == node then redis.call('HDEL', KEYS[1], nicks[i]) end
end
redis.call('HDEL', KEYS[3], node)
redis.call('DEL', KEYS[4])
return redis.call('HKEYS', KEYS[2])
"""

# KEYS: a room's member hash; ARGV: node. Removes the node's members.
REAP_MEMBERS = """
local members = redis.call('HGETALL', KEYS[1])
for i = 1, #members, 2 do
  local bar = string.find(members[i + 1], '|', 1, true)
  if bar and string.sub(members[i + 1], bar + 1) == ARGV[1] then redis.call('HDEL', KEYS[1], members[i]) end
end
return 1
"""

# KEYS: the person's read-marker hash; ARGV: target, seconds. Markers only move forward.
MARK_READ = """
local old = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local new = tonumber(ARGV[2])
if new > old then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return ARGV[2]
end
return tostring(old)
"""
