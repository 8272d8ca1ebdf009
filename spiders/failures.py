"""Why a request failed, in one line for the ``errors`` table, and the signal that records it."""

from __future__ import annotations

import re
from typing import Any

from scrapy import exceptions as scrapy_errors
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as twisted_errors
from twisted.internet.defer import CancelledError
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

from swampcrawl.downloadermiddlewares import RequestRefused
from swampcrawl.downloadermiddlewares.redirectscope import LOOP
from swampcrawl.downloadermiddlewares.sizecap import too_large
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
# Scrapy's words for a body past download_maxsize: raw (the download cancelled), or decoded
# (HttpCompressionMiddleware's IgnoreRequest).
_RAW_MAXSIZE = re.compile(r"larger than download max size \((\d+)\)")
_DECODED_MAXSIZE = re.compile(r"exceeded DOWNLOAD_MAXSIZE \((\d+) B\) during decompression")
_MAX_REDIRECTIONS = "max redirections reached"


def failure_reason(failure: Any) -> tuple[str, int | None]:
    """(reason, last HTTP status or None) of a request's failure."""
    error = failure.value
    if isinstance(error, HttpError):
        return f"HTTP {error.response.status}", error.response.status
    if isinstance(error, RequestRefused):  # swampcrawl's middlewares say why themselves
        return str(error), error.status
    if isinstance(error, IgnoreRequest):
        return _ignored(str(error)), None
    for kinds, reason in _REASONS:
        if isinstance(error, kinds):
            if reason == "cancelled" and (found := _RAW_MAXSIZE.search(str(error))):
                return too_large(int(found.group(1))), None
            return reason, None
    return (str(error).splitlines() or [type(error).__name__])[0][:200] or type(error).__name__, None


def _ignored(message: str) -> str:
    if found := _DECODED_MAXSIZE.search(message):
        return too_large(int(found.group(1)), decoded=True)
    if message == _MAX_REDIRECTIONS:
        return LOOP
    return f"not fetched: {message}" if message else "not fetched (robots.txt or a filter)"


def asked_url(request: Any) -> str:
    """The URL the spider asked for: the first of a redirect chain (the one its page linked to,
    and its errors row names)."""
    return (request.meta.get("redirect_urls") or [request.url])[0]


def attempts(request: Any) -> int:
    """How many times a request was sent: the first time, RetryMiddleware's retries and
    RetryAfterMiddleware's (429 and 503)."""
    return request.meta.get("retry_times", 0) + request.meta.get("retry_after_times", 0) + 1


def record_failure(crawler: Any, spider: Any, url: str, kind: str, reason: str, attempts: int,
                   last_status: int | None) -> None:
    """Count and log a URL given up on, and announce it (the store pipeline records it)."""
    crawler.stats.inc_value("swampcrawl/requests/failed")
    spider.logger.warning("failed: %s (%s)", url, reason)
    crawler.signals.send_catch_log(request_failed, url=url, kind=kind, reason=reason, attempts=attempts,
                                   last_status=last_status, spider=spider)
