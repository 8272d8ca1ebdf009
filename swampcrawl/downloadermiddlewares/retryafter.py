"""RetryAfterMiddleware: a 429 (Too Many Requests) or 503 (Service Unavailable) is retried once
the time the site asks for has passed, and every request to that host waits with it.

Scrapy's RetryMiddleware retries at once: a 429 with ``Retry-After: 30`` was tried three times
within 70 ms and its story lost. Here:

- the wait is the response's ``Retry-After`` (seconds, or an HTTP date read against the
  response's ``Date``), else 1 s doubled at each retry of the request; either way at most
  ``SWAMPCRAWL_RETRY_AFTER_MAX`` seconds;
- the download slot of the response's host is held: Scrapy's downloader sends a slot's next
  request once the slot's delay has passed since its last one, so dating the last one at the
  end of the wait holds every request for that host (the retry among them) until then; a
  slot without a delay (the replica's) gets a tiny one while held. AutoThrottle only changes
  the delay, never the date, so it cannot shorten a hold. A later 429 or 503 lengthens the
  hold, never shortens it;
- a request has ``SWAMPCRAWL_RETRY_AFTER_TIMES`` such retries (``meta["retry_after_times"]``),
  apart from RetryMiddleware's ``RETRY_TIMES`` (swampcrawl's settings take 429 and 503 out of
  ``RETRY_HTTP_CODES``). Past them the response goes on, and the request's errback records
  "HTTP 429" or "HTTP 503".

Its process_response must run before RetryMiddleware's (550): priority 560.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from time import monotonic
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response

from swampcrawl.config import SettingsError, parse_size

logger = logging.getLogger(__name__)

STATUSES = frozenset({429, 503})
FIRST_BACKOFF = 1.0  # seconds before a retry when the site names no time; doubled at each retry
META_TIMES = "retry_after_times"
HELD_DELAY = 0.01  # seconds: the delay a slot without one has while held (see SlotHold)
STATS = "swampcrawl/retry_after/"


def parse_seconds(name: str, value: object) -> float:
    """A setting holding a number of seconds (0 or more), or one readable error."""
    try:
        seconds = float(str(value).replace("_", "").strip())
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise SettingsError(f"{name} must be a number of seconds, not {value!r}")
    return seconds


def _http_date(value: bytes | str | None) -> datetime | None:
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    try:
        when = parsedate_to_datetime(text.strip()) if text else None
    except (TypeError, ValueError, IndexError):
        return None
    return when.replace(tzinfo=UTC) if when is not None and when.tzinfo is None else when


def retry_after_seconds(value: bytes | str | None, date: bytes | str | None = None) -> float | None:
    """The seconds a ``Retry-After`` value asks for: delta-seconds, or an HTTP date counted from
    the response's ``Date`` (the site's clock), else from now. None when absent or unreadable."""
    text = (value.decode("latin-1") if isinstance(value, bytes) else value or "").strip()
    if text.isdigit():
        return float(text)
    when = _http_date(text)
    if when is None:
        return None
    now = _http_date(date) or datetime.now(UTC)
    return max((when - now).total_seconds(), 0.0)


def backoff_seconds(retries: int) -> float:
    """The wait before retry number ``retries + 1`` when the site names none: 1, 2, 4, 8 s..."""
    return FIRST_BACKOFF * 2 ** min(retries, 30)


@dataclass
class SlotHold:
    """A download slot held back until ``until`` (monotonic time), and its own delay."""

    slot: Any  # scrapy.core.downloader.Slot
    delay: float
    until: float = 0.0

    def extend(self, seconds: float, now: float) -> None:
        self.until = max(self.until, now + seconds)
        # Scrapy's downloader sends a slot's next request once `slot.delay` has passed since
        # `slot.lastseen`, its last one; without a delay it does not look at the date at all.
        self.slot.lastseen = max(self.slot.lastseen, self.until)
        if not self.slot.delay:
            self.slot.delay = HELD_DELAY

    def release(self) -> None:
        if not self.delay:  # it had none: drop the one the hold needed
            self.slot.delay = 0.0


class RetryAfterMiddleware:
    """Retry 429 and 503 after the site's Retry-After (or a backoff), holding the host's slot."""

    def __init__(self, crawler: Crawler, max_wait: float, times: int, priority_adjust: int) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.max_wait = max_wait
        self.times = times
        self.priority_adjust = priority_adjust
        self.holds: dict[str, SlotHold] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        settings = crawler.settings
        max_wait = parse_seconds("SWAMPCRAWL_RETRY_AFTER_MAX", settings.get("SWAMPCRAWL_RETRY_AFTER_MAX", 120))
        times = parse_size("SWAMPCRAWL_RETRY_AFTER_TIMES", settings.get("SWAMPCRAWL_RETRY_AFTER_TIMES", 5))
        return cls(crawler, max_wait, times, settings.getint("RETRY_PRIORITY_ADJUST"))

    def process_response(self, request: Request, response: Response) -> Request | Response:
        key = request.meta.get("download_slot")
        if response.status not in STATUSES:
            self.release(key)
            return response
        self.hold(key, self.wait_for(response, request.meta.get(META_TIMES, 0)), response.status)
        if request.meta.get("dont_retry"):
            return response
        if request.meta.get(META_TIMES, 0) >= self.times:
            self.stats.inc_value(STATS + "max_reached")
            return response  # HttpErrorMiddleware turns it into the errback's "HTTP 429"
        return self.retry(request, response.status)

    def wait_for(self, response: Response, retries: int) -> float:
        asked = retry_after_seconds(response.headers.get("Retry-After"), response.headers.get("Date"))
        return min(backoff_seconds(retries) if asked is None else asked, self.max_wait)

    def hold(self, key: str | None, seconds: float, status: int) -> None:
        """Hold the slot ``key`` for ``seconds`` from now (longer if it is held longer already)."""
        slot = self.crawler.engine.downloader.slots.get(key) if key is not None else None
        if slot is None:
            return
        hold = self.holds.get(key)
        if hold is None or hold.slot is not slot:
            hold = self.holds[key] = SlotHold(slot, slot.delay)
            logger.info("HTTP %s from %s: holding its requests back for %.1f s", status, key, seconds)
        hold.extend(seconds, monotonic())
        self.stats.max_value(STATS + "longest_wait", seconds)

    def release(self, key: str | None) -> None:
        """The site answered otherwise: once the hold has passed, the slot gets its delay back."""
        hold = self.holds.get(key) if self.holds and key is not None else None
        if hold is not None and monotonic() >= hold.until:
            del self.holds[key]
            hold.release()
            logger.info("%s answers again: its requests go at their usual pace", key)

    def retry(self, request: Request, status: int) -> Request:
        retry = request.copy()
        retry.meta[META_TIMES] = request.meta.get(META_TIMES, 0) + 1
        retry.dont_filter = True
        retry.priority = request.priority + self.priority_adjust
        self.stats.inc_value(STATS + "count")
        self.stats.inc_value(f"{STATS}{status}")
        return retry
