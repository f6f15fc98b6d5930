"""Cluster mode: several chatd nodes as one network through Redis."""
