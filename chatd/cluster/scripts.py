"""Lua scripts that make each cluster step atomic in Redis.

A room message is appended to the room's capped stream and published in one
step, so the stream order and the order every node receives are the same:
one order per room, decided by Redis.
"""

ROOM_MESSAGE = """
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'm', ARGV[1])
redis.call('PUBLISH', KEYS[2], id .. ' ' .. ARGV[1])
return id
"""

# KEYS: stream, peers-of-a, peers-of-b, channel...; ARGV: payload, maxlen, a, b, score
DIRECT_MESSAGE = """
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'm', ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[4])
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[3])
for i = 4, #KEYS do
  redis.call('PUBLISH', KEYS[i], id .. ' ' .. ARGV[1])
end
return id
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

# KEYS: nicks hash, rooms hash, nodes hash, users-of-node hash; ARGV: node, members key prefix.
# Forget everything a node held: its nick claims, its memberships, its users.
REAP_NODE = """
local node = ARGV[1]
local nicks = redis.call('HGETALL', KEYS[1])
for i = 1, #nicks, 2 do
  if nicks[i + 1] == node then redis.call('HDEL', KEYS[1], nicks[i]) end
end
local rooms = redis.call('HKEYS', KEYS[2])
for _, room in ipairs(rooms) do
  local key = ARGV[2] .. room
  local members = redis.call('HGETALL', key)
  for i = 1, #members, 2 do
    local bar = string.find(members[i + 1], '|', 1, true)
    if bar and string.sub(members[i + 1], bar + 1) == node then redis.call('HDEL', key, members[i]) end
  end
end
redis.call('HDEL', KEYS[3], node)
redis.call('DEL', KEYS[4])
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
