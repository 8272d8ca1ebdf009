"""``scrapy crawl stories``: every story reachable from the listings (the main job).

Starts at the global listings (or, with ``-a community=...``, at those
communities' pages and listings) and follows community, listing and tag pages
to discover stories. Each story page gives a Story record; the store pipeline
also records its creator and community by slug and name, which the creators
and communities spiders complete.
"""

from __future__ import annotations

from collections.abc import Iterable

from swampcrawl.urls import STORY_KINDS, PageKind

from spiders.base import LISTING_KINDS, VocalSpider
from spiders.known import DueStories


class StoriesSpider(VocalSpider):
    name = "stories"
    item_kinds = STORY_KINDS
    follow_kinds = STORY_KINDS | LISTING_KINDS | {PageKind.COMMUNITY}

    def due_snapshot(self) -> DueStories:
        return self.known_pages.due_snapshot(self.known_pages.live_stories(self.base_url + "/"), self.policy.is_due,
                                             self.in_scope)

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

    def _start_paths(self) -> Iterable[str]:
        if self.communities:
            for slug in sorted(self.communities):
                yield from (f"/{slug}", f"/{slug}/latest-stories", f"/{slug}/top-stories")
        else:
            yield from ("/latest-stories", "/top-stories", "/")
