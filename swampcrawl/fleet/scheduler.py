"""FleetScheduler: scrapy-redis's scheduler as a fleet worker needs it.

- persistent always: a worker that closes must never delete the shared frontier or
  fingerprints (scrapy-redis flushes both unless ``SCHEDULER_PERSIST``);
- never a blocking pop (``SCHEDULER_IDLE_BEFORE_CLOSE`` would block the event loop): an idle
  worker waits for its peers in the FleetWorker extension instead;
- Redis is the FleetWorker extension's client, the keys CrawlKeys';
- a new request is marked seen and pushed in one step (``LeasedPriorityQueue.push_unseen``);
- ``ack(request)`` ends the lease a request was popped under (the extension calls it once the
  request's output is pushed).

Its queue (``SCHEDULER_QUEUE_CLASS``) must be a LeasedPriorityQueue, its duplicate filter
(``DUPEFILTER_CLASS``) scrapy-redis's RFPDupeFilter or a subclass: spiders/base.py sets both.
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any

from scrapy import Request
from scrapy.exceptions import ScrapyDeprecationWarning
from scrapy_redis.scheduler import Scheduler

from swampcrawl.fleet.keys import CrawlKeys
from swampcrawl.fleet.worker import FleetWorker

QUEUE_CLASS = "swampcrawl.fleet.queue.LeasedPriorityQueue"
SERIALIZER = "swampcrawl.fleet.serializer"
DUPEFILTER_CLASS = "swampcrawl.fleet.dupefilter.FleetDupeFilter"


class FleetScheduler(Scheduler):
    @classmethod
    def from_crawler(cls, crawler: Any) -> FleetScheduler:
        settings = crawler.settings
        scheduler = cls(
            server=FleetWorker.of(crawler).server,
            persist=True,
            idle_before_close=0,
            queue_cls=settings.get("SCHEDULER_QUEUE_CLASS") or QUEUE_CLASS,
            dupefilter_cls=settings.get("DUPEFILTER_CLASS") or DUPEFILTER_CLASS,
            serializer=importlib.import_module(settings.get("SCHEDULER_SERIALIZER") or SERIALIZER),
        )
        scheduler.stats = crawler.stats
        return scheduler

    def open(self, spider: Any) -> None:
        self.queue_key = CrawlKeys(spider.name).requests
        with warnings.catch_warnings():
            # scrapy-redis says "Resuming crawl (N requests scheduled)" with Spider.log(), which
            # Scrapy deprecates: every worker but the first would print the warning.
            warnings.filterwarnings("ignore", "Spider.log", ScrapyDeprecationWarning)
            super().open(spider)

    # enqueue_request and next_request are scrapy-redis's, but for the atomic push and the
    # stats calls (scrapy-redis passes ``spider=``, which Scrapy 2.19 deprecates).

    def enqueue_request(self, request: Request) -> bool:
        if request.dont_filter:  # retries, and requests that must be fetched again: no check
            self.queue.push(request)
        else:
            fingerprint = self.df.request_fingerprint(request)
            if not self.queue.push_unseen(request, self.df.key, fingerprint, CrawlKeys(self.spider.name).scheduled):
                self.df.log(request, self.spider)
                return False
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        request = self.queue.pop()
        if request is not None:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def ack(self, request: Request) -> bool:
        """End the lease ``request`` was popped under (see LeasedPriorityQueue.ack)."""
        return self.queue.ack(request)

    def requeue_leases(self) -> int:
        return self.queue.requeue_leases()
