"""``scrapy crawl creators``: every creator's profile page, all its pages.

Creators are discovered from the story cards of the global latest-stories
listing (or, with ``-a community=...``, those communities' listings) and
from the Top Creators of community pages. Each creator page, paged with
``?page=N``, gives a Creator record: profile fields from the first page and
the story URLs listed on every page.
"""

from __future__ import annotations

from collections.abc import Iterable

from swampcrawl.urls import PageKind

from spiders.base import VocalSpider
from spiders.known import DueStories


class CreatorsSpider(VocalSpider):
    name = "creators"
    item_kinds = frozenset({PageKind.CREATOR})
    follow_kinds = frozenset({PageKind.CREATOR, PageKind.GLOBAL_LISTING, PageKind.COMMUNITY_LISTING})

    def due_snapshot(self) -> DueStories:
        """Stored creators due for a recheck: with ``-a recheck=all`` every one; by default
        those last seen longer ago than an old story's interval. Creators on the listing pages
        this run reads (the recently active ones) are asked for anyway, conditionally."""
        rows = self.known_pages.profiles("creators", self.base_url + "/")
        return self.known_pages.due_snapshot(rows, self.creator_is_due, lambda url: True)

    def creator_is_due(self, published_at: str | None, last_seen_at: str | None) -> bool:
        return self.policy.is_due("1970-01-01T00:00:00Z", last_seen_at)  # a profile ages as an old story

    def start_paths(self) -> Iterable[str]:
        if self.communities:
            for slug in sorted(self.communities):
                yield f"/{slug}/latest-stories"
        else:
            yield "/latest-stories"

    def candidate_links(self, links):  # type: ignore[override]
        # Only the latest-stories listings: every story (so every creator) is
        # on them once; top-stories and tag pages would only repeat them.
        for url in super().candidate_links(links):
            kind = self.rules.classify(url)
            if kind == PageKind.CREATOR or "/latest-stories" in url:
                yield url
