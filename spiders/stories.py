"""``scrapy crawl stories``: every story reachable from the listings (the main job).

Starts at the global listings (or, with ``-a community=...``, at those
communities' pages and listings) and follows community, listing and tag pages
to discover stories. Each story page gives a Story record; the store pipeline
also records its creator and community by slug and name, which the creators
and communities spiders complete.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from scrapy import signals
from scrapy.exceptions import DontCloseSpider

from swampcrawl.recheck import RecheckPolicy, parse_recheck
from swampcrawl.urls import STORY_KINDS, PageKind

from spiders.base import LISTING_KINDS, VocalSpider


class StoriesSpider(VocalSpider):
    name = "stories"
    item_kinds = STORY_KINDS
    follow_kinds = STORY_KINDS | LISTING_KINDS | {PageKind.COMMUNITY}

    def __init__(self, *args: Any, recheck: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.recheck_mode = parse_recheck(recheck)
        self.resuming = False
        self.stops_at_known = False
        self.rechecked = False

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> StoriesSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.policy = RecheckPolicy.from_settings(crawler.settings, spider.recheck_mode)
        # After a run that did not finish (killed, stopped), listings are read past the known
        # stories, so the backfill resumes where it stopped; stored stories are not fetched again.
        known = spider.known_pages
        spider.resuming = known.has_stories() and not known.last_run_completed(spider.name)
        spider.stops_at_known = known.has_stories() and not spider.resuming
        spider.due = known.due_snapshot(spider.base_url + "/", spider.policy.is_due, spider.in_scope)
        crawler.signals.connect(spider.recheck_known, signal=signals.spider_idle)
        return spider

    def wants(self, url: str) -> bool:
        """A known story is asked for again only when due (``swampcrawl.recheck``)."""
        times = self.known_pages.story(url)
        if times is not None and not self.policy.is_due(*times):
            self.crawler.stats.inc_value("swampcrawl/stories/not_due")
            return False
        return True

    def candidate_links(self, links):  # type: ignore[override]
        """In an incremental run, top-stories and tag listings are not read: they only show,
        in another order, stories the latest-first listings show (every new story is on the
        first pages of those), and their paging cannot stop at the first known story."""
        for url in super().candidate_links(links):
            if self.stops_at_known and self.rules.classify(url) in LISTING_KINDS and "/latest-stories" not in url:
                self.crawler.stats.inc_value("swampcrawl/listings/skipped_reordered")
                continue
            yield url

    def start_paths(self) -> Iterable[str]:
        paths = list(self._start_paths())
        if self.stops_at_known:
            paths = [path for path in paths if "/top-stories" not in path]
        return paths

    def all_known(self, story_urls: frozenset[str]) -> bool:
        return self.stops_at_known and all(self.known_pages.story(url) is not None for url in story_urls)

    def recheck_known(self) -> None:
        """When the listings are exhausted, ask (conditionally) for the stored stories that are
        due and were not asked for yet: a 304 confirms one, a 404 records its removal, a 301
        leads to its new slug."""
        if self.rechecked:
            return
        self.rechecked = True
        rechecked = 0
        for url in self.due:
            request = self.request_for(url)  # None when this run asked for it already
            if request is not None:
                self.crawler.engine.crawl(request)
                rechecked += 1
        self.due.close()
        if rechecked:
            self.crawler.stats.set_value("swampcrawl/stories/rechecked", rechecked)
            raise DontCloseSpider

    def _start_paths(self) -> Iterable[str]:
        if self.communities:
            for slug in sorted(self.communities):
                yield from (f"/{slug}", f"/{slug}/latest-stories", f"/{slug}/top-stories")
        else:
            yield from ("/latest-stories", "/top-stories", "/")
