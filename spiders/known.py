"""What earlier crawls stored, read (read-only) by the spiders of an incremental crawl.

Known stories are not fetched again unless due (``swampcrawl.recheck``); a known page that is
asked for goes with the validators of its last capture (``If-None-Match``,
``If-Modified-Since``), so an unchanged page costs a 304 and no body.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path


class KnownPages:
    """The database of earlier runs, opened read-only (absent on a first crawl)."""

    def __init__(self, db_path: str | None) -> None:
        self.db: sqlite3.Connection | None = None
        if db_path and Path(db_path).is_file():
            # Read-only, and usable from the reactor's thread (`scrapy shell` runs it apart).
            self.db = sqlite3.connect(f"file:{Path(db_path).resolve()}?mode=ro", uri=True, check_same_thread=False)
            if not self._has_table("captures"):
                self.close()

    def _has_table(self, name: str) -> bool:
        return bool(self.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [name]).fetchone())

    def story(self, url: str) -> tuple[str | None, str | None] | None:
        """(published_at, last_seen_at) of a stored story not known to be removed, else None.
        Looked up in the database (its primary key), so a site of a million stories costs the
        crawl no memory for them."""
        if self.db is None:
            return None
        return self.db.execute("SELECT published_at, last_seen_at FROM stories WHERE url = ? AND removed_at IS NULL",
                               [url]).fetchone()

    def live_stories(self, prefix: str) -> Iterator[tuple[str, str | None, str | None]]:
        """(url, published_at, last_seen_at) of every stored, live story under ``prefix``, streamed."""
        if self.db is None:
            return iter(())
        return self.db.execute("SELECT url, published_at, last_seen_at FROM stories "
                               "WHERE removed_at IS NULL AND substr(url, 1, ?) = ? ORDER BY url",
                               [len(prefix), prefix])

    def profiles(self, table: str, prefix: str) -> Iterator[tuple[str, None, str | None]]:
        """(url, None, last_seen_at) of every creator or community read from its own page."""
        if self.db is None:
            return iter(())
        return self.db.execute(f"SELECT url, NULL, last_seen_at FROM {table} "
                               "WHERE last_seen_at IS NOT NULL AND substr(url, 1, ?) = ? ORDER BY url",
                               [len(prefix), prefix])

    def due_snapshot(self, rows: Iterable[tuple[str, str | None, str | None]],
                     is_due: Callable[[str | None, str | None], bool], in_scope: Callable[[str], bool]) -> DueStories:
        """The stored pages (``rows`` of url, published_at, last_seen_at) due for a recheck, as
        the run starts (a story renamed during the run is still asked for at its old URL: its
        301 is archived), kept on disk."""
        due = DueStories()
        for url, published_at, last_seen_at in rows:
            if in_scope(url) and is_due(published_at, last_seen_at):
                due.add(url)
        return due

    def declared_story_count(self) -> int | None:
        """How many stories the site says it has: the sum of its communities' story counts, as
        last read (None before the communities were crawled)."""
        if self.db is None:
            return None
        total = self.db.execute("SELECT sum(story_count) FROM communities").fetchone()[0]
        return int(total) if total else None

    def stored_story_count(self) -> int:
        return 0 if self.db is None else self.db.execute("SELECT count(*) FROM stories").fetchone()[0]

    def has_stories(self) -> bool:
        return self.db is not None and self.db.execute("SELECT 1 FROM stories LIMIT 1").fetchone() is not None

    def last_run_completed(self, spider: str) -> bool:
        """Whether the last run of ``spider`` on this database went through to its end (then its
        listings were read to their end, and a listing can stop at known stories; after a
        killed or stopped run, listings are read on past them to resume the backfill)."""
        if self.db is None or not self._has_table("crawl_runs"):
            return False
        found = self.db.execute("SELECT status FROM crawl_runs WHERE spider = ? ORDER BY id DESC LIMIT 1",
                                [spider]).fetchone()
        return bool(found) and found[0] == "finished"

    def validators(self, url: str, table: str) -> dict[str, str]:
        """Conditional request headers from the capture the stored row of ``table`` was read from
        (not a later capture of the same page by another spider, whose content the row lacks).
        None for a page never read for its row (a creator named only by a byline)."""
        if self.db is None:
            return {}
        # The page's last 200 capture up to the moment the row was read (a creator's row is read
        # from every page of its profile, the last one last).
        found = self.db.execute(
            f"SELECT c.etag, c.last_modified FROM {table} AS t JOIN captures AS c "
            "ON c.url = t.url AND c.status = 200 AND c.captured_at <= t.captured_at "
            "WHERE t.url = ? AND t.last_seen_at IS NOT NULL ORDER BY c.captured_at DESC, c.id DESC LIMIT 1",
            [url]).fetchone()
        if found is None:
            return {}
        headers = {}
        if found[0]:
            headers["If-None-Match"] = found[0]
        if found[1]:
            headers["If-Modified-Since"] = found[1]
        return headers

    def archived(self, url: str, page_kinds: frozenset[str], warc_files: frozenset[str]) -> bool:
        """Whether ``url`` was archived (status 200) as one of ``page_kinds`` in one of
        ``warc_files``: looked up in the database, not held in memory."""
        if self.db is None or not warc_files:
            return False
        marks = ", ".join("?" for _ in page_kinds)
        rows = self.db.execute(f"SELECT warc_filename FROM captures WHERE url = ? AND status = 200 "
                               f"AND page_kind IN ({marks})", [url, *sorted(page_kinds)])
        return any(filename in warc_files for (filename,) in rows)

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None


class DueStories:
    """A list of story URLs in a private temporary SQLite file: bounded memory at any size."""

    def __init__(self) -> None:
        self.db = sqlite3.connect("", check_same_thread=False)  # "": a temporary file, deleted on close
        self.db.execute("CREATE TABLE due (url TEXT PRIMARY KEY)")
        self.count = 0

    def add(self, url: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO due VALUES (?)", [url])
        self.count += 1

    def __iter__(self) -> Iterator[str]:
        return (url for (url,) in self.db.execute("SELECT url FROM due ORDER BY url"))

    def close(self) -> None:
        self.db.close()
