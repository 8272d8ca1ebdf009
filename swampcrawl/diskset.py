"""A set kept in a private temporary SQLite file: bounded memory whatever its size.

A crawl's seen URLs and request fingerprints grow with what it fetches; a backfill of a
million URLs would hold them all in RAM as Python sets. Here they live on disk (SQLite's page
cache, a few MB, stays in memory), and the file is deleted when the set is closed.
"""

from __future__ import annotations

import sqlite3


class DiskSet:
    """Strings or bytes; ``add`` says whether the key was new."""

    def __init__(self) -> None:
        # "": a temporary file that SQLite deletes on close; usable from the reactor's thread.
        self.db = sqlite3.connect("", check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode = OFF")
        self.db.execute("PRAGMA synchronous = OFF")
        self.db.execute("CREATE TABLE keys (key PRIMARY KEY) WITHOUT ROWID")
        self.size = 0

    def add(self, key: str | bytes) -> bool:
        added = self.db.execute("INSERT OR IGNORE INTO keys VALUES (?)", [key]).rowcount == 1
        self.size += added
        return added

    def __contains__(self, key: object) -> bool:
        return self.db.execute("SELECT 1 FROM keys WHERE key = ?", [key]).fetchone() is not None

    def __len__(self) -> int:
        return self.size

    def close(self) -> None:
        self.db.close()
