"""Page requisites in a crawl: what each page loads (stylesheets, scripts, fonts, images),
fetched once per crawl, and not at all when an earlier crawl archived it already.

Pages name their requisites (``Listing.requisite_urls``, plus a story's hero image);
stylesheets name more (``@import``, fonts, images). Nothing else is ever followed from a
requisite, so no page of an image host is crawled. ``SWAMPCRAWL_REQUISITES`` chooses the
scope (``swampcrawl.requisites``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Response

from swampcrawl.pages.requisites import css_requisites
from swampcrawl.requisites import REQUISITE_KINDS, RequisiteScope, requisite_kind

from spiders.failures import asked_url, attempts, failure_reason, record_failure

STATS = "swampcrawl/requisites/"


class RequisitesMixin:
    """For VocalSpider: schedule requisites and read stylesheets for more."""

    requisite_scope: RequisiteScope
    warc_files: frozenset[str]

    def setup_requisites(self, settings: Any) -> None:
        self.requisite_scope = RequisiteScope.from_settings(settings, self.base_url)
        # Requisites archived by an earlier crawl (status 200) in a WARC file still in the folder
        # are not fetched again: build-named and content-addressed files do not change.
        warc_dir = Path(settings.get("SWAMPCRAWL_WARC_DIR") or "")
        self.warc_files = frozenset(path.name for path in warc_dir.glob("*.warc.gz")) if warc_dir.is_dir() else frozenset()
        self.allowed_domains += self.requisite_scope.allowed_hostnames()

    def requisite_requests(self, urls: Iterable[str | None]) -> Iterator[scrapy.Request]:
        if not self.requisite_scope.enabled:
            return
        stats = self.crawler.stats
        for url in urls:
            if not url or url in self.scheduled or not self.requisite_scope.allows(url):
                continue
            self.scheduled.add(url)
            if self.traps.refuses(url):
                continue
            if self.known_pages.archived(url, REQUISITE_KINDS, self.warc_files):
                stats.inc_value(STATS + "archived_before")
                continue
            stats.inc_value(STATS + "requested")
            # "requisite": capped at SWAMPCRAWL_REQUISITE_MAX_SIZE (swampcrawl.downloadermiddlewares.sizecap)
            yield scrapy.Request(url, callback=self.route_requisite, errback=self.requisite_failed,
                                 meta={"requisite": True})

    def route_requisite(self, response: Response) -> Iterator[scrapy.Request]:
        kind = requisite_kind(response.url, response.headers.get("Content-Type", b"").decode("latin-1")) or "other"
        self.crawler.stats.inc_value(f"{STATS}{kind}/{response.status}")
        if response.status >= 400:  # archived, and an errors row (swampcrawl.store.ingest)
            self.crawler.stats.inc_value(STATS + "failed")
            self.crawler.stats.inc_value("swampcrawl/requests/failed")
            self.logger.warning("failed: %s (HTTP %s)", response.url, response.status)
            return
        if kind == "stylesheet" and isinstance(response, scrapy.http.TextResponse):
            yield from self.requisite_requests(css_requisites(response.text, response.url))

    def requisite_failed(self, failure: Any) -> None:
        url, (reason, status) = asked_url(failure.request), failure_reason(failure)
        self.crawler.stats.inc_value(STATS + "failed")
        record_failure(self.crawler, self, url, self.requisite_scope.kind_of(url), reason, attempts(failure.request),
                       status)
