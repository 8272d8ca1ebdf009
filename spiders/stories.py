"""``scrapy crawl stories``: every story reachable from the listings (the main job).

Starts at the global listings (or, with ``-a community=...``, at those
communities' pages and listings) and follows community, listing and tag pages
to discover stories. Each story page gives a Story record; the store pipeline
also records its creator and community by slug and name, which the creators
and communities spiders complete.
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
        return STORY_KINDS
