"""Why a request failed, in one line for the ``errors`` table, and the signal that records it."""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as twisted_errors
from twisted.internet.defer import CancelledError
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

from swampcrawl.signals import request_failed

_REASONS = (
    (twisted_errors.ConnectionRefusedError, "connection refused"),
    (twisted_errors.DNSLookupError, "host not found"),
    ((twisted_errors.TimeoutError, twisted_errors.TCPTimedOutError), "timeout"),
    ((twisted_errors.ConnectionLost, twisted_errors.ConnectionDone, ResponseNeverReceived), "connection lost"),
    (ResponseFailed, "response cut short"),
    (CancelledError, "cancelled (too large, or the crawl stopped)"),
)


def failure_reason(failure: Any) -> tuple[str, int | None]:
    """(reason, last HTTP status or None) of a request's failure."""
    error = failure.value
    if isinstance(error, HttpError):
        return f"HTTP {error.response.status}", error.response.status
    if isinstance(error, IgnoreRequest):
        return f"not fetched: {error}" if str(error) else "not fetched (robots.txt or a filter)", None
    for kinds, reason in _REASONS:
        if isinstance(error, kinds):
            return reason, None
    return (str(error).splitlines() or [type(error).__name__])[0][:200] or type(error).__name__, None


def record_failure(crawler: Any, spider: Any, url: str, kind: str, reason: str, attempts: int,
                   last_status: int | None) -> None:
    """Count and log a URL given up on, and announce it (the store pipeline records it)."""
    crawler.stats.inc_value("swampcrawl/requests/failed")
    spider.logger.warning("failed: %s (%s)", url, reason)
    crawler.signals.send_catch_log(request_failed, url=url, kind=kind, reason=reason, attempts=attempts,
                                   last_status=last_status, spider=spider)
