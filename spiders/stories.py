"""``scrapy crawl stories``: every story reachable from the listings (the main job).

Starts at the global listings (or, with ``-a community=...``, at those
communities' pages and listings) and follows community, listing and tag pages
to discover stories. Each story page gives a Story record; the store pipeline
also records its creator and community by slug and name, which the creators
and communities spiders complete.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.exceptions import DontCloseSpider

from swampcrawl.store import Store
from swampcrawl.urls import STORY_KINDS, PageKind

from spiders.base import LISTING_KINDS, VocalSpider


class StoriesSpider(VocalSpider):
    name = "stories"
    item_kinds = STORY_KINDS
    follow_kinds = STORY_KINDS | LISTING_KINDS | {PageKind.COMMUNITY}

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> StoriesSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.known = spider.known_stories(crawler.settings.get("SWAMPCRAWL_DB"))
        crawler.signals.connect(spider.recheck_known, signal=signals.spider_idle)
        return spider

    def known_stories(self, db_path: str) -> list[str]:
        """Stories stored by earlier runs, in scope, not known to be removed."""
        if not db_path or not Path(db_path).is_file():
            return []
        with Store(db_path) as store:
            urls = store.live_story_urls()
        return [url for url in urls if url.startswith(self.base_url + "/") and self.in_scope(url)]

    def recheck_known(self) -> None:
        """When the listings are exhausted, ask once more for stored stories they no
        longer list: a 404 records the removal, a 301 leads to the new slug."""
        missing, self.known = [url for url in self.known if url not in self.scheduled], []
        for url in missing:
            request = self.request_for(url)
            if request is not None:
                self.crawler.engine.crawl(request)
        if missing:
            self.crawler.stats.set_value("swampcrawl/stories/rechecked", len(missing))
            raise DontCloseSpider

    def start_paths(self) -> Iterable[str]:
        if self.communities:
            for slug in sorted(self.communities):
                yield from (f"/{slug}", f"/{slug}/latest-stories", f"/{slug}/top-stories")
        else:
            yield from ("/latest-stories", "/top-stories", "/")
