"""``scrapy crawl`` for swampcrawl: Scrapy's command, with the checks cron needs.

Before the crawl starts, the settings and spider arguments are validated and
the database's lock is taken; a problem is one line on stderr and exit status
2, not a traceback. After the crawl, a base URL that never answered is
reported with exit status 1, and a summary says what the run did.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from swampcrawl.config import (
    SettingsError,
    check_writable_dir,
    parse_base_url,
    parse_communities,
    parse_size,
)
from swampcrawl.lock import CrawlLock, LockedError


class Command(ScrapyCrawl):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        lock = CrawlLock(self.settings.get("SWAMPCRAWL_DB"))
        try:
            self.validate(opts)
            lock.acquire()
        except (SettingsError, LockedError) as exc:
            self.fail(2, str(exc))
            return
        # The pipeline would take the same lock: tell it this process has it.
        self.settings.set("SWAMPCRAWL_LOCK_HELD", True, priority="cmdline")
        try:
            stats = self.crawl(args, opts)
        finally:
            lock.release()
        if not self.exitcode:
            self.report_unreachable(stats)

    def crawl(self, args: list[str], opts: argparse.Namespace) -> dict:
        """Scrapy's crawl command, keeping the crawler to read its stats after."""
        if len(args) != 1:
            raise UsageError("give one spider name: stories, creators or communities")
        try:
            crawler = self._create_crawler(args[0])
        except KeyError:
            self.fail(2, f"no spider named {args[0]!r}: use stories, creators or communities")
            return {}
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
        return crawler.stats.get_stats() if crawler.stats else {}

    def validate(self, opts: argparse.Namespace) -> None:
        settings = self.settings
        parse_base_url(settings.get("SWAMPCRAWL_BASE_URL"))
        parse_communities(opts.spargs.get("community"))
        for name in ("SWAMPCRAWL_WARC_MAX_SIZE", "SWAMPCRAWL_STORE_BATCH"):
            parse_size(name, settings.get(name), minimum=1)
        parse_size("SWAMPCRAWL_WARC_GZIP_LEVEL", settings.get("SWAMPCRAWL_WARC_GZIP_LEVEL"))
        parse_size("SWAMPCRAWL_MAX_LISTING_PAGES", settings.get("SWAMPCRAWL_MAX_LISTING_PAGES"))
        db = settings.get("SWAMPCRAWL_DB")
        if not db:
            raise SettingsError("SWAMPCRAWL_DB must name a database file")
        check_writable_dir("SWAMPCRAWL_DB", Path(db).parent)
        check_writable_dir("SWAMPCRAWL_WARC_DIR", settings.get("SWAMPCRAWL_WARC_DIR"))

    def report_unreachable(self, stats: dict) -> None:
        """Exit 1 when the crawl got no response at all (base URL unreachable)."""
        if not stats.get("downloader/response_count"):
            base = self.settings.get("SWAMPCRAWL_BASE_URL")
            self.fail(1, f"could not reach {base}: no response to any request")

    def fail(self, code: int, message: str) -> None:
        print(f"scrapy crawl: error: {message}", file=sys.stderr)
        self.exitcode = code
