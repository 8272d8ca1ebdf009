"""``scrapy crawl`` for swampcrawl: Scrapy's command, with the checks cron needs.

Before the crawl starts, the settings and spider arguments are validated and
the database's lock is taken; a problem is one line on stderr and exit status
2, not a traceback. After the crawl, a base URL that never answered is
reported with exit status 1, and a summary says what the run did.
"""

from __future__ import annotations

import argparse
import sys
import urllib.error
import urllib.request
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


def unreachable(base_url: str, user_agent: str, timeout: float = 15.0) -> str | None:
    """Why the site cannot be reached at all (no HTTP answer), or None.

    One request for robots.txt, which the crawl fetches first anyway: any HTTP
    status means the site is there; a refused connection or an unknown host
    would otherwise end the crawl in logged tracebacks.
    """
    request = urllib.request.Request(base_url.rstrip("/") + "/robots.txt", headers={"User-Agent": user_agent})
    try:
        with urllib.request.urlopen(request, timeout=timeout):
            return None
    except urllib.error.HTTPError:
        return None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return f"could not reach {base_url}: {reason}"


def summary_line(spider: str, stats: dict, settings) -> str:
    """What a run did, in one line for people and cron mail."""
    statuses = ", ".join(
        f"{count:,} {key.rsplit('/', 1)[1]}"
        for key, count in sorted(stats.items())
        if key.startswith("downloader/response_status_count/")
    )
    return (
        f"swampcrawl: {spider} {stats.get('finish_reason', 'stopped')} in {stats.get('elapsed_time_seconds', 0):.1f} s: "
        f"{stats.get('downloader/response_count', 0):,} responses ({statuses or 'none'}), "
        f"{stats.get('item_scraped_count', 0):,} items, "
        f"{stats.get('swampcrawl/warc/records_written', 0):,} WARC records "
        f"({stats.get('swampcrawl/warc/revisits', 0):,} revisits), "
        f"{stats.get('log_count/ERROR', 0)} errors; "
        f"database {settings.get('SWAMPCRAWL_DB')}, WARCs in {settings.get('SWAMPCRAWL_WARC_DIR')}"
    )


class Command(ScrapyCrawl):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        lock = CrawlLock(self.settings.get("SWAMPCRAWL_DB"))
        try:
            self.validate(args, opts)
            lock.acquire()
        except (SettingsError, LockedError) as exc:
            self.fail(2, str(exc))
            return
        problem = unreachable(self.settings.get("SWAMPCRAWL_BASE_URL"), self.settings.get("USER_AGENT"))
        if problem:
            lock.release()
            self.fail(1, problem)
            return
        # The pipeline would take the same lock: tell it this process has it.
        self.settings.set("SWAMPCRAWL_LOCK_HELD", True, priority="cmdline")
        try:
            stats = self.crawl(args, opts)
        finally:
            lock.release()
        if not self.exitcode:
            self.report_unreachable(stats)
        if stats:
            print(summary_line(args[0], stats, self.settings), flush=True)

    def crawl(self, args: list[str], opts: argparse.Namespace) -> dict:
        """Scrapy's crawl command, keeping the crawler to read its stats after."""
        if len(args) != 1:
            raise UsageError("give one spider name: stories, creators or communities")
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
        return crawler.stats.get_stats() if crawler.stats else {}

    def validate(self, args: list[str], opts: argparse.Namespace) -> None:
        settings = self.settings
        if len(args) == 1 and args[0] not in self.crawler_process.spider_loader.list():
            raise SettingsError(f"no spider named {args[0]!r}: use stories, creators or communities")
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
