"""What the fleet has asked for: request fingerprints, and the spiders' seen URLs, in Redis.

``FleetDupeFilter`` is scrapy-redis's fingerprint set under the crawl's key
(``CrawlKeys.dupefilter``), never deleted by a worker that closes: the crawl outlives each
worker, and ``swampcrawl ingest`` deletes the crawl's keys once it is stored.

``SharedSeenSet`` is the spider's ``scheduled`` in fleet mode: this worker's DiskSet in front
(most links of a page were seen already, and looking there costs no round trip), the crawl's
``scheduled`` set in Redis behind. It only reads Redis: a URL enters the shared set together
with its request's entry in the frontier (``LeasedPriorityQueue.push_unseen``), so a worker
dying between the two never leaves a URL marked as asked for that no one will fetch.
"""

from __future__ import annotations

from typing import Any

import redis
from scrapy_redis.dupefilter import RFPDupeFilter

from swampcrawl.diskset import DiskSet
from swampcrawl.fleet.connection import redis_from_settings
from swampcrawl.fleet.keys import CrawlKeys


class FleetDupeFilter(RFPDupeFilter):
    @classmethod
    def from_spider(cls, spider: Any) -> FleetDupeFilter:
        settings = spider.settings
        return cls(redis_from_settings(settings), key=CrawlKeys(spider.name).dupefilter,
                   debug=settings.getbool("DUPEFILTER_DEBUG"))

    def close(self, reason: str = "") -> None:
        """Keep the fingerprints: the other workers go on (RFPDupeFilter deletes them)."""


class SharedSeenSet:
    """The URLs this fleet crawl asked for, with the DiskSet interface (``add``, ``in``)."""

    def __init__(self, server: redis.Redis, key: str, local: DiskSet | None = None) -> None:
        self.server = server
        self.key = key
        self.local = local if local is not None else DiskSet()

    def add(self, url: str) -> bool:
        """Whether ``url`` is new to this worker and to the fleet; remembered here either way."""
        return self.local.add(url) and not self.server.sismember(self.key, url)

    def __contains__(self, url: object) -> bool:
        if url in self.local:
            return True
        if self.server.sismember(self.key, url):
            self.local.add(url)  # the next look is local
            return True
        return False

    def __len__(self) -> int:
        """URLs this worker has seen (asked for by it or by the fleet)."""
        return len(self.local)

    def close(self) -> None:
        self.local.close()
        self.server.close()
