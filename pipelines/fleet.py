"""The fleet pipeline: one worker's rows pushed to Redis, for ``swampcrawl ingest`` to store.

In fleet mode (``SWAMPCRAWL_REDIS_URL`` set) this pipeline takes the store pipeline's place:
the same rows, drops and stats (``pipelines.rows``), but no worker writes the database. Each
item's, archived response's or failed request's rows are one JSON message RPUSHed to the
crawl's ``rows`` list (``swampcrawl.fleet.messages``), with ``run_id`` left None: the single
writer knows the fleet crawl's run. A message is pushed before the callback that produced it
returns, so the request's lease is acknowledged only once its rows are in Redis. The worker
announces itself (``opened``: spider and settings) and ends with ``closed``: its stats and
status, which the writer sums into the fleet crawl's run.
"""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import NotConfigured

from pipelines.rows import RUN_SETTINGS, RowsPipeline
from swampcrawl.config import SettingsError
from swampcrawl.fleet.keys import CrawlKeys
from swampcrawl.fleet.leases import is_finished
from swampcrawl.fleet.messages import closed_text, message_text, rows_text
from swampcrawl.fleet.worker import FleetWorker
from swampcrawl.store.ingest import Rows
from swampcrawl.store.values import now_iso
from swampcrawl.urls import UrlRules


class FleetPipeline(RowsPipeline):
    def __init__(self, crawler: Any, rules: UrlRules, server: Any, worker: str) -> None:
        super().__init__(crawler, rules)
        self.server = server
        self.worker = worker
        self.keys: CrawlKeys | None = None
        self.seq = 0
        self.unsent: list[str] = []  # messages a failed push left behind, sent before the next

    @classmethod
    def configured(cls, crawler: Any) -> FleetPipeline:
        settings = crawler.settings
        if not settings.get("SWAMPCRAWL_REDIS_URL"):
            raise NotConfigured("SWAMPCRAWL_REDIS_URL is empty: not a fleet worker")
        try:  # the worker's id and Redis client: its messages name the worker that joined
            worker = FleetWorker.of(crawler)
        except NotConfigured as error:  # rows with nowhere to go: not a crawl to start
            raise SettingsError(str(error)) from None
        return cls(crawler, cls.url_rules(settings), worker.server, worker.worker_id)

    @property
    def receiving(self) -> bool:
        return self.keys is not None

    def open_spider(self, spider: Any = None) -> None:
        keys = CrawlKeys(self.crawler.spider.name)
        if is_finished(FleetWorker.of(self.crawler).server, keys):
            # A late worker: the FleetWorker closes it at once. It sends nothing, not even
            # "opened"/"closed": the writer may be deleting the crawl's keys right now, and a
            # message pushed after that would start a crawl of its own in Redis.
            return
        self.keys = keys
        self.destination = f"Redis list {self.keys.rows}"
        settings = {name: self.crawler.settings.get(name) for name in RUN_SETTINGS}
        opened = {"spider": self.crawler.spider.name, "settings": settings, "at": now_iso()}
        self._write(lambda: self._push(message_text(self.worker, self._next_seq(), "opened", opened)))

    def spider_closed(self, spider: Any, reason: str) -> None:
        """The worker's stats and status, for the writer to sum (the finish reason is known here)."""
        if self.keys is None:
            return
        status, stats = self.run_outcome(reason)
        text = closed_text(self.worker, self._next_seq(), status, stats)
        try:
            self._push(text)
        except Exception as error:
            self.logger.error("could not push to %s: %s; %d messages lost (their pages are fetched again "
                              "by the next crawl)", self.destination, error, len(self.unsent))
        self.keys = None

    def _add(self, rows: Rows) -> None:
        if rows:
            text = rows_text(self.worker, self._next_seq(), rows)
            self._write(lambda: self._push(text))

    def _push(self, text: str) -> None:
        """RPUSH the message after any left unsent, in order; on failure all stay unsent."""
        self.unsent.append(text)
        self.server.rpush(self.keys.rows, *self.unsent)
        self.crawler.stats.inc_value("swampcrawl/fleet/messages_pushed", len(self.unsent))
        self.unsent = []

    def _next_seq(self) -> int:
        self.seq += 1
        return self.seq - 1

