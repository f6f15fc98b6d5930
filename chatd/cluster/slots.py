"""Redis Cluster's key slots: CRC16 (XMODEM) of a key's hash tag, modulo 16384.

The cluster spec (redis.io, "Redis cluster specification", key distribution
model) defines it: if the key has a ``{`` followed later by a ``}`` with at
least one character between them, only what lies between the first ``{`` and
the first ``}`` after it is hashed.  chatd names every key so that what must
move together (one room's stream, index, members and channel) shares a tag
(:mod:`.keys`).  A table-driven CRC16 is a few lines; no library of the
project's other dependencies offers it.
"""

from __future__ import annotations

SLOTS = 16384


def _table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
        table.append(crc & 0xFFFF)
    return table


_TABLE = _table()


def crc16(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ _TABLE[((crc >> 8) ^ byte) & 0xFF]
    return crc


def hash_tag(key: str) -> str:
    """What Redis hashes of ``key``: its tag if it has a non-empty one, else the whole key."""
    start = key.find("{")
    if start >= 0:
        end = key.find("}", start + 1)
        if end > start + 1:
            return key[start + 1:end]
    return key


def key_slot(key: str) -> int:
    return crc16(hash_tag(key).encode()) % SLOTS
