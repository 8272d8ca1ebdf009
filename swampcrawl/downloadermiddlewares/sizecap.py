"""SizeCapMiddleware: no response body larger than its cap is read, kept or inflated.

The cap is ``SWAMPCRAWL_REQUISITE_MAX_SIZE`` for a requisite (``meta["requisite"]``) and
``SWAMPCRAWL_MAX_PAGE_SIZE`` for anything else, and it applies twice:

- to the raw body while it downloads. A response declaring a larger ``Content-Length`` is
  stopped at its headers; one without passes the cap chunk by chunk and is stopped there.
  Either way it is stopped with ``StopDownload(fail=False)``, which hands on what came with
  the ``download_stopped`` flag: the capture extension archives it (``WARC-Truncated:
  length``), then this middleware refuses it, so the spider never parses a cut page and its
  errback records "too large (over N bytes)";
- to the decoded body: HttpCompressionMiddleware (590, after this middleware's
  process_response at 595) decodes at most ``meta["download_maxsize"]`` bytes, which is set
  to the cap here, so a gzip bomb stops inflating at the cap ("too large (over N bytes
  decompressed)"); the compressed bytes are archived as they came.

While downloading, ``download_maxsize`` is Scrapy's ``DOWNLOAD_MAXSIZE``, a backstop above
both caps: Scrapy's own check would drop a body without archiving it.
"""

from __future__ import annotations

import logging

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import StopDownload
from scrapy.http import Headers, Response

from swampcrawl.config import SettingsError, parse_size
from swampcrawl.downloadermiddlewares import RequestRefused
from swampcrawl.requisites import DEFAULT_MAX_SIZE as DEFAULT_REQUISITE_MAX_SIZE

logger = logging.getLogger(__name__)

DEFAULT_PAGE_MAX_SIZE = 5_000_000
RECEIVED = "swampcrawl_bytes_received"  # meta: raw body bytes received so far
STATS = "swampcrawl/responses/too_large"


class ResponseTooLarge(RequestRefused):
    """A response whose body passed its cap (raw, or once decoded)."""


def too_large(cap: int, decoded: bool = False) -> str:
    return f"too large (over {cap:,} bytes{' decompressed' if decoded else ''})"


class SizeCapMiddleware:
    """Stop downloads at their cap, refuse the cut responses, cap decoding at the same size."""

    def __init__(self, crawler: Crawler, page_cap: int, requisite_cap: int, backstop: int) -> None:
        self.stats = crawler.stats
        self.page_cap = page_cap
        self.requisite_cap = requisite_cap
        self.backstop = backstop

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SizeCapMiddleware:
        settings = crawler.settings
        page_cap = parse_size("SWAMPCRAWL_MAX_PAGE_SIZE",
                              settings.get("SWAMPCRAWL_MAX_PAGE_SIZE", DEFAULT_PAGE_MAX_SIZE), minimum=1)
        requisite_cap = parse_size("SWAMPCRAWL_REQUISITE_MAX_SIZE",
                                   settings.get("SWAMPCRAWL_REQUISITE_MAX_SIZE", DEFAULT_REQUISITE_MAX_SIZE), minimum=1)
        backstop = parse_size("DOWNLOAD_MAXSIZE", settings.get("DOWNLOAD_MAXSIZE", 0))
        if backstop and backstop <= max(page_cap, requisite_cap):
            raise SettingsError(f"DOWNLOAD_MAXSIZE ({backstop}) must be 0 or above SWAMPCRAWL_MAX_PAGE_SIZE "
                                f"and SWAMPCRAWL_REQUISITE_MAX_SIZE ({max(page_cap, requisite_cap)})")
        middleware = cls(crawler, page_cap, requisite_cap, backstop)
        crawler.signals.connect(middleware.headers_received, signal=signals.headers_received)
        crawler.signals.connect(middleware.bytes_received, signal=signals.bytes_received)
        return middleware

    def cap(self, request: Request) -> int:
        return self.requisite_cap if request.meta.get("requisite") else self.page_cap

    def process_request(self, request: Request) -> None:
        # Raw bodies are capped by the signal handlers below; Scrapy's own check is only a
        # backstop (a retry or redirect copies the decoding cap set in process_response).
        request.meta["download_maxsize"] = self.backstop

    def headers_received(self, headers: Headers, body_length: object, request: Request) -> None:
        request.meta[RECEIVED] = 0
        if isinstance(body_length, int) and body_length > self.cap(request):
            raise StopDownload(fail=False)

    def bytes_received(self, data: bytes, request: Request) -> None:
        received = request.meta.get(RECEIVED, 0) + len(data)
        request.meta[RECEIVED] = received
        if received > self.cap(request):
            raise StopDownload(fail=False)

    def process_response(self, request: Request, response: Response) -> Response:
        cap = self.cap(request)
        if "download_stopped" in response.flags:
            self.stats.inc_value(STATS)
            raise ResponseTooLarge(too_large(cap), response.status)
        request.meta["download_maxsize"] = cap  # what HttpCompressionMiddleware may inflate
        return response
