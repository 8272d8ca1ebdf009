"""What the store pipeline and the fleet pipeline share: a crawl's rows, drops and stats.

Each extracted record, each archived response (the capture extension's ``response_archived``
signal) and each request that failed for good (``request_failed``) becomes the rows
``swampcrawl.store.ingest`` builds for it. Where they go is the subclass's business: into
SQLite (``StorePipeline``, a single crawl) or to Redis for ``swampcrawl ingest``
(``FleetPipeline``, one worker of a fleet). A write that fails stops the crawl, and the run's
status (the ``swampcrawl/run/status`` stat) is then ``failed``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from scrapy import signals
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.defer import deferred_from_coro

from swampcrawl.config import parse_base_url
from swampcrawl.pages.links import rules_for
from swampcrawl.records.provenance import WarcRef
from swampcrawl.signals import request_failed, response_archived
from swampcrawl.store.ingest import Exchange, Rows, header_pairs, record_rows, response_rows
from swampcrawl.store.runs import run_status
from swampcrawl.store.values import now_iso
from swampcrawl.urls import UrlRules

# Settings worth keeping with a run: what shaped the crawl.
RUN_SETTINGS = ("SWAMPCRAWL_BASE_URL", "SWAMPCRAWL_DB", "SWAMPCRAWL_WARC_DIR", "USER_AGENT", "ROBOTSTXT_OBEY", "DOWNLOAD_DELAY")
STATUS_STAT = "swampcrawl/run/status"


class RowsPipeline:
    """Base of StorePipeline and FleetPipeline: subclasses say where rows go (``_add``)."""

    def __init__(self, crawler: Any, rules: UrlRules) -> None:
        self.crawler = crawler
        self.rules = rules
        self.run_id: int | None = None
        self.write_error: str | None = None
        self.destination = ""  # named when a write fails
        self.logger = logging.getLogger(type(self).__module__)  # the subclass's name in the log
        # Records are stored only with their WARC record when the capture extension archives.
        extensions = crawler.settings.getwithbase("EXTENSIONS")
        self.archiving = bool(crawler.settings.get("SWAMPCRAWL_WARC_DIR")) and bool(
            extensions.get("archive.capture.WarcCapture"))

    @classmethod
    def from_crawler(cls, crawler: Any) -> RowsPipeline:
        if crawler.settings.getbool("SWAMPCRAWL_INTERACTIVE"):
            raise NotConfigured("scrapy shell / parse: nothing is stored")
        pipeline = cls.configured(crawler)
        crawler.signals.connect(pipeline.response_archived, signal=response_archived)
        crawler.signals.connect(pipeline.request_failed, signal=request_failed)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    @classmethod
    def configured(cls, crawler: Any) -> RowsPipeline:
        """The pipeline built from the crawler's settings (NotConfigured when they leave it off)."""
        raise NotImplementedError

    @staticmethod
    def url_rules(settings: Any) -> UrlRules:
        # The spiders' rules (and their cache): the URLs of the responses were classified already.
        return rules_for(parse_base_url(settings.get("SWAMPCRAWL_BASE_URL")))

    @property
    def receiving(self) -> bool:
        """Whether the pipeline is open, so signals' rows have somewhere to go."""
        raise NotImplementedError

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
            self.logger.warning("failed: %s (%s)", error["url"], error["reason"])
            raise DropItem(error["reason"], log_level="DEBUG")
        return item

    def response_archived(self, response: Any, request: Any, ref: WarcRef, spider: Any = None) -> None:
        if self.receiving:
            exchange = Exchange(response.url, response.status, header_pairs(response.headers), ref=ref)
            self._add(response_rows(exchange, self.rules, self.run_id))

    def request_failed(self, url: str, kind: str, reason: str, attempts: int, last_status: int | None,
                       spider: Any = None) -> None:
        if self.receiving:
            self._add([("errors", {"url": url, "kind": kind, "reason": reason, "attempts": attempts,
                                   "last_status": last_status, "at": now_iso(), "run_id": self.run_id})])

    def spider_closed(self, spider: Any, reason: str) -> None:
        raise NotImplementedError

    def run_outcome(self, reason: str) -> tuple[str, dict[str, Any]]:
        """The run's status and stats, from how the crawl ended (known in spider_closed)."""
        status = "failed" if self.write_error else run_status(reason)
        self.crawler.stats.set_value(STATUS_STAT, status)
        if self.write_error:
            self.crawler.stats.set_value("swampcrawl/store/error", self.write_error)
        return status, {**self.crawler.stats.get_stats(), "finish_reason": reason}

    def _add(self, rows: Rows) -> None:
        raise NotImplementedError

    def _write(self, write: Callable[[], Any]) -> None:
        """A write that fails stops the crawl: the run is marked failed (the subclass keeps what
        it could not write)."""
        try:
            write()
        except Exception as error:
            if self.write_error is None:
                self.write_error = f"{type(error).__name__}: {error}"
                self.logger.error("could not write to %s: %s; stopping the crawl", self.destination, error)
                if self.crawler.engine is not None and self.crawler.engine.spider is not None:
                    deferred_from_coro(self.crawler.engine.close_spider_async(reason="store_failed"))
