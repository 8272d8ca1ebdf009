"""SharedRateLimit: one request rate per host for the whole fleet, kept in Redis.

Scrapy's ``DOWNLOAD_DELAY`` spaces the requests of one process: three workers, each polite on
its own, would ask a site three times as often as one. Here every request, before it leaves,
reserves the host's next slot in Redis (``keys.host_slot(host)``) with one Lua script, so the
workers of all machines take their turns from one timeline:

    t = max(now, next slot); next slot = t + delay; wait t - now

- ``now`` is the Redis server's clock (``TIME``): machines whose clocks disagree still agree.
- ``delay`` is ``DOWNLOAD_DELAY`` with Scrapy 2.19's jitter (``DOWNLOAD_DELAY_JITTER``, or the
  deprecated ``RANDOMIZE_DOWNLOAD_DELAY`` set at a higher priority, read as Scrapy reads them):
  each reservation draws ``delay * (1 ± jitter)``, as a download slot does. With a delay of 0
  (the replica on loopback) the middleware is off: no Redis call at all.
- The wait is a sleep on the event loop (``scrapy.utils.asyncio.sleep``); the reactor goes on.
  The Redis call itself is one short round trip on the reactor thread, as scrapy-redis's
  scheduler makes for every request.
- A 429 or 503 holds the host for the fleet until when the site asked to be left alone (its
  ``Retry-After``, else RetryAfterMiddleware's backoff, at most ``SWAMPCRAWL_RETRY_AFTER_MAX``):
  the next slot moves past it, and the hold is marked (``keys.host_hold(host)``, with that TTL)
  so that a request that reserved its slot earlier and wakes up inside the hold takes a new
  one. Every worker holds back, not only the one that was told, as one crawl's slot would.
  RetryAfterMiddleware still does the retrying.

Each worker's own downloader keeps its slot delay and AutoThrottle: they can only slow that
worker further. Spacing is made when requests leave this middleware, so it sits last (950,
after HttpCacheMiddleware: a cached answer does not wait); a worker whose own slot then holds a
request back sends it later than reserved, never earlier. The key of a host expires once its
next slot has passed.
"""

from __future__ import annotations

import logging
import random
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from scrapy.utils.asyncio import sleep
from scrapy.utils.httpobj import urlparse_cached

from swampcrawl.downloadermiddlewares.retryafter import (
    META_TIMES, STATUSES, backoff_seconds, parse_seconds, retry_after_seconds,
)
from swampcrawl.fleet import keys
from swampcrawl.fleet.connection import redis_from_settings

logger = logging.getLogger(__name__)

STATS = "swampcrawl/fleet/rate_limit/"

# KEYS[1]: the host's slot; ARGV[1]: the delay this request leaves behind it, in seconds.
# Returns the seconds to wait, as a string (Redis would cut a Lua number to an integer).
RESERVE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local at = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
local after = at + tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.6f', after), 'PX', math.ceil((after - now) * 1000) + 1000)
return string.format('%.6f', at - now)
"""

# KEYS: the host's slot, its hold; ARGV[1]: seconds (> 0) from now before which no request may
# leave. Only ever makes the slot and the hold later. Returns the seconds until the next slot.
HOLD = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local hold_ms = math.ceil(tonumber(ARGV[1]) * 1000)
local at = math.max(now + hold_ms / 1000, tonumber(redis.call('GET', KEYS[1]) or '0'))
redis.call('SET', KEYS[1], string.format('%.6f', at), 'PX', math.ceil((at - now) * 1000) + 1000)
if redis.call('PTTL', KEYS[2]) < hold_ms then redis.call('SET', KEYS[2], '1', 'PX', hold_ms) end
return string.format('%.6f', at - now)
"""


def delay_jitter(settings: BaseSettings) -> float:
    """The jitter Scrapy 2.19's downloader gives its slots: ``DOWNLOAD_DELAY_JITTER``, unless the
    deprecated ``RANDOMIZE_DOWNLOAD_DELAY`` is set at a higher priority (then ±50% or none)."""
    randomize = settings.getpriority("RANDOMIZE_DOWNLOAD_DELAY") or 0
    jitter = settings.getpriority("DOWNLOAD_DELAY_JITTER") or 0
    if randomize > max(SETTINGS_PRIORITIES["default"], jitter):
        return 0.5 if settings.getbool("RANDOMIZE_DOWNLOAD_DELAY") else 0.0
    return settings.getfloat("DOWNLOAD_DELAY_JITTER")


class SharedRateLimit:
    """Space the fleet's requests to each host by ``DOWNLOAD_DELAY``, through Redis."""

    def __init__(self, crawler: Crawler, server: Any, delay: float, jitter: float, max_hold: float) -> None:
        self.stats = crawler.stats
        self.delay = delay
        self.jitter = jitter
        self.max_hold = max_hold
        self.server = server
        crawler.signals.connect(self.close, signal=signals.spider_closed)
        self.reserve_script = server.register_script(RESERVE)
        self.hold_script = server.register_script(HOLD)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedRateLimit:
        settings = crawler.settings
        delay = parse_seconds("DOWNLOAD_DELAY", settings.get("DOWNLOAD_DELAY", 0))
        if not settings.get("SWAMPCRAWL_REDIS_URL") or not delay:
            raise NotConfigured  # not a fleet, or nothing to space: no Redis call at all
        max_hold = parse_seconds("SWAMPCRAWL_RETRY_AFTER_MAX", settings.get("SWAMPCRAWL_RETRY_AFTER_MAX", 120))
        return cls(crawler, redis_from_settings(settings), delay, delay_jitter(settings), max_hold)

    def close(self) -> None:
        self.server.close()

    def next_delay(self) -> float:
        """The gap this request leaves behind it: the delay, varied as a download slot varies it."""
        if not self.jitter:
            return self.delay
        return max(0.0, self.delay * (1 + random.uniform(-self.jitter, self.jitter)))  # noqa: S311

    def reserve(self, host: str) -> float:
        """Take ``host``'s next slot for the fleet: the seconds to wait before it comes."""
        return float(self.reserve_script(keys=[keys.host_slot(host)], args=[f"{self.next_delay():.6f}"]))

    def held(self, host: str) -> bool:
        """Whether ``host`` is held (it asked the fleet to wait, and the wait is not over)."""
        return bool(self.server.exists(keys.host_hold(host)))

    async def process_request(self, request: Request) -> None:
        host = urlparse_cached(request).hostname or ""
        while (wait := self.reserve(host)) > 0:  # a hold makes every wait longer than 0
            self.stats.inc_value(STATS + "waits")
            self.stats.max_value(STATS + "longest_wait", round(wait, 3))
            await sleep(wait)
            if not self.held(host):
                return
            self.stats.inc_value(STATS + "slots_held")  # it woke up inside a hold: a new slot

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status in STATUSES and (seconds := self.wait_asked(request, response)) > 0:
            self.hold(urlparse_cached(request).hostname or "", seconds)
        return response

    def wait_asked(self, request: Request, response: Response) -> float:
        """What RetryAfterMiddleware will wait before retrying: Retry-After, else its backoff."""
        asked = retry_after_seconds(response.headers.get("Retry-After"), response.headers.get("Date"))
        return min(backoff_seconds(request.meta.get(META_TIMES, 0)) if asked is None else asked, self.max_hold)

    def hold(self, host: str, seconds: float) -> None:
        """No request of the fleet leaves for ``host`` in the next ``seconds``."""
        self.hold_script(keys=[keys.host_slot(host), keys.host_hold(host)], args=[f"{seconds:.6f}"])
        self.stats.inc_value(STATS + "holds")
        logger.debug("%s asked the fleet to wait: no worker sends it anything for %.1f s", host, seconds)
