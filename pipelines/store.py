"""The store pipeline: records into SQLite, in batches, with the run's bookkeeping.

Rows are buffered and written every ``SWAMPCRAWL_STORE_BATCH`` rows in one transaction (a
transaction per row costs 2 to 7 times more). Every archived response, announced by the
capture extension's ``response_archived`` signal, becomes a ``captures`` row; the run itself
a ``crawl_runs`` row, finished in the ``spider_closed`` handler, which knows how the crawl
ended: its status is the finish reason (``finished``, ``shutdown``, ``closespider_*``), or
``failed`` when rows could not be written.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import signals
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.defer import deferred_from_coro

from swampcrawl.config import parse_base_url, parse_size
from swampcrawl.lock import CrawlLock
from swampcrawl.pages.links import rules_for
from swampcrawl.records.provenance import WarcRef
from swampcrawl.signals import request_failed, response_archived
from swampcrawl.store import Store
from swampcrawl.store.ingest import Exchange, RowBuffer, header_pairs, record_rows, response_rows
from swampcrawl.store.runs import run_status
from swampcrawl.store.values import now_iso
from swampcrawl.urls import UrlRules

logger = logging.getLogger(__name__)

# Settings worth keeping with a run: what shaped the crawl.
RUN_SETTINGS = ("SWAMPCRAWL_BASE_URL", "SWAMPCRAWL_DB", "SWAMPCRAWL_WARC_DIR", "USER_AGENT", "ROBOTSTXT_OBEY", "DOWNLOAD_DELAY")
STATUS_STAT = "swampcrawl/run/status"


class StorePipeline:
    def __init__(self, crawler: Any, db_path: str, batch: int, rules: UrlRules) -> None:
        self.crawler = crawler
        self.db_path = db_path
        self.batch = batch
        self.rules = rules
        self.lock = None if crawler.settings.getbool("SWAMPCRAWL_LOCK_HELD") else CrawlLock(db_path)
        self.store: Store | None = None
        self.buffer: RowBuffer | None = None
        self.run_id: int | None = None
        self.write_error: str | None = None
        # Records are stored only with their WARC record when the capture extension archives.
        extensions = crawler.settings.getwithbase("EXTENSIONS")
        self.archiving = bool(crawler.settings.get("SWAMPCRAWL_WARC_DIR")) and bool(
            extensions.get("archive.capture.WarcCapture"))

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePipeline:
        settings = crawler.settings
        if settings.getbool("SWAMPCRAWL_INTERACTIVE"):
            raise NotConfigured("scrapy shell / parse: nothing is stored")
        db_path = settings.get("SWAMPCRAWL_DB")
        if not db_path:
            raise NotConfigured("SWAMPCRAWL_DB is empty")
        batch = parse_size("SWAMPCRAWL_STORE_BATCH", settings.get("SWAMPCRAWL_STORE_BATCH", 200), minimum=1)
        # The spiders' rules (and their cache): the URLs of the responses were classified already.
        pipeline = cls(crawler, db_path, batch, rules_for(parse_base_url(settings.get("SWAMPCRAWL_BASE_URL"))))
        crawler.signals.connect(pipeline.response_archived, signal=response_archived)
        crawler.signals.connect(pipeline.request_failed, signal=request_failed)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

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

    def process_item(self, item: Any) -> Any:
        if self.archiving and getattr(item, "warc_record_id", "") is None:
            # Its response could not be archived (the crawl is stopping): a record the archive
            # cannot prove is not stored; the next run fetches the page again.
            self.crawler.stats.inc_value("swampcrawl/items/not_archived")
            raise DropItem("its response is not in the archive", log_level="DEBUG")
        rows = record_rows(item, self.rules, self.run_id)
        self._add(rows)
        if rows and rows[0][0] == "errors":
            # Not the page it should be (a maintenance page, an empty body): the stored row
            # keeps its content, the URL is listed in ``errors``, feeds do not get it.
            error = rows[0][1]
            self.crawler.stats.inc_value("swampcrawl/requests/failed")
            self.crawler.stats.inc_value("swampcrawl/pages/unusable")
            logger.warning("failed: %s (%s)", error["url"], error["reason"])
            raise DropItem(error["reason"], log_level="DEBUG")
        return item

    def response_archived(self, response: Any, request: Any, ref: WarcRef, spider: Any = None) -> None:
        if self.buffer is not None:
            exchange = Exchange(response.url, response.status, header_pairs(response.headers), ref=ref)
            self._add(response_rows(exchange, self.rules, self.run_id))

    def request_failed(self, url: str, kind: str, reason: str, attempts: int, last_status: int | None,
                       spider: Any = None) -> None:
        if self.buffer is not None:
            self._add([("errors", {"url": url, "kind": kind, "reason": reason, "attempts": attempts,
                                   "last_status": last_status, "at": now_iso(), "run_id": self.run_id})])

    def close_spider(self, spider: Any = None) -> None:
        if self.buffer is not None:
            self._write(self.buffer.flush)

    def spider_closed(self, spider: Any, reason: str) -> None:
        """Finish the run with how the crawl ended (Scrapy's finish reason is known here)."""
        if self.store is None:
            return
        try:
            status = "failed" if self.write_error else run_status(reason)
            self.crawler.stats.set_value(STATUS_STAT, status)
            if self.write_error:
                self.crawler.stats.set_value("swampcrawl/store/error", self.write_error)
            stats = {**self.crawler.stats.get_stats(), "finish_reason": reason}
            self.store.finish_run(self.run_id, status, stats)
        finally:
            self.store.close()
            self.store = None
            if self.lock is not None:
                self.lock.release()

    def _add(self, rows: list) -> None:
        self._write(lambda: self.buffer.add(rows))

    def _write(self, write: Any) -> None:
        """A write that fails stops the crawl: its rows stay buffered, the run is marked failed."""
        try:
            write()
        except Exception as error:
            if self.write_error is None:
                self.write_error = f"{type(error).__name__}: {error}"
                logger.error("could not write to %s: %s; stopping the crawl", self.db_path, error)
                if self.crawler.engine is not None and self.crawler.engine.spider is not None:
                    deferred_from_coro(self.crawler.engine.close_spider_async(reason="store_failed"))

    def _count(self, table: str, rows: int) -> None:
        stats = self.crawler.stats
        stats.inc_value(f"swampcrawl/store/{table}", rows)
        for outcome, count in self.store.outcomes.items():  # new, changed, unchanged, renamed, removed
            stats.set_value(f"swampcrawl/stories/{outcome}", count)
