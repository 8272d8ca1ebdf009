"""The store pipeline: records into SQLite, in batches, with the run's bookkeeping.

Rows are buffered and written every ``SWAMPCRAWL_STORE_BATCH`` rows in one
transaction (FIELD_NOTES: a transaction per row costs 2 to 7 times more).
Every archived response becomes a ``captures`` row; the run itself a
``crawl_runs`` row holding Scrapy's stats.
"""

from __future__ import annotations

from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from swampcrawl.config import parse_base_url
from swampcrawl.lock import CrawlLock
from swampcrawl.store import Store
from swampcrawl.urls import UrlRules

from pipelines.rows import RowBuffer, capture_row, record_rows, response_rows

# Settings worth keeping with a run: what shaped the crawl.
RUN_SETTINGS = ("SWAMPCRAWL_BASE_URL", "SWAMPCRAWL_DB", "SWAMPCRAWL_WARC_DIR", "USER_AGENT", "ROBOTSTXT_OBEY", "DOWNLOAD_DELAY")


class StorePipeline:
    def __init__(self, crawler: Any) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.db_path = settings.get("SWAMPCRAWL_DB")
        if not self.db_path:
            raise NotConfigured("SWAMPCRAWL_DB is empty")
        self.batch = settings.getint("SWAMPCRAWL_STORE_BATCH")
        self.lock = None if settings.getbool("SWAMPCRAWL_LOCK_HELD") else CrawlLock(self.db_path)
        self.rules = UrlRules(parse_base_url(settings.get("SWAMPCRAWL_BASE_URL")))  # as the spiders read it
        self.store: Store | None = None
        self.buffer: RowBuffer | None = None
        self.run_id: int | None = None
        crawler.signals.connect(self.response_downloaded, signal=signals.response_downloaded)

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePipeline:
        return cls(crawler)

    def open_spider(self, spider: Any = None) -> None:
        if self.lock is not None:
            self.lock.acquire()
        self.store = Store(self.db_path)
        self.buffer = RowBuffer(self.store, self.batch, on_written=self._count)
        settings = {name: self.crawler.settings.get(name) for name in RUN_SETTINGS}
        self.run_id = self.store.start_run(self.crawler.spider.name, settings)

    def close_spider(self, spider: Any = None) -> None:
        if self.store is None:
            return
        try:
            self.buffer.flush()
            stats = self.crawler.stats.get_stats()
            reason = stats.get("finish_reason", "finished")
            self.store.finish_run(self.run_id, "finished" if reason == "finished" else str(reason), stats)
        finally:
            self.store.close()
            if self.lock is not None:
                self.lock.release()

    def process_item(self, item: Any) -> Any:
        self.buffer.add(record_rows(item, self.rules))
        return item

    def response_downloaded(self, response: Any, request: Any, spider: Any = None) -> None:
        # The capture extension connected first, so the WARC location is in meta.
        if self.buffer is not None:
            self.buffer.add(response_rows(capture_row(response, request, self.rules, self.run_id)))

    def _count(self, table: str, rows: int) -> None:
        self.crawler.stats.inc_value(f"swampcrawl/store/{table}", rows)
