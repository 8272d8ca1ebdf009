"""``scrapy crawl communities``: every community page (the platform's categories).

Communities are discovered from the home page, the first global listing
page and the links between community pages; each gives a Community record
with its name, description and counts.
"""

from __future__ import annotations

from collections.abc import Iterable

from swampcrawl.urls import PageKind

from spiders.base import VocalSpider


class CommunitiesSpider(VocalSpider):
    name = "communities"
    item_kinds = frozenset({PageKind.COMMUNITY})
    follow_kinds = frozenset({PageKind.COMMUNITY})

    def start_paths(self) -> Iterable[str]:
        if self.communities:
            yield from (f"/{slug}" for slug in sorted(self.communities))
        else:
            yield from ("/", "/latest-stories", "/top-stories")
