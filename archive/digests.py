"""Persistent payload-digest index of a WARC folder, the memory behind revisit records.

One SQLite file in the WARC folder maps each archived payload digest to the first response
that carried it, so a later run into the same folder writes revisits for unchanged pages.
Entries are added after their record is flushed and committed in batches: a crash loses at
most some dedupe opportunities, never points a revisit at a record that was not written.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

INDEX_NAME = ".swampcrawl-digests.sqlite"

SCHEMA = """
CREATE TABLE IF NOT EXISTS payloads (
    digest     TEXT PRIMARY KEY,
    uri        TEXT NOT NULL,
    warc_date  TEXT NOT NULL,
    record_id  TEXT NOT NULL,
    filename   TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class OriginalCapture:
    """Where a payload was first archived: what a revisit record refers to."""

    uri: str
    warc_date: str
    record_id: str
    filename: str


class DigestIndex:
    """Payload digest -> first capture, in ``<warc dir>/.swampcrawl-digests.sqlite``."""

    def __init__(self, directory: Path | str, batch_size: int = 200, max_delay: float = 5.0) -> None:
        self.path = Path(directory) / INDEX_NAME
        self.batch_size = batch_size
        self.max_delay = max_delay
        # isolation_level=None: we open transactions ourselves, to batch many inserts in one.
        self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self._set_up()
        self._pending: dict[str, OriginalCapture] = {}
        self._last_commit = time.monotonic()

    def _set_up(self, seconds: float = 30.0) -> None:
        """WAL mode and the table. Writers of several processes (a fleet's workers sharing the
        folder) may open a new index at the same moment: switching the journal mode then fails
        at once with "database is locked" (SQLite's busy timeout does not wait for it), so it
        is tried again until one of them has done it."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.execute(SCHEMA)
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def lookup(self, digest: str) -> OriginalCapture | None:
        if digest in self._pending:
            return self._pending[digest]
        row = self._db.execute(
            "SELECT uri, warc_date, record_id, filename FROM payloads WHERE digest = ?", (digest,)
        ).fetchone()
        return OriginalCapture(*row) if row else None

    def add(self, digest: str, original: OriginalCapture) -> None:
        """Remember a payload; written to disk with the next batch."""
        self._pending.setdefault(digest, original)
        if len(self._pending) >= self.batch_size or time.monotonic() - self._last_commit > self.max_delay:
            self.commit()

    def forget_files(self, filenames: set[str]) -> None:
        """Drop entries whose WARC file is gone, so no revisit points at a missing original."""
        self.commit()
        with self._transaction():
            self._db.executemany("DELETE FROM payloads WHERE filename = ?", [(name,) for name in filenames])

    def known_files(self) -> set[str]:
        self.commit()
        return {row[0] for row in self._db.execute("SELECT DISTINCT filename FROM payloads")}

    def commit(self) -> None:
        self._last_commit = time.monotonic()
        if not self._pending:
            return
        rows = [(digest, o.uri, o.warc_date, o.record_id, o.filename) for digest, o in self._pending.items()]
        with self._transaction():
            # OR IGNORE: another writer on the same folder may have archived it first; keep theirs.
            self._db.executemany("INSERT OR IGNORE INTO payloads VALUES (?, ?, ?, ?, ?)", rows)
        self._pending.clear()

    def close(self) -> None:
        self.commit()
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
