"""``scrapy crawl stories``: every story reachable from the listings (the main job).

Starts at the global listings (or, with ``-a community=...``, at those
communities' pages and listings), follows community, listing and tag pages
to discover stories, and hands a Story record per story page and a
Community record per community page to the pipelines.
"""

from __future__ import annotations

from collections.abc import Iterable

from swampcrawl.urls import PageKind

from spiders.base import LISTING_KINDS, STORY_KINDS, VocalSpider


class StoriesSpider(VocalSpider):
    name = "stories"
    follow_kinds = STORY_KINDS | LISTING_KINDS | {PageKind.COMMUNITY}

    def start_paths(self) -> Iterable[str]:
        if self.communities:
            for slug in sorted(self.communities):
                yield from (f"/{slug}", f"/{slug}/latest-stories", f"/{slug}/top-stories")
        else:
            yield from ("/latest-stories", "/top-stories", "/")

    @property
    def item_kinds(self) -> frozenset[PageKind]:
        return STORY_KINDS | {PageKind.COMMUNITY}
