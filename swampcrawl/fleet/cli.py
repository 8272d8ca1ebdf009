"""``swampcrawl ingest``: the fleet's single database writer, as a command.

Exit status as ``scrapy crawl``'s: 0 stored (the crawl finished, or with ``--no-wait`` what was
queued); 4 as 0, but some URLs could not be fetched (the ``errors`` table); 1 failed (the
database could not be written, Redis went away, a bad database or an unreachable Redis);
2 bad options; 3 another crawl or writer holds the database; 130 interrupted (Ctrl-C,
SIGTERM: what was not yet stored stays in Redis for the next ingest).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sqlite3
import sys
from collections.abc import Iterator
from typing import Any

import click

from swampcrawl.config import SettingsError, command_default, parse_size

LOCKED = 3
NAME = "swampcrawl ingest"


class IngestFailed(Exception):
    """One line for the user, and the exit status it gives."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def parse_spiders(value: str) -> tuple[str, ...]:
    from swampcrawl.fleet.ingest import SPIDERS

    if value == "all":
        return SPIDERS
    if value not in SPIDERS:
        raise SettingsError(f"no spider named {value!r}: use {', '.join(SPIDERS)} or all")
    return (value,)


def connect(url: str) -> Any:
    """Redis at ``url`` (checked with a PING), or one line: a bad URL (2), no answer (1)."""
    from swampcrawl.fleet.connection import SETTING, RedisUnreachable, redis_from_settings

    if not url:
        raise IngestFailed(f"give the fleet's Redis: --redis URL, or ${SETTING}", 2)
    try:
        return redis_from_settings({SETTING: url})
    except SettingsError as error:
        raise IngestFailed(str(error).replace(SETTING, "--redis"), 2) from None
    except RedisUnreachable as error:
        raise IngestFailed(str(error)) from None


@contextlib.contextmanager
def stop_on_signals(writer: Any) -> Iterator[None]:
    """SIGINT and SIGTERM finish the batch being written, then stop; a second SIGINT at once."""
    def stop(signum: int, frame: Any) -> None:
        if writer.stopping and signum == signal.SIGINT:
            raise KeyboardInterrupt
        writer.stopping = True

    previous = {number: signal.signal(number, stop) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@contextlib.contextmanager
def warnings_on_stderr() -> Iterator[None]:
    """The fleet's warnings (a worker reaped) as one ``swampcrawl ingest: warning:`` line each."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(f"{NAME}: warning: %(message)s"))
    handler.setLevel(logging.WARNING)
    fleet = logging.getLogger("swampcrawl.fleet")
    fleet.addHandler(handler)
    try:
        yield
    finally:
        fleet.removeHandler(handler)


def run_ingest(redis_url: str, db_path: str, spider: str, batch: str, wait: bool) -> int:
    """Check the options, lock the database, write; the summary lines; the exit status."""
    import redis

    from swampcrawl.fleet.connection import reason, redacted
    from swampcrawl.fleet.ingest import FleetWriter, exit_status
    from swampcrawl.lock import CrawlLock, LockedError
    from swampcrawl.scrapy_commands.crawl import database_problem
    from swampcrawl.store import Store, StoreError

    try:
        spiders, size = parse_spiders(spider), parse_size("--batch", batch, minimum=1)
    except SettingsError as error:
        raise IngestFailed(str(error), 2) from None
    server, lock = connect(redis_url), CrawlLock(db_path)
    try:
        lock.acquire()
    except LockedError as error:
        raise IngestFailed(str(error), LOCKED) from None
    try:
        if problem := database_problem(db_path):
            raise IngestFailed(problem)
        with Store(db_path) as store:
            store.mark_dead_runs()  # holding the lock: a run still "running" died
            writer = FleetWriter(server, store, spiders, size, warn)
            with stop_on_signals(writer):
                ended = writer.run(wait)
    except (StoreError, sqlite3.Error) as error:
        raise IngestFailed(f"could not write to {db_path}: {error}") from None
    except redis.RedisError as error:
        raise IngestFailed(f"lost Redis at {redacted(redis_url)}: {reason(error)}") from None
    finally:
        lock.release()
        server.close()
    report(ended, db_path, spiders, redis_url, writer.stopping)
    return exit_status(ended) if ended or not writer.stopping else 130


def report(ended: list[Any], db_path: str, spiders: tuple[str, ...], redis_url: str, stopped: bool) -> None:
    from swampcrawl.fleet.connection import redacted
    from swampcrawl.scrapy_commands.crawl import summary_line

    for crawl in ended:
        warc_dir = crawl.settings.get("SWAMPCRAWL_WARC_DIR") or "the workers' SWAMPCRAWL_WARC_DIR"
        settings = {"SWAMPCRAWL_DB": db_path, "SWAMPCRAWL_WARC_DIR": warc_dir}
        click.echo(summary_line(crawl.spider, crawl.stats, settings))
    if not ended and not stopped:
        click.echo(f"{NAME}: nothing queued: no fleet crawl of {' or '.join(spiders)} in Redis at {redacted(redis_url)}")


def warn(message: str) -> None:
    click.echo(f"{NAME}: warning: {message}", err=True)


@click.command()
@click.option("--redis", "redis_url", default=lambda: os.environ.get("SWAMPCRAWL_REDIS_URL", ""),
              show_default="$SWAMPCRAWL_REDIS_URL", help="The fleet's Redis: the workers' SWAMPCRAWL_REDIS_URL.")
@click.option("--db", "db_path", default=lambda: command_default("SWAMPCRAWL_DB"),
              show_default="$SWAMPCRAWL_DB or data/swamp.db", help="The SQLite database to fill (created if missing).")
@click.option("--spider", default="all", show_default=True,
              help="The fleet crawl to store: stories, creators, communities, or all that are in Redis.")
@click.option("--batch", default="200", show_default=True, metavar="N",
              help="Rows per transaction (at least: a message's rows are never split).")
@click.option("--wait/--no-wait", default=True, show_default=True,
              help="Wait until the crawl is over, or store what is queued now and exit (the run's status is "
                   "then incomplete, and the next ingest continues it).")
def ingest(redis_url: str, db_path: str, spider: str, batch: str, wait: bool) -> None:
    """Store what the workers of a fleet crawl (SWAMPCRAWL_REDIS_URL) found: the single writer of DB.

    Workers push their rows to Redis; this command writes them, one transaction per batch, into
    one crawl_runs row for the whole fleet crawl, and exits once the workers said the crawl is
    done, every worker has left and every row is stored; then it deletes the crawl's keys and
    prints a summary line per crawl, as `scrapy crawl` does. Workers whose heartbeat stopped
    are reaped: their requests go back into the frontier. Messages leave Redis only once their
    rows are committed: a writer killed or interrupted loses nothing; run it again. Exit status
    as `scrapy crawl`'s: 0, 4 (some URLs failed), 1, 2 (bad options), 3 (locked), 130.

    Example:

    \b
        swampcrawl ingest --redis redis://127.0.0.1:6379/0 --db data/swamp.db &
        scrapy crawl stories -s SWAMPCRAWL_REDIS_URL=redis://127.0.0.1:6379/0
        swampcrawl ingest --redis redis://127.0.0.1:6379/0 --spider stories --no-wait
    """
    try:
        with warnings_on_stderr():
            code = run_ingest(redis_url, db_path, spider, batch, wait)
    except IngestFailed as error:
        click.echo(f"{NAME}: error: {error}", err=True)
        code = error.code
    except KeyboardInterrupt:  # before the writer started
        code = 130
    sys.exit(code)
