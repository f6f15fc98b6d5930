"""History stores behind :class:`chatd.core.HistoryStore`: SQLite (embedded default)."""
