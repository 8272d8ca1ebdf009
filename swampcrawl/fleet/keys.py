"""The Redis keys of a fleet crawl: one place, so workers, the writer and the tests agree.

Every key of a crawl starts with ``swampcrawl:<spider>:``: the stories, creators and communities
spiders can share one Redis database, each its own crawl. ``swampcrawl ingest`` deletes a
crawl's keys (``crawl_keys``) once everything is stored, so the next run starts afresh.
Shared by all spiders: the per-host request slots and the robots.txt bodies (``host_*``).
"""

from __future__ import annotations

from dataclasses import dataclass

ROOT = "swampcrawl"


@dataclass(frozen=True)
class CrawlKeys:
    spider: str

    @property
    def prefix(self) -> str:
        return f"{ROOT}:{self.spider}"

    # -- the frontier (scrapy-redis) --
    @property
    def requests(self) -> str:
        """Sorted set: the frontier, scrapy-redis's PriorityQueue (score = -priority)."""
        return f"{self.prefix}:requests"

    @property
    def dupefilter(self) -> str:
        """Set: request fingerprints, scrapy-redis's RFPDupeFilter."""
        return f"{self.prefix}:dupefilter"

    @property
    def scheduled(self) -> str:
        """Set: the normalised URLs the crawl asked for (the spider's ``scheduled``)."""
        return f"{self.prefix}:scheduled"

    # -- workers and leases --
    @property
    def workers(self) -> str:
        """Set: the ids of the workers that joined and have not closed or been reaped."""
        return f"{self.prefix}:workers"

    def heartbeat(self, worker: str) -> str:
        """String with a TTL: the worker is alive while it exists."""
        return f"{self.prefix}:heartbeat:{worker}"

    def leases(self, worker: str) -> str:
        """Hash: lease id -> the leased request as queued (and its score), until acknowledged."""
        return f"{self.prefix}:leases:{worker}"

    @property
    def started(self) -> str:
        """String: when the crawl's first worker joined (ISO 8601, UTC)."""
        return f"{self.prefix}:started"

    @property
    def done(self) -> str:
        """String: set once the frontier and every lease set were empty; late workers exit at once."""
        return f"{self.prefix}:done"

    # -- the single writer --
    @property
    def rows(self) -> str:
        """List: JSON messages for ``swampcrawl ingest`` (rows to store, worker runs), oldest at the left."""
        return f"{self.prefix}:rows"

    def crawl_keys_pattern(self) -> str:
        return f"{self.prefix}:*"


def host_slot(host: str) -> str:
    """String: when the next request to ``host`` may leave (shared request rate per host)."""
    return f"{ROOT}:host:{host}:next"


def host_hold(host: str) -> str:
    """String with a TTL: exists while ``host`` asked to be left alone (a 429's or 503's
    Retry-After): a request whose slot falls in it takes a new one."""
    return f"{ROOT}:host:{host}:hold"


def host_robots(netloc: str) -> str:
    """String: the robots.txt body of ``netloc`` as fetched once for the fleet."""
    return f"{ROOT}:robots:{netloc}"


def host_robots_lock(netloc: str) -> str:
    """String with a TTL: held by the worker fetching ``netloc``'s robots.txt."""
    return f"{ROOT}:robots-lock:{netloc}"
