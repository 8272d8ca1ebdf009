"""WarcCapture: the Scrapy extension that archives every HTTP exchange as it is downloaded.

It listens to ``response_downloaded``, which sees each raw response (3xx and errors included)
before decompression, so the archived body is exactly what came over the wire. Each written
response is announced with swampcrawl's ``response_archived`` signal (the store pipeline
records it), and its ``WarcRef`` goes into ``request.meta["warc"]`` for the spider to carry
into the record extracted from it. Each scraped record is then written as a ``metadata``
record referring to its response (``WARC-Target-URI: urn:pageinfo:<url>``, a URI no browser
asks for, so replay tools never serve it for the page). Other components reach it with
``crawler.get_extension(WarcCapture)``.

Enable it in EXTENSIONS: ``{"archive.capture.WarcCapture": 100}``.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime
from typing import Any, Callable

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro

from swampcrawl.config import warc_writer_options
from swampcrawl.records import Record
from swampcrawl.records.provenance import WarcRef
from swampcrawl.signals import response_archived
from swampcrawl.store.ingest import header_pairs

from archive.warcrecord import utc_now
from archive.writer import WarcWriter

logger = logging.getLogger(__name__)

META_KEY = "warc"
STATS = "swampcrawl/warc/"
PAGEINFO = "urn:pageinfo:"
# Bodies are in the response record already; the content hash proves which text was read.
METADATA_LEFT_OUT = frozenset({"body_html", "body_text"})
# Settings copied into each file's warcinfo record, so the archive says how it was made.
RECORDED_SETTINGS = (
    "SWAMPCRAWL_BASE_URL", "USER_AGENT", "ROBOTSTXT_OBEY", "DOWNLOAD_DELAY", "CONCURRENT_REQUESTS",
    "CONCURRENT_REQUESTS_PER_DOMAIN", "AUTOTHROTTLE_ENABLED", "DEPTH_LIMIT", "COOKIES_ENABLED",
)


def _warcinfo(crawler: Crawler) -> dict[str, str]:
    settings = crawler.settings
    recorded = {name: settings.get(name) for name in RECORDED_SETTINGS if settings.get(name) is not None}
    return {
        "isPartOf": getattr(crawler.spidercls, "name", ""),
        "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
        "http-header-user-agent": settings.get("USER_AGENT", ""),
        "swampcrawl-settings": json.dumps(recorded, sort_keys=True, default=str),
    }


def truncation(flags: list[str]) -> str | None:
    """``WARC-Truncated`` of a response: ``length`` when its download was stopped at its size
    cap (swampcrawl.downloadermiddlewares.sizecap), ``disconnect`` when the connection ended
    before the body did."""
    if "download_stopped" in flags:
        return "length"
    return "disconnect" if "dataloss" in flags else None


class WarcCapture:
    """Writes a request and a response (or revisit) record for each downloaded response."""

    def __init__(self, crawler: Crawler, writer: WarcWriter, clock: Callable[[], datetime] = utc_now) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.writer = writer
        self.clock = clock
        self.closed = False
        self.stopping = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "WarcCapture":
        settings = crawler.settings
        if settings.getbool("SWAMPCRAWL_INTERACTIVE"):
            raise NotConfigured("scrapy shell / parse: nothing is archived")
        directory = settings.get("SWAMPCRAWL_WARC_DIR", "data/warc")
        if not directory:
            raise NotConfigured("SWAMPCRAWL_WARC_DIR is empty: not archiving")
        # A fleet worker shares its folder with others: its files are named after its process too.
        process = str(os.getpid()) if settings.get("SWAMPCRAWL_REDIS_URL") else None
        writer = WarcWriter(directory, warcinfo=_warcinfo(crawler), process=process, **warc_writer_options(settings))
        capture = cls(crawler, writer)
        # Receivers are weak references: connect bound methods of an object the crawler keeps.
        crawler.signals.connect(capture.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(capture.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(capture.spider_closed, signal=signals.spider_closed)
        for name in ("records_written", "revisits", "bytes_written", "errors"):
            crawler.stats.set_value(STATS + name, 0)
        return capture

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        # Scrapy only logs exceptions raised here: count them so tests and runs can see them.
        try:
            ref = self.write_response(response, request)
        except Exception as error:
            self.archive_failed(response.url, error)
            return
        request.meta[META_KEY] = ref
        self.crawler.signals.send_catch_log(response_archived, response=response, request=request,
                                            ref=ref, spider=spider)

    def archive_failed(self, url: str, error: Exception) -> None:
        """An archive that cannot be written (a full disk, a lost folder) ends the crawl: pages
        fetched but not archived would be lost to the archivist. The run ends as ``failed``."""
        self.stats.inc_value(STATS + "errors")
        if isinstance(error, OSError):
            logger.error("could not archive %s: %s; stopping the crawl", url, error)
        else:
            logger.exception("could not archive %s; stopping the crawl", url)
        engine = self.crawler.engine
        if not self.stopping and engine is not None and engine.spider is not None:
            self.stopping = True
            deferred_from_coro(engine.close_spider_async(reason="archive_failed"))

    def item_scraped(self, item: Any, response: Response, spider: Spider) -> None:
        """Write what was extracted from a response beside it, as a ``metadata`` record."""
        if isinstance(item, Record) and item.warc_record_id:
            payload = {key: value for key, value in item.page_dump().items() if key not in METADATA_LEFT_OUT}
            payload["record_type"] = type(item).__name__.lower()
            url = getattr(item, "url", None) or response.url
            self.write_metadata(PAGEINFO + url, item.warc_record_id, payload)

    def write_response(self, response: Response, request: Request) -> WarcRef:
        location = self.writer.write_exchange(
            url=response.url,
            method=request.method,
            request_headers=header_pairs(request.headers),
            request_body=request.body,
            protocol=response.protocol or "HTTP/1.1",
            status=response.status,
            response_headers=header_pairs(response.headers),
            body=response.body,
            date=self.clock(),
            truncated=truncation(response.flags),
            ip_address=str(response.ip_address) if response.ip_address else None,
        )
        self.stats.inc_value(STATS + "records_written", 2)
        if location.revisit:
            self.stats.inc_value(STATS + "revisits")
        self.stats.set_value(STATS + "bytes_written", self.writer.bytes_written)
        return location

    def write_metadata(self, target_uri: str, refers_to_record_id: str | None, payload: dict) -> WarcRef | None:
        """Record an extracted item beside its response; None (and an error counted) on failure."""
        if self.closed:
            return None
        try:
            location = self.writer.write_metadata(target_uri, refers_to_record_id, payload, self.clock())
        except Exception:
            self.stats.inc_value(STATS + "errors")
            logger.exception("could not write metadata for %s", target_uri)
            return None
        self.stats.inc_value(STATS + "records_written")
        self.stats.set_value(STATS + "bytes_written", self.writer.bytes_written)
        return location

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Seal the last file; sealing also merges its records into the folder's index.cdxj."""
        self.closed = True
        try:
            self.writer.close()
        except Exception:
            self.stats.inc_value(STATS + "errors")
            logger.exception("could not close the WARC writer or write the index")
        self.stats.set_value(STATS + "files", len(self.writer.files_written))
