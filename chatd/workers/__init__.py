"""``--workers N``: several chatd processes on one box, one network through Redis.

The process ``twistd chatd --workers N`` starts becomes a supervisor (:mod:`.supervisor`): it
serves no clients itself; it runs N workers, each a whole chatd (a cluster node with its own
node name and state folder) that binds the same listeners with ``SO_REUSEPORT`` (:mod:`.ports`),
so the kernel spreads connections over them.  A worker knows it is one from its environment
(:mod:`.role`).
"""
