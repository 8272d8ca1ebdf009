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


class CreatorsSpider(VocalSpider):
    name = "creators"
    item_kinds = frozenset({PageKind.CREATOR})
    follow_kinds = frozenset({PageKind.CREATOR, PageKind.GLOBAL_LISTING, PageKind.COMMUNITY_LISTING})

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
