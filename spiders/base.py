"""What the three spiders share: the site's URL rules, scope, and routing.

Spiders only route. Extraction is the page objects' job
(``swampcrawl.pages``); what a spider decides is which page kinds it follows
and which records it hands to the pipelines.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from w3lib.url import url_query_parameter

from swampcrawl.diskset import DiskSet
from swampcrawl.config import is_loopback, parse_base_url, parse_communities
from swampcrawl.downloadermiddlewares import traps
from swampcrawl.fleet.connection import redis_from_settings
from swampcrawl.fleet.dupefilter import SharedSeenSet
from swampcrawl.fleet.keys import CrawlKeys
from swampcrawl.pages import read_page
from swampcrawl.pages.links import rules_for
from swampcrawl.records import Listing
from swampcrawl.recheck import RecheckPolicy, parse_recheck
from swampcrawl.records.provenance import capture_time, with_provenance
from swampcrawl.urls import STORY_KINDS, PageKind, UrlRules

from spiders.failures import asked_url, attempts, failure_reason, record_failure
from spiders.known import DueStories, KnownPages
from spiders.requisites import RequisitesMixin

LISTING_KINDS = frozenset({PageKind.COMMUNITY_LISTING, PageKind.TAG_LISTING, PageKind.GLOBAL_LISTING})
# The table holding the row read from a page of each kind a spider makes records of.
ROW_TABLES = {PageKind.STORY: "stories", PageKind.RESOURCES_STORY: "stories", PageKind.CREATOR: "creators",
              PageKind.COMMUNITY: "communities"}

SPIDER_PRIORITY = SETTINGS_PRIORITIES["spider"]

# Settings lifted when the base URL is a loopback address (the replica):
# politeness protects a real site, not a server on this machine.
LOOPBACK_SETTINGS = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
}


# Fleet mode (docs/fleet.md), switched on by SWAMPCRAWL_REDIS_URL: scrapy-redis's scheduler and
# duplicate filter with leases, JSON in Redis (never pickle), and the fleet's components in
# place of the single crawl's.
FLEET_SETTINGS = {
    "SCHEDULER": "swampcrawl.fleet.scheduler.FleetScheduler",
    "SCHEDULER_PERSIST": True,
    "SCHEDULER_IDLE_BEFORE_CLOSE": 0,
    "SCHEDULER_QUEUE_CLASS": "swampcrawl.fleet.queue.LeasedPriorityQueue",
    "SCHEDULER_SERIALIZER": "swampcrawl.fleet.serializer",
    "DUPEFILTER_CLASS": "swampcrawl.fleet.dupefilter.FleetDupeFilter",
}
# Components swapped in fleet mode, per dict setting: {component: priority, or None: disabled}.
FLEET_COMPONENTS = {
    "EXTENSIONS": {"swampcrawl.fleet.worker.FleetWorker": 200},
    # Rows go to Redis, for `swampcrawl ingest` to write: the database has one writer.
    "ITEM_PIPELINES": {"pipelines.store.StorePipeline": None, "pipelines.fleet.FleetPipeline": 300},
    # One request rate per host for the fleet (just before the download), robots.txt fetched once.
    "DOWNLOADER_MIDDLEWARES": {
        "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
        "swampcrawl.fleet.robots.SharedRobotsTxt": 100,
        "swampcrawl.fleet.politeness.SharedRateLimit": 950,
    },
}


def apply_fleet_settings(settings: BaseSettings, redis_url: str) -> None:
    """Switch a crawl's settings to fleet mode, at spider priority (or the priority a dict
    setting was given at, so that ``-s ITEM_PIPELINES=...`` cannot bring the store back)."""
    for name, value in {**FLEET_SETTINGS, "REDIS_URL": redis_url}.items():
        settings.set(name, value, priority="spider")
    for name, changes in FLEET_COMPONENTS.items():
        priority = max(settings.getpriority(name) or 0, SPIDER_PRIORITY)
        settings.set(name, {**settings.getdict(name), **changes}, priority=priority)


# The deepest ?page=N of a listing whose story count nothing declares (when
# SWAMPCRAWL_MAX_LISTING_PAGES is 0): a listing past it is a trap, or a site of 40,000 stories.
UNKNOWN_LISTING_PAGES = 2000


def listing_page_bound(declared: int | None, cards_per_page: int) -> int:
    """The deepest ``?page=N`` worth following in a listing of ``declared`` stories shown
    ``cards_per_page`` a page: its pages, half as many again (counts lag behind listings, which
    also repeat cards), plus five; UNKNOWN_LISTING_PAGES when no count is declared."""
    if not declared or cards_per_page < 1:
        return UNKNOWN_LISTING_PAGES
    return math.ceil(math.ceil(declared / cards_per_page) * 1.5) + 5


class TrapGuard:
    """Links never asked for (``swampcrawl.downloadermiddlewares.traps``): each is counted in
    ``swampcrawl/requests/trap``; each kind is logged once."""

    def __init__(self, max_length: int, crawler: Any, logger: Any) -> None:
        self.max_length, self.crawler, self.logger = max_length, crawler, logger
        self.logged: set[str] = set()

    def refuses(self, url: str) -> bool:
        kind = traps.trap_kind(url, self.max_length)
        if kind is None:
            return False
        self.crawler.stats.inc_value(traps.STATS)
        if kind not in self.logged:
            self.logged.add(kind)
            self.logger.warning("not requesting URLs %s (crawler traps; counted in swampcrawl/requests/trap), "
                                "such as %s", kind, url[:200])
        return True


def is_later_page(url: str) -> bool:
    page = url_query_parameter(url, "page")
    return page is not None and page != "1"


def community_of(url: str) -> str:
    """The first path segment: a community slug for community-scoped pages."""
    return urlsplit(url).path.strip("/").split("/")[0]


class VocalSpider(RequisitesMixin, scrapy.Spider):
    """Base of the stories, creators and communities spiders."""

    #: page kinds this spider requests when it finds links to them
    follow_kinds: frozenset[PageKind] = frozenset()
    #: page kinds whose records this spider hands to the pipelines
    item_kinds: frozenset[PageKind] = frozenset()

    def __init__(self, *args: Any, community: str | None = None, recheck: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.communities = parse_communities(community)
        self.recheck_mode = parse_recheck(recheck)
        self.stops_at_known = False
        self.due: DueStories | None = None
        self.base_url = ""
        self.rules: UrlRules | None = None
        # The URLs this crawl asked for, on disk: memory stays flat however large the site.
        self.scheduled = DiskSet()
        # Story counts the community pages of this crawl declare, by slug (listing bounds).
        self.community_counts: dict[str, int] = {}

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        base = settings.get("SWAMPCRAWL_BASE_URL") or ""
        if is_loopback(str(base)):
            for name, value in LOOPBACK_SETTINGS.items():
                settings.set(name, value, priority="spider")
        redis_url = settings.get("SWAMPCRAWL_REDIS_URL")
        if redis_url:
            apply_fleet_settings(settings, str(redis_url))

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> VocalSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.base_url = parse_base_url(crawler.settings.get("SWAMPCRAWL_BASE_URL"))
        # The rules read_page uses too: one cache of classified and normalised URLs per site.
        spider.rules = rules_for(spider.base_url)
        spider.allowed_domains = [urlsplit(spider.base_url).hostname]
        spider.max_listing_pages = crawler.settings.getint("SWAMPCRAWL_MAX_LISTING_PAGES")
        spider.traps = TrapGuard(traps.max_url_length(crawler.settings), crawler, spider.logger)
        spider.known_pages = KnownPages(crawler.settings.get("SWAMPCRAWL_DB"))
        if crawler.settings.get("SWAMPCRAWL_REDIS_URL"):
            # One fleet crawl: the URLs any worker asked for (this worker's own looked up first).
            spider.scheduled = SharedSeenSet(redis_from_settings(crawler.settings), CrawlKeys(spider.name).scheduled,
                                             local=spider.scheduled)
        spider.stored_site_count = spider.known_pages.declared_story_count()
        spider.setup_requisites(crawler.settings)
        spider.conditional_requests = crawler.settings.getbool("SWAMPCRAWL_CONDITIONAL_REQUESTS", True)
        spider.policy = RecheckPolicy.from_settings(crawler.settings, spider.recheck_mode)
        # Listings stop at known stories only after a run of this spider that finished: after a
        # killed or stopped one they are read on, so a backfill resumes where it stopped.
        known = spider.known_pages
        spider.stops_at_known = known.has_stories() and known.last_run_completed(spider.name)
        spider.due = spider.due_snapshot()
        crawler.signals.connect(spider.close_known_pages, signal=signals.spider_closed)
        crawler.signals.connect(spider.recheck_known, signal=signals.spider_idle)
        return spider

    def close_known_pages(self) -> None:
        self.known_pages.close()
        self.scheduled.close()
        if self.due is not None:
            self.due.close()

    # --- incremental crawls ---

    def stories_to_fetch(self) -> int | None:
        """Stories a backfill still has to fetch, by the site's declared counts (None: unknown,
        or an incremental run, whose length no count foretells)."""
        declared = self.known_pages.declared_story_count()
        if not self.item_kinds & STORY_KINDS or self.stops_at_known or not declared:
            return None
        return max(declared - self.known_pages.stored_story_count(), 0) or None

    def due_snapshot(self) -> DueStories | None:
        """The stored pages of this spider's kind due for a recheck (None: none are rechecked)."""
        return None

    def recheck_known(self) -> None:
        """When the listings are exhausted, ask (conditionally) for the stored pages that are
        due and were not asked for yet: a 304 confirms one, a 404 records a story's removal, a
        301 leads to its new slug."""
        if self.due is None:
            return
        due, self.due = self.due, None
        rechecked = 0
        for url in due:
            request = self.request_for(url)  # None when this run asked for it already
            if request is not None:
                self.crawler.engine.crawl(request)
                rechecked += 1
        due.close()
        if rechecked:
            self.crawler.stats.set_value(f"swampcrawl/{self.name}/rechecked", rechecked)
            raise DontCloseSpider

    # --- start ---

    def start_paths(self) -> Iterable[str]:
        raise NotImplementedError

    async def start(self) -> AsyncIterator[scrapy.Request]:
        to_fetch = self.stories_to_fetch()
        if to_fetch:  # lets the progress line estimate what is left
            self.crawler.stats.set_value("swampcrawl/site/story_count", to_fetch)
        for path in self.start_paths():
            request = self.request_for(self.base_url + path)
            if request is not None:
                yield request

    def request_for(self, url: str, **meta: Any) -> scrapy.Request | None:
        """A request for a normalised URL not yet scheduled by this crawl, else None.

        Dropping seen links here, before a Request is built, is what keeps
        link-heavy pages cheap (measured 2.3x faster than leaving it to the
        dupefilter). Start requests go through here too, so the
        dupefilter records them (Scrapy's default start requests skip it).
        """
        if not self.scheduled.add(url) or self.traps.refuses(url):
            return None
        # A page whose record this spider makes, stored before, is asked for conditionally:
        # unchanged, it costs a 304. Pages it reads for their links (community pages for the
        # stories spider) are always fetched whole: a 304 has no links to follow.
        kind = self.rules.classify(url)
        conditional = self.conditional_requests and kind in self.item_kinds
        headers = self.known_pages.validators(url, ROW_TABLES[kind]) if conditional else {}
        return scrapy.Request(url, callback=self.route, errback=self.failed, meta=meta, headers=headers)

    # --- routing ---

    def route(self, response: Response) -> Iterator[Any]:
        kind = self.rules.classify(response.url)
        self.crawler.stats.inc_value(f"swampcrawl/pages/{kind}/{response.status}")
        if response.status in (304, 404, 410):
            # Not modified since the last capture, a removed story (the store pipeline
            # records both from the capture) or a listing past its end: nothing to read.
            return
        if "download_stopped" in response.flags:
            # Cut at its size cap (swampcrawl.downloadermiddlewares.sizecap refuses it before it
            # gets here): half a page must never pass for a whole one.
            self.failed_response(response, "download stopped before the end of the body")
            return
        if not isinstance(response, scrapy.http.TextResponse):
            return
        # Where the capture extension archived the response (absent when archiving is off).
        ref = response.meta.get("warc")
        # Community pages are read for their declared story count too (listing bounds).
        record, links = read_page(
            response.body, response.url, capture_time(ref), self.base_url,
            want_record=kind in self.item_kinds or kind == PageKind.COMMUNITY,
            content_type=response.headers.get("Content-Type", b"").decode("latin-1") or None,
        )
        if kind == PageKind.COMMUNITY and getattr(record, "story_count", None):
            self.community_counts[community_of(response.url)] = record.story_count
        if record is not None and kind in self.item_kinds:
            yield with_provenance(record, ref)
        yield from self.requisite_requests([*links.requisite_urls, getattr(record, "hero_image_url", None)])
        yield from self.follow(response, links, record)

    def follow(self, response: Response, links: Listing, record: Any = None) -> Iterator[scrapy.Request]:
        for url in self.candidate_links(links):
            if self.in_scope(url) and self.wants(url):
                request = self.request_for(url)
                if request is not None:
                    yield request
        next_request = self.next_page(response, links, record)
        if next_request is not None:
            yield next_request

    def candidate_links(self, links: Listing) -> Iterator[str]:
        """Links of the kinds this spider follows; later pages of a listing
        are reached only through next_page, which knows when to stop."""
        for group in (links.story_urls, links.creator_urls, links.community_urls, links.tag_urls, links.listing_urls):
            for url in group:
                if url in self.scheduled:  # most links of a page: the cheapest test first
                    continue
                if self.rules.classify(url) in self.follow_kinds and not is_later_page(url):
                    yield url

    def next_page(self, response: Response, links: Listing, record: Any = None) -> scrapy.Request | None:
        """Follow ``?page=N`` while the page brought stories the previous page did not, up to
        the listing's bound.

        A site that ignores ``page`` and serves the same cards forever is a
        trap; comparing with the previous page catches it. One whose every page
        brings new cards is stopped by its bound (``listing_page_bound``). A 404 past
        the end stops the chain too (route follows nothing from a 404).
        """
        if not links.next_page_url or self.rules.classify(links.next_page_url) not in self.follow_kinds:
            return None
        cards = frozenset(links.story_urls)
        if not cards or cards <= response.meta.get("previous_cards", frozenset()):
            return None
        if self.all_known(cards):
            # Every story of this page was stored before: latest-first listings hold nothing
            # newer further on (and top-stories and tag listings only repeat what they show).
            self.crawler.stats.inc_value("swampcrawl/listings/stopped_at_known")
            return None
        depth = response.meta.get("listing_page", 1) + 1
        declared = self.declared_story_count(response, record)
        cards_per_page = response.meta.get("cards_per_page") or len(cards)
        bound = self.max_listing_pages or listing_page_bound(declared, cards_per_page)
        if depth > bound:
            self.stopped_at_bound(response.url, bound, declared)
            return None
        if not self.in_scope(links.next_page_url):
            return None
        return self.request_for(links.next_page_url, previous_cards=cards, listing_page=depth,
                                cards_per_page=cards_per_page, declared_count=declared)

    def stopped_at_bound(self, url: str, bound: int, declared: int | None) -> None:
        self.crawler.stats.inc_value("swampcrawl/listings/stopped_at_bound")
        self.logger.info("listing %s stopped after page %d, its bound (%s)", url.split("?")[0], bound,
                         f"{declared:,} stories declared" if declared else "no story count declared")

    def declared_story_count(self, response: Response, record: Any) -> int | None:
        """How many stories the site says a listing holds: a community's listings (tag listings
        among them) as its community page says, a creator's pages as its profile says (carried
        from page to page), the global listings as the communities stored say in all."""
        kind = self.rules.classify(response.url)
        if kind == PageKind.CREATOR:
            return getattr(record, "story_count", None) or response.meta.get("declared_count")
        if kind == PageKind.GLOBAL_LISTING:
            if not self.stored_site_count:  # this run's communities alone may not be all of them
                return None
            return max(self.stored_site_count, sum(self.community_counts.values()))
        return self.community_counts.get(community_of(response.url))

    def all_known(self, story_urls: frozenset[str]) -> bool:
        """Whether every story of a listing page was stored before, which ends the listing."""
        return self.stops_at_known and all(self.known_pages.story(url) is not None for url in story_urls)

    def wants(self, url: str) -> bool:
        """Whether a link found on a page is worth a request (the stories spider skips known
        stories that are not due for a recheck)."""
        return True

    def in_scope(self, url: str) -> bool:
        """With ``-a community=...``, only that community's pages (and creators) are in scope."""
        if not self.communities:
            return True
        kind = self.rules.classify(url)
        if kind == PageKind.CREATOR:
            return True
        if kind == PageKind.GLOBAL_LISTING:
            return False
        return community_of(url) in self.communities

    # --- failures ---

    def failed(self, failure: Any) -> None:
        """A request that failed after retries: recorded (an ``errors`` row); the crawl goes on."""
        reason, status = failure_reason(failure)
        self.record_failed(failure.request, reason, status)

    def failed_response(self, response: Response, reason: str) -> None:
        self.record_failed(response.request, reason, response.status)

    def record_failed(self, request: scrapy.Request, reason: str, status: int | None) -> None:
        url = asked_url(request)
        record_failure(self.crawler, self, url, str(self.rules.classify(url)), reason, attempts(request), status)
