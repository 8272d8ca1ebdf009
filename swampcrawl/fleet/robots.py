"""SharedRobotsTxt: a host's robots.txt fetched once for the fleet, obeyed by every worker.

Scrapy's RobotsTxtMiddleware fetches robots.txt once per process: three workers, three fetches,
and three views of the rules if the file changed in between. This subclass changes only where
the body comes from. The first time a worker meets a host (netloc) it runs one Lua script:

- the fleet already has the outcome (``keys.host_robots(netloc)``): parse the stored body with
  the same parser class (``ROBOTSTXT_PARSER``); a stored failure means no parser, as in Scrapy
  (everything allowed);
- else it takes the fleet's lock (``keys.host_robots_lock(netloc)``, SET NX with a TTL of
  ``SWAMPCRAWL_REDIS_LEASE_SECONDS``, renewed while it fetches): fetch it exactly as Scrapy does,
  store what came (status and body, whatever the status: a 404 page's body is what Scrapy
  parses too) or that the fetch failed, then let the lock go;
- else another worker is fetching it: poll every ``POLL_SECONDS`` (an event-loop sleep, the
  reactor goes on) until the outcome is there, or the lock is gone (its holder died: take it).

A body is kept 24 hours, the longest RFC 9309 (2.4) lets a crawler cache robots.txt; a failed
fetch 10 minutes, so a later worker tries again. While a host's outcome is awaited, the
worker's other requests to that host wait for it too, as in Scrapy. Without
``SWAMPCRAWL_REDIS_URL`` this is Scrapy's RobotsTxtMiddleware unchanged; if Redis cannot be
reached, the worker fetches robots.txt for itself, as a single crawl does.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from typing import Any

from redis.exceptions import RedisError
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Response
from scrapy.robotstxt import RobotParser
from scrapy.utils.asyncio import create_looping_call, sleep
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from twisted.internet.defer import Deferred

from swampcrawl.fleet import keys
from swampcrawl.fleet.connection import redis_from_settings

logger = logging.getLogger(__name__)

STATS = "swampcrawl/fleet/robotstxt/"
POLL_SECONDS = 0.1
BODY_SECONDS = 24 * 3600
FAILED_SECONDS = 600

# KEYS: the stored outcome, the lock; ARGV: this worker's token, the lock's TTL in ms.
# Returns the stored outcome (a flat list of hash fields and values), 1 when the lock was
# taken (fetch it), 0 when another worker holds it (wait).
CLAIM = """
local stored = redis.call('HGETALL', KEYS[1])
if #stored > 0 then return stored end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0
"""

# KEYS[1]: the lock; ARGV: this worker's token, a TTL in ms (0: let the lock go). Only the
# holder's token renews or deletes it.
RENEW = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '0' then return redis.call('DEL', KEYS[1]) end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
"""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class SharedRobotsTxt(RobotsTxtMiddleware):
    """Scrapy's RobotsTxtMiddleware, with each host's robots.txt fetched once for the fleet."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)  # NotConfigured unless ROBOTSTXT_OBEY
        settings = crawler.settings
        self.server: Any = redis_from_settings(settings) if settings.get("SWAMPCRAWL_REDIS_URL") else None
        self.token = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}"
        self.lock_ms = int(1000 * settings.getfloat("SWAMPCRAWL_REDIS_LEASE_SECONDS", 30))
        if self.server is not None:
            self.claim_script = self.server.register_script(CLAIM)
            self.renew_script = self.server.register_script(RENEW)
            crawler.signals.connect(self.close, signal=signals.spider_closed)

    def close(self) -> None:
        self.server.close()

    async def robot_parser(self, request: Request) -> RobotParser | None:
        netloc = urlparse_cached(request).netloc
        if self.server is None or netloc in self._parsers:
            return await super().robot_parser(request)  # known, or on its way: Scrapy's own wait
        self._parsers[netloc] = pending = Deferred()  # this worker's other requests wait on it
        stored = await self.fleet_copy(netloc)
        if stored is None:  # ours to fetch: Scrapy's robot_parser fetches it, the hooks store it
            del self._parsers[netloc]
            parser = await self.fetch_for_fleet(request, netloc)
        else:
            parser = await self.parse_stored(stored, netloc, request)
        pending.callback(parser)
        return parser

    async def fleet_copy(self, netloc: str) -> dict[str, Any] | None:
        """The fleet's outcome for ``netloc``, once there; None when this worker is to fetch it."""
        claim_keys = [keys.host_robots(netloc), keys.host_robots_lock(netloc)]
        while True:
            try:
                claim = self.claim_script(keys=claim_keys, args=[self.token, self.lock_ms])
            except RedisError as error:
                logger.warning("robots.txt of %s: Redis unreachable (%s), fetching it for this worker", netloc, error)
                return None
            if isinstance(claim, list):
                return {_text(name): value for name, value in zip(claim[::2], claim[1::2])}
            if claim == 1:
                return None
            self._stats.inc_value(STATS + "polls")
            await sleep(POLL_SECONDS)

    async def fetch_for_fleet(self, request: Request, netloc: str) -> RobotParser | None:
        """Fetch as Scrapy does, holding the fleet's lock (renewed every third of its TTL)."""
        renewal = create_looping_call(self.renew_lock, netloc, self.lock_ms)
        renewal.start(self.lock_ms / 3000, now=False)
        try:
            return await super().robot_parser(request)
        finally:
            renewal.stop()
            self.renew_lock(netloc, 0)

    def renew_lock(self, netloc: str, ttl_ms: int) -> None:
        try:
            self.renew_script(keys=[keys.host_robots_lock(netloc)], args=[self.token, ttl_ms])
        except RedisError as error:  # it expires by itself
            logger.debug("robots.txt lock of %s: %s", netloc, error)

    async def parse_stored(self, stored: dict[str, Any], netloc: str, request: Request) -> RobotParser | None:
        """The parser of the fleet's copy (None for a failed fetch, as in Scrapy)."""
        self._stats.inc_value(STATS + "shared")
        parser = None
        if "body" in stored:
            body = stored["body"]
            body = body.encode() if isinstance(body, str) else body
            parser = build_from_crawler(self._parserimpl, self.crawler, body)
            await self.crawler.signals.send_catch_log_async(
                signal=signals.robots_parsed, robotparser=parser, request=request)
        self._parsers[netloc] = parser
        return parser

    # -- Scrapy's hooks for a fetched robots.txt: store the outcome for the fleet first --

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        self.store(netloc, {"status": str(response.status), "body": response.body}, BODY_SECONDS)
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        self.store(netloc, {"failed": type(exc).__name__}, FAILED_SECONDS)
        super()._robots_error(exc, netloc)

    def store(self, netloc: str, outcome: dict[str, Any], seconds: int) -> None:
        if self.server is None:
            return
        key = keys.host_robots(netloc)
        try:
            self.server.pipeline(transaction=True).delete(key).hset(key, mapping=outcome).expire(key, seconds).execute()
        except RedisError as error:
            logger.warning("robots.txt of %s: could not share it through Redis (%s)", netloc, error)
        else:
            self._stats.inc_value(STATS + "stored")
