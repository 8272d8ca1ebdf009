"""FleetWorker: the extension that makes a crawl process one worker of a fleet.

- Identity: a worker id (``swampcrawl.fleet.leases.new_worker_id``) and the fleet's Redis
  client, which the scheduler, its queue and the fleet pipeline use too
  (``FleetWorker.of(crawler)``).
- Liveness: at ``spider_opened`` it joins ``workers`` and starts its heartbeat, refreshed every
  third of ``SWAMPCRAWL_REDIS_LEASE_SECONDS``; each beat also reaps the workers whose
  heartbeat expired (their leases go back to the frontier).
- Acks: a lease ends when the request's output is pushed. The engine hands each downloaded
  response (or failure, or a Request such as a redirect) to ``_handle_downloader_output``,
  which returns once the scraper has run the callback and pushed its items and requests; the
  worker wraps that method of its engine and acknowledges the request's lease after it.
- Stop: when this worker is idle, the crawl is over once the frontier is empty and no worker
  holds a lease; then ``done`` is set and the spider closes (``finished``). Until then it stays
  open (DontCloseSpider) and wakes the engine every ``POLL_SECONDS`` to look again, rather than
  at the engine's own 5-second heartbeat. A worker that opens after ``done`` was set closes at
  once, having fetched nothing (stat ``swampcrawl/fleet/already_finished``).
- A worker that closes before the end (Ctrl-C, a ``CLOSESPIDER_*`` limit) puts its
  unacknowledged leases back into the frontier at once and leaves ``workers``.

Stats: ``swampcrawl/fleet/worker`` (its id), ``acked`` (leases ended; Scrapy's
``scheduler/dequeued/redis`` counts the leases taken), ``reaped`` (requests of dead workers it
put back), ``requeued`` (its own, at close), ``already_finished`` (1: it came too late).
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from scrapy import signals
from scrapy.exceptions import CloseSpider, DontCloseSpider, NotConfigured
from scrapy.utils.asyncio import call_later, create_looping_call

from swampcrawl.config import parse_size
from swampcrawl.fleet import leases
from swampcrawl.fleet.connection import SETTING, redis_from_settings
from swampcrawl.fleet.keys import CrawlKeys

logger = logging.getLogger(__name__)

LEASE_SETTING = "SWAMPCRAWL_REDIS_LEASE_SECONDS"
STATS = "swampcrawl/fleet/"
# Seconds between two looks at the shared frontier while this worker is idle and others work.
POLL_SECONDS = 0.5


class FleetWorker:
    def __init__(self, crawler: Any, server: Any, lease_seconds: int) -> None:
        self.crawler = crawler
        self.server = server
        self.lease_seconds = lease_seconds
        self.keys = CrawlKeys(crawler.spidercls.name)
        self.worker_id = leases.new_worker_id()
        self.joined = False
        self.heartbeat: Any = None
        self.poll: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> FleetWorker:
        settings = crawler.settings
        if not settings.get(SETTING):
            raise NotConfigured(f"{SETTING} is empty: a single crawl")
        lease_seconds = parse_size(LEASE_SETTING, settings.get(LEASE_SETTING, 30), minimum=3)
        worker = cls(crawler, redis_from_settings(settings), lease_seconds)
        crawler.stats.set_value(STATS + "worker", worker.worker_id)
        # Connected after the spider's own handlers (the spider is built before extensions):
        # its spider_idle handler schedules the rechecks before this one looks at the frontier.
        crawler.signals.connect(worker.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(worker.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(worker.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(worker.engine_stopped, signal=signals.engine_stopped)
        return worker

    @classmethod
    def of(cls, crawler: Any) -> FleetWorker:
        """The crawler's FleetWorker (the fleet scheduler and pipeline need it)."""
        worker = crawler.get_extension(cls)
        if worker is None:
            raise NotConfigured(f"the FleetWorker extension is not enabled: set {SETTING}")
        return worker

    def spider_opened(self, spider: Any) -> None:
        if leases.is_finished(self.server, self.keys):
            self.crawler.stats.set_value(STATS + "already_finished", 1)
            logger.info("the fleet crawl of %s in Redis was already finished: nothing to do", spider.name)
            raise CloseSpider("finished")
        self.beat()
        self.joined = True
        self.wrap_engine(self.crawler.engine)
        self.heartbeat = create_looping_call(self.tick)
        self.heartbeat.start(self.lease_seconds / 3, now=False)
        logger.info("fleet worker %s joined the crawl of %s", self.worker_id, spider.name)

    def wrap_engine(self, engine: Any) -> None:
        """Acknowledge each request's lease once the engine has handled its download's outcome
        (the callback's items and requests pushed; a redirect or retry queued)."""
        handle = engine._handle_downloader_output

        def handle_then_ack(result: Any, request: Any) -> Any:
            handled = handle(result, request)
            handled.addBoth(self.acked, request)
            return handled

        engine._handle_downloader_output = handle_then_ack

    def acked(self, result: Any, request: Any) -> Any:
        if self.crawler.engine.scheduler.ack(request):
            self.crawler.stats.inc_value(STATS + "acked")
        return result

    def beat(self) -> None:
        if leases.beat(self.server, self.keys, self.worker_id, self.lease_seconds) and self.joined:
            logger.warning("fleet worker %s missed its heartbeat for over %d s and was presumed dead: its "
                           "requests were given to others; rejoining", self.worker_id, self.lease_seconds)

    def tick(self) -> None:
        try:
            self.beat()
            self.reap()
        except redis.RedisError as error:  # keep beating: Redis may be back at the next tick
            logger.warning("fleet worker %s could not reach Redis for its heartbeat: %s", self.worker_id, error)

    def reap(self) -> None:
        reaped = leases.reap_dead_workers(self.server, self.keys)
        if reaped:
            self.crawler.stats.inc_value(STATS + "reaped", reaped)

    def spider_idle(self, spider: Any) -> None:
        """Close when the whole crawl is over; otherwise look again in POLL_SECONDS."""
        if not self.joined:
            return
        self.reap()  # a dead worker's leases would keep the crawl open until the next beat
        if leases.finish_if_drained(self.server, self.keys):
            return
        if self.poll is None:
            self.poll = call_later(POLL_SECONDS, self.wake)
        raise DontCloseSpider

    def wake(self) -> None:
        """What the engine's own heartbeat does (every 5 s), sooner: look for requests, or
        call spider_idle again. Scrapy has no public call for it."""
        self.poll = None
        slot = self.crawler.engine._slot
        if slot is not None:
            slot.nextcall.schedule()

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.poll is not None:
            self.poll.cancel()
        if self.heartbeat is not None and self.heartbeat.running:
            self.heartbeat.stop()
        if not self.joined:
            return
        # The leases go back now (the count is in the stats the pipeline sends the writer); the
        # worker leaves ``workers`` only once the engine stopped, after every spider_closed
        # handler: the pipeline's last message must be in Redis before the writer can see an
        # empty ``workers`` and end the crawl without it.
        requeued = leases.requeue_leases(self.server, self.keys, self.worker_id)
        self.crawler.stats.set_value(STATS + "requeued", requeued)
        if requeued:
            logger.info("fleet worker %s stopped (%s): %d requests it held are back in the frontier",
                        self.worker_id, reason, requeued)

    def engine_stopped(self) -> None:
        if not self.joined:
            return
        self.joined = False
        leases.leave(self.server, self.keys, self.worker_id)
