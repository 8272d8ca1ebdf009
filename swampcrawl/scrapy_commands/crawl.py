"""``scrapy crawl`` for swampcrawl: Scrapy's command, with the checks cron needs.

Before the crawl starts, the settings and spider arguments are validated and
the database's lock is taken; a problem is one line on stderr and exit status
2, not a traceback (components check their own settings in ``from_crawler``
and raise ``SettingsError``, reported the same way). After the crawl, a
summary line says what the run did, and the exit status how it ended:

- 0: finished, or stopped at a limit it was given (``closespider_itemcount``,
  ``closespider_pagecount``, ``closespider_timeout``);
- 4: finished with errors: as 0, but some URLs could not be fetched (the ``errors`` table);
- 1: failed (the database could not be written, ``closespider_errorcount``,
  another reason), or the base URL never answered;
- 2: bad settings or arguments;
- 3: locked: another crawl is writing the same database or WARC folder;
- 130: interrupted (Ctrl-C or SIGTERM: finish reason ``shutdown``).

With ``SWAMPCRAWL_REDIS_URL`` the process is one worker of a fleet crawl (docs/fleet.md): it
never writes the database (``swampcrawl ingest`` does), so it takes no lock on it, only reads
it when it exists, and records no exit status in it; it shares the WARC folder's lock with the
other workers (a single crawl's is exclusive); its frontier is in Redis, not in a JOBDIR. A
Redis that cannot be reached is one line and exit 1. A worker started after the crawl finished
says so in one line and exits 0.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import socket
import sqlite3
import sys
import tempfile
import traceback
import urllib.error
import urllib.request
from urllib.parse import urlsplit
from pathlib import Path

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from swampcrawl.config import (
    SettingsError,
    check_scrapy_settings,
    check_writable_dir,
    parse_base_url,
    parse_communities,
    parse_size,
    warc_writer_options,
)
from swampcrawl.fleet.connection import SETTING as REDIS_SETTING
from swampcrawl.fleet.connection import RedisUnreachable, parse_redis_url, redis_from_settings
from swampcrawl.fleet.worker import LEASE_SETTING
from swampcrawl.lock import CrawlLock, LockedError
from swampcrawl.recheck import RecheckPolicy
from swampcrawl.requisites import RequisiteScope
from swampcrawl.store import Store, StoreError
from swampcrawl.store.runs import exit_code, run_status, set_exit_status
from swampcrawl.store.values import now_iso

# Exit status when another crawl holds the database or WARC folder; the others follow the
# run's crawl_runs.status (swampcrawl.store.runs.exit_code: 0, 1, 130), or are 2 (bad settings).
LOCKED = 3


def unreachable(base_url: str, user_agent: str, timeout: float = 15.0) -> str | None:
    """Why the site cannot be reached at all (no HTTP answer), or None.

    One request for robots.txt, which the crawl fetches first anyway: any HTTP
    status means the site is there; a refused connection or an unknown host
    would otherwise end the crawl in logged tracebacks.
    """
    return fetch_robots(base_url, user_agent, timeout)[0]


def fetch_robots(base_url: str, user_agent: str, timeout: float = 15.0) -> tuple[str | None, int | None, bytes]:
    """robots.txt of the site: (why there was no HTTP answer, or None; its status; its body)."""
    request = urllib.request.Request(base_url.rstrip("/") + "/robots.txt", headers={"User-Agent": user_agent})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return None, answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return None, error.code, error.read()
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return f"could not reach {base_url}: {reason}", None, b""


def fleet_unreachable(settings) -> str | None:
    """``unreachable`` for a fleet worker, without a request: can a connection to the site be
    opened? (A refused connection or an unknown host is what the check is for.) robots.txt is
    fetched once for the whole fleet, by the first worker's robots.txt middleware
    (swampcrawl.fleet.robots), which archives it as a single crawl's does: a robots.txt fetched
    here could be neither archived nor fetched again without asking the site twice. Through an
    HTTP proxy, the site is asked as a single crawl asks it."""
    base = settings.get("SWAMPCRAWL_BASE_URL")
    parts = urlsplit(base)
    if urllib.request.getproxies().get(parts.scheme) and not urllib.request.proxy_bypass(parts.hostname or ""):
        return unreachable(base, settings.get("USER_AGENT"))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        with socket.create_connection((parts.hostname, port), timeout=15.0):
            return None
    except OSError as exc:
        return f"could not reach {base}: {exc}"


def database_problem(path: str) -> str | None:
    """Why the database cannot be used (corrupt, not a database, not writable), or None.
    Opening it also migrates it, as the store pipeline would: better here, in one line,
    than as a traceback from inside the crawl."""
    try:
        with Store(path) as store:
            checked = store.db.execute("PRAGMA quick_check").fetchone()[0]
            store.db.execute("BEGIN IMMEDIATE")  # can it be written? (a lock, then nothing)
            store.db.execute("ROLLBACK")
    except StoreError as error:
        return str(error)
    except sqlite3.Error as error:
        return f"cannot use the database {path}: {error}"
    return damaged(path, checked)


def readable_database_problem(path: str) -> str | None:
    """database_problem for a fleet worker, which only reads the database (and only when it
    exists): opened read-only, never migrated or locked (``swampcrawl ingest`` writes it)."""
    if not Path(path).is_file():
        return None
    try:
        uri = f"file:{Path(path).resolve()}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=5.0)) as db:
            checked = db.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.Error as error:
        return f"cannot read the database {path}: {error}"
    return damaged(path, checked)


def damaged(path: str, checked: str) -> str | None:
    """The problem PRAGMA quick_check found, or None (it said ok)."""
    if checked != "ok":
        return f"the database {path} is damaged ({checked}): restore it from a backup, or rebuild it with swampcrawl reparse"
    return None


def redis_problem(settings) -> str | None:
    """Why a fleet worker cannot use its Redis (RedisUnreachable's line), or None."""
    try:
        redis_from_settings(settings).close()
    except RedisUnreachable as error:
        return str(error)
    return None


def summary_line(spider: str, stats: dict, settings) -> str:
    """What a run did, in one line for people and cron mail."""
    statuses = ", ".join(
        f"{count:,} {key.rsplit('/', 1)[1]}"
        for key, count in sorted(stats.items())
        if key.startswith("downloader/response_status_count/")
    )
    return (
        f"swampcrawl: {spider} {crawl_status(stats)} in {stats.get('elapsed_time_seconds', 0):.1f} s: "
        f"{stats.get('downloader/response_count', 0):,} responses ({statuses or 'none'}), "
        f"{stats.get('item_scraped_count', 0):,} items, "
        f"{stats.get('swampcrawl/requisites/requested', 0):,} requisites "
        f"({stats.get('swampcrawl/requisites/archived_before', 0):,} archived before), "
        f"{stats.get('swampcrawl/warc/records_written', 0):,} WARC records "
        f"({stats.get('swampcrawl/warc/revisits', 0):,} revisits), "
        f"{stats.get('swampcrawl/requests/failed', 0):,} failed, {stats.get('log_count/ERROR', 0)} errors; "
        f"database {settings.get('SWAMPCRAWL_DB')}, WARCs in {settings.get('SWAMPCRAWL_WARC_DIR')}"
    )


def crawl_status(stats: dict) -> str:
    """The run's crawl_runs.status (the store pipeline's word, else the finish reason's)."""
    return stats.get("swampcrawl/run/status") or run_status(stats.get("finish_reason"))


def exit_status(stats: dict) -> int:
    """0, 4, 1 or 130 by the run's crawl_runs.status and failed URLs (swampcrawl.store.runs.exit_code)."""
    code = exit_code(crawl_status(stats), stats.get("swampcrawl/requests/failed", 0))
    return 1 if code is None else code


class Command(ScrapyCrawl):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        """Scrapy's own settings are checked here, before Scrapy builds its crawler process:
        a bad LOG_LEVEL, say, would otherwise end in a traceback while logging is set up."""
        super().process_options(args, opts)
        try:
            check_scrapy_settings(self.settings)
        except SettingsError as exc:
            print(f"scrapy crawl: error: {exc}", file=sys.stderr)
            sys.exit(2)

    @property
    def fleet(self) -> bool:
        """Whether this process is a worker of a fleet crawl (SWAMPCRAWL_REDIS_URL)."""
        return bool(self.settings.get(REDIS_SETTING))

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        # A fleet worker never writes the database: no lock on it, a shared one on the WARC folder.
        locks = [] if self.fleet else [CrawlLock(self.settings.get("SWAMPCRAWL_DB"))]
        try:
            self.validate(args, opts)
            locks.append(CrawlLock.for_folder(self.settings.get("SWAMPCRAWL_WARC_DIR"), shared=self.fleet))
            for lock in locks:
                lock.acquire()
        except SettingsError as exc:
            self.fail(2, str(exc))
            return
        except LockedError as exc:
            self.release(locks)
            self.fail(LOCKED, str(exc))
            return
        problem = self.problem()
        if problem:
            self.release(locks)
            self.fail(1, problem)
            return
        if not self.fleet:
            # The pipeline would take the same lock: tell it this process has it.
            self.settings.set("SWAMPCRAWL_LOCK_HELD", True, priority="cmdline")
        frontier = None if self.fleet else self.disk_frontier()
        started = now_iso()
        try:
            stats = self.crawl(args, opts)
            self.set_exit_status(stats)
            if not self.fleet:
                self.record_exit_status(args[0], started)  # still holding the lock
        finally:
            self.release(locks)
            if frontier:
                shutil.rmtree(frontier, ignore_errors=True)
        if stats.get("swampcrawl/fleet/already_finished"):
            print(f"swampcrawl: {args[0]}: the fleet crawl in Redis was already finished; nothing to do", flush=True)
        elif stats:
            print(summary_line(args[0], stats, self.settings), flush=True)

    def problem(self) -> str | None:
        """Why the crawl cannot start though its settings are good (exit 1), or None."""
        db = self.settings.get("SWAMPCRAWL_DB")
        if self.fleet:
            return redis_problem(self.settings) or readable_database_problem(db) or fleet_unreachable(self.settings)
        return database_problem(db) or unreachable(self.settings.get("SWAMPCRAWL_BASE_URL"), self.settings.get("USER_AGENT"))

    def set_exit_status(self, stats: dict) -> None:
        """The exit status by how the run ended (unless a failure set it already). A fleet
        worker may rightly get no response at all (its peers took every request), so only a
        single crawl without any is reported unreachable."""
        if not self.exitcode and not self.fleet:
            self.report_unreachable(stats)
        if stats and not self.exitcode:
            self.exitcode = exit_status(stats)

    def disk_frontier(self) -> str | None:
        """Scrapy's scheduler queue on disk (a JOBDIR of this run's own, deleted after it), so
        the frontier of a large site is not held in memory. A crawl resumes from the database,
        not from this folder: a user's own JOBDIR is used as given."""
        if self.settings.get("JOBDIR"):
            return None
        folder = tempfile.mkdtemp(prefix="swampcrawl-frontier-")
        self.settings.set("JOBDIR", folder, priority="cmdline")
        return folder

    @staticmethod
    def release(locks: list[CrawlLock]) -> None:
        for lock in locks:
            lock.release()

    def crawl(self, args: list[str], opts: argparse.Namespace) -> dict:
        """Scrapy's crawl command, keeping the crawler to read its stats after."""
        if len(args) != 1:
            raise UsageError("give one spider name: stories, creators or communities")
        crawler = self._create_crawler(args[0])
        started = self.crawler_process.crawl(crawler, **opts.spargs)
        if hasattr(started, "add_done_callback"):  # an asyncio Task (Scrapy's asyncio process)
            started.add_done_callback(self.crawl_done)
        else:  # a Deferred (Twisted's)
            started.addErrback(lambda failure: self.bootstrap_error(failure.value) or failure)
        self.crawler_process.start()
        if self.exitcode:
            return {}
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
        try:
            return crawler.stats.get_stats()
        except RuntimeError:  # the crawl never started (a component failed to build)
            self.exitcode = self.exitcode or 1
            return {}

    def crawl_done(self, task) -> None:
        error = None if task.cancelled() else task.exception()
        if error is not None and not self.bootstrap_error(error):
            traceback.print_exception(error)

    def bootstrap_error(self, error: BaseException) -> bool:
        """A component refused its settings (SettingsError in from_crawler): one line, exit 2."""
        if isinstance(error, SettingsError):
            self.fail(2, str(error))
            return True
        return False

    def validate(self, args: list[str], opts: argparse.Namespace) -> None:
        settings = self.settings
        if len(args) == 1 and args[0] not in self.crawler_process.spider_loader.list():
            raise SettingsError(f"no spider named {args[0]!r}: use stories, creators or communities")
        parse_base_url(settings.get("SWAMPCRAWL_BASE_URL"))
        parse_communities(opts.spargs.get("community"))
        RecheckPolicy.from_settings(settings, opts.spargs.get("recheck"))
        parse_size("SWAMPCRAWL_STORE_BATCH", settings.get("SWAMPCRAWL_STORE_BATCH"), minimum=1)
        warc_writer_options(settings)  # the capture extension checks them too, in from_crawler
        RequisiteScope.from_settings(settings, parse_base_url(settings.get("SWAMPCRAWL_BASE_URL")))  # and the spider
        parse_size("SWAMPCRAWL_MAX_LISTING_PAGES", settings.get("SWAMPCRAWL_MAX_LISTING_PAGES"))
        db = settings.get("SWAMPCRAWL_DB")
        if not db:
            raise SettingsError("SWAMPCRAWL_DB must name a database file")
        if self.fleet:  # the FleetWorker extension checks them too, in from_crawler
            parse_redis_url(settings.get(REDIS_SETTING))
            parse_size(LEASE_SETTING, settings.get(LEASE_SETTING), minimum=3)
        else:  # a fleet worker only reads the database: swampcrawl ingest writes it
            check_writable_dir("SWAMPCRAWL_DB", Path(db).parent)
        check_writable_dir("SWAMPCRAWL_WARC_DIR", settings.get("SWAMPCRAWL_WARC_DIR"))

    def report_unreachable(self, stats: dict) -> None:
        """Exit 1 when the crawl got no response at all (base URL unreachable)."""
        if not stats.get("downloader/response_count"):
            base = self.settings.get("SWAMPCRAWL_BASE_URL")
            self.fail(1, f"could not reach {base}: no response to any request")

    def record_exit_status(self, spider: str, started: str) -> None:
        """The run's crawl_runs.exit_status is the one this command exits with: the store
        recorded the one its status gives, which an unreachable base URL (say) overrides."""
        db = Path(self.settings.get("SWAMPCRAWL_DB"))
        if not db.is_file():
            return
        try:
            with Store(db) as store:
                set_exit_status(store.db, spider, started, self.exitcode or 0)
        except (StoreError, sqlite3.Error) as error:
            print(f"scrapy crawl: warning: could not record the exit status in {db}: {error}", file=sys.stderr)

    def fail(self, code: int, message: str) -> None:
        print(f"scrapy crawl: error: {message}", file=sys.stderr)
        self.exitcode = code
