"""The store pipeline: records into SQLite, in batches, with the run's bookkeeping.

Items are buffered and written every ``SWAMPCRAWL_STORE_BATCH`` rows in one
transaction (FIELD_NOTES: a transaction per row costs 2 to 7 times more).
Every archived response becomes a ``captures`` row; the run itself a
``crawl_runs`` row holding Scrapy's stats.
"""

from __future__ import annotations

from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from swampcrawl.lock import CrawlLock
from swampcrawl.records import Community, Creator, Story
from swampcrawl.store import Store
from swampcrawl.urls import UrlRules

from pipelines.rows import capture_row, community_row, creator_row, minimal_rows, story_row


class StorePipeline:
    def __init__(self, crawler: Any) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.db_path = settings.get("SWAMPCRAWL_DB")
        if not self.db_path:
            raise NotConfigured("SWAMPCRAWL_DB is empty")
        self.batch = settings.getint("SWAMPCRAWL_STORE_BATCH")
        self.lock = None if settings.getbool("SWAMPCRAWL_LOCK_HELD") else CrawlLock(self.db_path)
        self.rules = UrlRules(str(settings.get("SWAMPCRAWL_BASE_URL")).rstrip("/"))
        self.store: Store | None = None
        self.run_id: int | None = None
        self.pending: dict[str, list[dict[str, Any]]] = {}
        crawler.signals.connect(self.response_downloaded, signal=signals.response_downloaded)

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePipeline:
        return cls(crawler)

    def open_spider(self, spider: Any = None) -> None:
        if self.lock is not None:
            self.lock.acquire()
        self.store = Store(self.db_path)
        self.run_id = self.store.start_run(self.crawler.spider.name, self._run_settings())

    def close_spider(self, spider: Any = None) -> None:
        if self.store is None:
            return
        try:
            self.flush()
            stats = self.crawler.stats.get_stats()
            status = "finished" if stats.get("finish_reason", "finished") == "finished" else str(stats["finish_reason"])
            self.store.finish_run(self.run_id, status, stats)
        finally:
            self.store.close()
            if self.lock is not None:
                self.lock.release()

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Story):
            self._add("stories", story_row(item))
            for table, row in minimal_rows(item, self.rules):
                self._add(table, row)
        elif isinstance(item, Creator):
            self._add("creators", creator_row(item))
        elif isinstance(item, Community):
            self._add("communities", community_row(item))
        return item

    def response_downloaded(self, response: Any, request: Any, spider: Any = None) -> None:
        # The capture extension connected first, so the WARC location is in meta.
        row = capture_row(response, request, self.rules, self.run_id)
        self._add("captures", row)
        if response.status == 404 and row["kind"] == "story":
            self._add("removed", row)

    # --- batching ---

    def _add(self, table: str, row: dict[str, Any]) -> None:
        rows = self.pending.setdefault(table, [])
        rows.append(row)
        if len(rows) >= self.batch:
            self.flush()

    def flush(self) -> None:
        """Write every buffered row; each table's batch is one transaction."""
        pending, self.pending = self.pending, {}
        writers = {
            "communities_minimal": self.store.ensure_communities,
            "creators_minimal": self.store.ensure_creators,
            "communities": self.store.upsert_communities,
            "creators": self.store.upsert_creators,
            "stories": self.store.upsert_stories,
            "captures": self.store.add_captures,
            "removed": self._mark_removed,
        }
        for table, write in writers.items():
            if pending.get(table):
                write(pending[table])
                self.crawler.stats.inc_value(f"swampcrawl/store/{table}", len(pending[table]))

    def _mark_removed(self, rows: list[dict[str, Any]]) -> None:
        # A 404 is only a removal if the story was not seen after it: the
        # store compares with the capture time, so the latest one serves all.
        latest = max(row["captured_at"] for row in rows)
        self.store.mark_removed([row["url"] for row in rows], latest)

    def _run_settings(self) -> dict[str, Any]:
        names = ("SWAMPCRAWL_BASE_URL", "SWAMPCRAWL_DB", "SWAMPCRAWL_WARC_DIR", "USER_AGENT", "ROBOTSTXT_OBEY", "DOWNLOAD_DELAY")
        return {name: self.crawler.settings.get(name) for name in names}
