"""The store pipeline: records into SQLite, in batches, with the run's bookkeeping.

Rows are buffered and written every ``SWAMPCRAWL_STORE_BATCH`` rows in one transaction (a
transaction per row costs 2 to 7 times more). Every archived response, announced by the
capture extension's ``response_archived`` signal, becomes a ``captures`` row; the run itself
a ``crawl_runs`` row, finished in the ``spider_closed`` handler, which knows how the crawl
ended: its status is the finish reason (``finished``, ``shutdown``, ``closespider_*``), or
``failed`` when rows could not be written. Which rows, and the drops and stats that come with
them, are the business of ``pipelines.rows``, shared with the fleet's pipeline.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.exceptions import NotConfigured

from pipelines.rows import RUN_SETTINGS, STATUS_STAT, RowsPipeline
from swampcrawl.config import parse_size
from swampcrawl.lock import CrawlLock
from swampcrawl.store import Store
from swampcrawl.store.ingest import RowBuffer, Rows
from swampcrawl.urls import UrlRules

__all__ = ["RUN_SETTINGS", "STATUS_STAT", "StorePipeline"]

logger = logging.getLogger(__name__)


class StorePipeline(RowsPipeline):
    def __init__(self, crawler: Any, db_path: str, batch: int, rules: UrlRules) -> None:
        super().__init__(crawler, rules)
        self.db_path = db_path
        self.destination = db_path
        self.batch = batch
        self.lock = None if crawler.settings.getbool("SWAMPCRAWL_LOCK_HELD") else CrawlLock(db_path)
        self.store: Store | None = None
        self.buffer: RowBuffer | None = None

    @classmethod
    def configured(cls, crawler: Any) -> StorePipeline:
        settings = crawler.settings
        db_path = settings.get("SWAMPCRAWL_DB")
        if not db_path:
            raise NotConfigured("SWAMPCRAWL_DB is empty")
        batch = parse_size("SWAMPCRAWL_STORE_BATCH", settings.get("SWAMPCRAWL_STORE_BATCH", 200), minimum=1)
        return cls(crawler, db_path, batch, cls.url_rules(settings))

    @property
    def receiving(self) -> bool:
        return self.buffer is not None

    def open_spider(self, spider: Any = None) -> None:
        if self.lock is not None:
            self.lock.acquire()
        self.store = Store(self.db_path)
        self.buffer = RowBuffer(self.store, self.batch, on_written=self._count)
        # Holding the lock, no other crawl writes this database: a run still "running" died.
        killed = self.store.mark_dead_runs()
        if killed:
            logger.warning("crawl runs %s never finished (their process died): marked killed", killed)
        settings = {name: self.crawler.settings.get(name) for name in RUN_SETTINGS}
        self.run_id = self.store.start_run(self.crawler.spider.name, settings)

    def close_spider(self, spider: Any = None) -> None:
        if self.buffer is not None:
            self._write(self.buffer.flush)

    def spider_closed(self, spider: Any, reason: str) -> None:
        """Finish the run with how the crawl ended (Scrapy's finish reason is known here)."""
        if self.store is None:
            return
        try:
            status, stats = self.run_outcome(reason)
            self.store.finish_run(self.run_id, status, stats)
        finally:
            self.store.close()
            self.store = None
            if self.lock is not None:
                self.lock.release()

    def _add(self, rows: Rows) -> None:
        """A write that fails stops the crawl: its rows stay buffered, the run is marked failed."""
        self._write(lambda: self.buffer.add(rows))

    def _count(self, table: str, rows: int) -> None:
        stats = self.crawler.stats
        stats.inc_value(f"swampcrawl/store/{table}", rows)
        for outcome, count in self.store.outcomes.items():  # new, changed, unchanged, renamed, removed
            stats.set_value(f"swampcrawl/stories/{outcome}", count)
