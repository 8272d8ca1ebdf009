"""Why a request failed, in one line for the ``errors`` table, and the signal that records it."""

from __future__ import annotations

from typing import Any

from scrapy import exceptions as scrapy_errors
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as twisted_errors
from twisted.internet.defer import CancelledError
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

from swampcrawl.signals import request_failed

# Scrapy's own download errors (2.14 and later), then Twisted's, which older code paths raise.
_REASONS = (
    ((scrapy_errors.DownloadConnectionRefusedError, twisted_errors.ConnectionRefusedError), "connection refused"),
    ((scrapy_errors.CannotResolveHostError, twisted_errors.DNSLookupError), "host not found"),
    ((scrapy_errors.DownloadTimeoutError, twisted_errors.TimeoutError, twisted_errors.TCPTimedOutError), "timeout"),
    ((scrapy_errors.ResponseDataLossError, ResponseFailed), "response cut short"),
    ((twisted_errors.ConnectionLost, twisted_errors.ConnectionDone, ResponseNeverReceived), "connection lost"),
    ((scrapy_errors.DownloadCancelledError, CancelledError), "cancelled"),
    (scrapy_errors.DownloadFailedError, "download failed"),
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
            if reason == "cancelled" and _over_size(failure):
                return f"too large (over {failure.request.meta['download_maxsize']:,} bytes)", None
            return reason, None
    return (str(error).splitlines() or [type(error).__name__])[0][:200] or type(error).__name__, None


def record_failure(crawler: Any, spider: Any, url: str, kind: str, reason: str, attempts: int,
                   last_status: int | None) -> None:
    """Count and log a URL given up on, and announce it (the store pipeline records it)."""
    crawler.stats.inc_value("swampcrawl/requests/failed")
    spider.logger.warning("failed: %s (%s)", url, reason)
    crawler.signals.send_catch_log(request_failed, url=url, kind=kind, reason=reason, attempts=attempts,
                                   last_status=last_status, spider=spider)


def _over_size(failure: Any) -> bool:
    """Scrapy cancels a download that passes the request's ``download_maxsize``, saying so."""
    message = str(failure.value).lower()
    return "maxsize" in message or "max size" in message
