"""Helpers shared by the tests, one module per concern:

- :mod:`.parts`: the checkout, CI mode, and parts that may be missing (``require``);
- :mod:`.waiting`: waiting for an event without fixed sleeps;
- :mod:`.processes`: chatd as a real ``twistd`` process;
- :mod:`.sockets`: real clients over real sockets (raw lines, the ``irc`` library);
- :mod:`.memory`: adapters on in-memory transports (unit tier);
- :mod:`.tls`: certificates;
- :mod:`.redis`: a real redis-server.
"""
