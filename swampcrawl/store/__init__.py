"""The SQLite store: schema, migrations and batched writes, without Scrapy.

The crawl's pipelines and ``swampcrawl reparse`` both write through ``Store``; the
schema is public (docs/schema.md). Every write method is one transaction, whatever the
number of rows: per-row commits cost several times more.

Example::

    with Store("data/swamp.db") as store:
        run_id = store.start_run("stories")
        store.upsert_stories([{"url": ..., "id": ..., "captured_at": ..., "tags": [...]}])
        store.finish_run(run_id, "finished", crawler.stats.get_stats())
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from itertools import groupby
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlite_utils import Database

from swampcrawl.store import creators, runs, stories
from swampcrawl.store.errors import StoreError
from swampcrawl.store.schema import TABLES, applied_version, migrate

__all__ = ["Store", "StoreError"]


class Store:
    """A swampcrawl database, opened (and created or migrated) at ``path``."""

    def __init__(self, path: str | Path, timeout: float = 5.0) -> None:
        self.path = str(path)
        self.db = _open(self.path, timeout)
        # What the writes did to stories since the store was opened: new, changed, unchanged,
        # renamed, removed (a crawl's counts).
        self.outcomes: Counter = Counter()

    # -- lifecycle -----------------------------------------------------------------

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return applied_version(self.db)

    # -- batched writes: each call is one transaction ----------------------------------

    def upsert_stories(self, rows: list[Any]) -> int:
        return stories.upsert_stories(self.db, rows, self.outcomes)

    def mark_seen(self, rows: list[dict[str, Any]]) -> int:
        """Pages that answered 304 Not Modified (``url``, ``table``, ``captured_at``): seen again."""
        seen = 0
        for (table, at), group in groupby(rows, key=lambda row: (row["table"], row["captured_at"])):
            count = stories.mark_seen(self.db, table, [row["url"] for row in group], at)
            if table == "stories":
                self.outcomes["unchanged"] += count
            seen += count
        return seen

    def upsert_creators(self, rows: list[Any]) -> int:
        return creators.upsert_creators(self.db, rows)

    def upsert_communities(self, rows: list[Any]) -> int:
        return creators.upsert_communities(self.db, rows)

    def ensure_creators(self, rows: list[Any]) -> int:
        """Rows for creators named by stories (slug, name, url); stored values win."""
        return creators.ensure_profiles(self.db, "creators", rows)

    def ensure_communities(self, rows: list[Any]) -> int:
        """Rows for communities named by stories (slug, name, url); stored values win."""
        return creators.ensure_profiles(self.db, "communities", rows)

    def add_captures(self, rows: list[Any]) -> int:
        """Record archived responses in one transaction; returns how many were added. A record
        already recorded (same WARC file, offset and record id: the same files reparsed again)
        keeps its row (migration 6's unique index)."""
        prepared = [runs.prepare_capture(row) for row in rows]
        if not prepared:
            return 0
        before = self.db.conn.total_changes
        with self.db.atomic():
            self.db["captures"].insert_all(prepared, ignore=True)
        return self.db.conn.total_changes - before

    def add_errors(self, rows: list[Any]) -> int:
        """URLs that could not be fetched (url, kind, reason, attempts, last_status, at, run_id)."""
        return runs.add_errors(self.db, rows)

    def mark_removed(self, urls: list[str], at: Any) -> int:
        removed = stories.mark_removed(self.db, urls, at)
        self.outcomes["removed"] += removed
        return removed

    # -- runs ----------------------------------------------------------------------

    def start_run(self, spider: str, settings: dict[str, Any] | None = None) -> int:
        return runs.start_run(self.db, spider, settings)

    def finish_run(self, run_id: int, status: str, stats: dict[str, Any] | None) -> None:
        runs.finish_run(self.db, run_id, status, stats)

    def mark_dead_runs(self) -> list[int]:
        """Runs a dead process left ``running``, now ``killed`` (call holding the crawl lock)."""
        return runs.mark_dead_runs(self.db)

    def run(self, run_id: int) -> dict[str, Any] | None:
        return runs.get_run(self.db, run_id)

    # -- reading, for researchers and tests -----------------------------------------------

    def counts(self) -> dict[str, int]:
        return {t: self.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}

    def story(self, url: str) -> dict[str, Any] | None:
        """A story row with ``tags`` (in page order) and ``versions`` (oldest first)."""
        row = next(self.db.query("SELECT * FROM stories WHERE url = ?", [url]), None)
        if row is None:
            return None
        row["tags"] = list(
            self.db.query(
                "SELECT t.slug, t.name FROM story_tags st JOIN tags t ON t.slug = st.tag_slug "
                "WHERE st.story_url = ? ORDER BY st.position",
                [url],
            )
        )
        row["versions"] = list(
            self.db.query(
                "SELECT * FROM story_versions WHERE story_url = ? ORDER BY captured_at", [url]
            )
        )
        return row

    def live_story_urls(self) -> list[str]:
        """URLs of the stories not known to be removed: what a new crawl re-checks."""
        return [row[0] for row in self.db.execute("SELECT url FROM stories WHERE removed_at IS NULL ORDER BY url")]

    def search(self, query: str, limit: int = 20) -> list[dict[str, Any]]:
        """Stories whose title, subtitle or text match an FTS5 query, best first."""
        return list(
            self.db.query(
                "SELECT s.url, s.title, s.author, s.community FROM stories_fts "
                "JOIN stories s ON s.rowid = stories_fts.rowid "
                "WHERE stories_fts MATCH ? ORDER BY stories_fts.rank LIMIT ?",
                [query, limit],
            )
        )

    def rebuild_fts(self) -> None:
        """Rebuild the full-text index from ``stories``.

        The index refers to rows by rowid, which VACUUM may renumber in a table keyed by
        text: run this after a VACUUM.
        """
        with self.db.atomic():
            self.db.execute("INSERT INTO stories_fts (stories_fts) VALUES ('rebuild')")


def _open(path: str, timeout: float) -> Database:
    """Connect, set WAL, migrate; any failure becomes one readable StoreError."""
    conn: sqlite3.Connection | None = None
    try:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=timeout)
        db = Database(conn)
        # WAL: researchers can read while a crawl writes; NORMAL is safe with WAL and
        # skips an fsync per commit.
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        migrate(db, path)
        return db
    except (OSError, sqlite3.Error) as error:
        if conn is not None:
            conn.close()
        raise StoreError(f"cannot open the database {path}: {_reason(error)}") from error
    except StoreError:
        if conn is not None:
            conn.close()
        raise


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return f"{error.strerror} ({error.filename})" if error.filename else error.strerror
    return str(error)
