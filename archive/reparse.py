"""``swampcrawl reparse``: the database rebuilt from WARC files, without network.

Every response and revisit of the inputs (WARC, WARC.gz, ARC, folders, WACZ; ours or other
tools') becomes a ``captures`` row; the 200 HTML pages of stories, creators and
communities go through the page objects a crawl uses and become the rows a crawl builds
(``swampcrawl.store.ingest``, shared with the crawl's store pipeline); a 404 of a stored
story marks it removed. Each row's provenance is the record it came from, its
``captured_at`` that record's WARC-Date. Which sites' records are taken: ``archive.sites``.

Pages are extracted as the files are read (extraction does not depend on order) and their
rows spooled to a temporary SQLite file; the rows are then written in WARC-Date order, so
a newer capture wins whatever the order of the inputs, one transaction per ~500 rows.
Extraction, most of a reparse's CPU, runs in worker processes (``jobs``; by default one
fewer than the machine's cores) while this process reads the WARCs: their rows come back
in the order the pages were read, so the spool, and the database, are the same as with
``jobs=0`` (everything in this process).

Hostile or damaged input never stops a run: a file or record that cannot be read is
reported (file and offset) and skipped; a record cut short, whose digests do not match,
truncated when archived or whose page is over the size cap gives its captures row and an
``errors`` row, never a story. Running it twice over the same files changes nothing.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import sqlite3
import time
import zipfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from swampcrawl.lock import CrawlLock
from swampcrawl.pages.links import rules_for
from swampcrawl.records.provenance import WarcRef
from swampcrawl.store import Store
from swampcrawl.store.runs import FAILED_STAT
from swampcrawl.store.ingest import HTML_TYPES, PAGE_KINDS, Exchange, RowBuffer, Rows, exchange_rows, page_kind, response_rows
from swampcrawl.store.values import to_iso

from archive.bars import ProgressBar, no_progress
from archive.reader import Capture, ReadOptions, UnreadableSource, WarcSource, iter_source_captures, list_sources
from archive.records import DEFAULT_MAX_PAGE_SIZE, first_line, unreadable_reason
from archive.sites import ALL, CAPTURES, SiteChoice, site_of

BATCH_ROWS = 500
PAGE_TABLES = ("stories", "creators", "communities")


class ReparseError(Exception):
    """An input that cannot be reparsed at all: missing, not a WARC, no WARC in a folder."""


@dataclass
class ReparseSummary:
    files: int = 0
    records: int = 0  # response and revisit records read
    pages: int = 0  # story, creator and community pages stored
    stored: int = 0  # records whose rows were written
    skipped: int = 0  # records of other sites: not the platform's (or --base-url's), not http(s)
    duplicates: int = 0  # records met twice (a folder and a WACZ of it): read once
    unresolved: int = 0  # revisits whose original is not among the inputs
    rows: dict[str, int] = field(default_factory=dict)  # rows per table, afterwards
    errors: list[str] = field(default_factory=list)  # files and records not read, or not whole
    seconds: float = 0.0

    def line(self, db: str) -> str:
        tables = ", ".join(f"{name} {count}" for name, count in self.rows.items() if name != "crawl_runs")
        return (f"reparse: {self.files} files, {self.records} records, {self.pages} pages, {self.stored} stored, "
                f"{self.skipped} skipped, {self.duplicates} duplicate, {self.unresolved} unresolved, "
                f"{len(self.errors)} errors -> {tables} in {self.seconds:.1f} s; database {db}")

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


# -- inputs -------------------------------------------------------------------------------------


def check_inputs(paths: Iterable[str | Path], report: Callable[[str], None]) -> list[WarcSource]:
    """The readable WARC files of the inputs. A named path missing or no archive raises
    ReparseError; a file in a folder (or a WACZ member) that reads as nothing is reported."""
    paths = [Path(p) for p in paths]
    reported: list[str] = []
    tell = _both(report, reported.append)
    try:
        sources = list_sources(paths, tell)
    except (FileNotFoundError, UnreadableSource) as error:
        raise ReparseError(str(error)) from error
    for path in paths:
        if path.is_dir() and not reported and not any(source.path.is_relative_to(path) for source in sources):
            raise ReparseError(f"no WARC or WACZ files in {path}")
    named = {path.resolve() for path in paths if not path.is_dir()}
    readable = []
    for source in {(source.path.resolve(), source.member): source for source in sources}.values():
        reason = _unreadable(source)
        if reason is None:
            readable.append(source)
        elif source.member is None and source.path.resolve() in named:
            raise ReparseError(f"not a WARC file: {source.path}")
        else:
            tell(f"{source.label}: {reason}; skipped")
    return readable


def _both(*callbacks: Callable[[str], None]) -> Callable[[str], None]:
    def call(message: str) -> None:
        for callback in callbacks:
            callback(message)
    return call


def _unreadable(source: WarcSource) -> str | None:
    """Why not one record can be read from the file (None: some can)."""
    try:
        with source.open() as stream:
            return unreadable_reason(stream)
    except (OSError, UnreadableSource, zipfile.BadZipFile) as error:
        return first_line(error)


def capture_exchange(capture: Capture) -> Exchange:
    """A capture read back from a WARC, as the plain values the ingest takes."""
    ref = WarcRef(capture.filename, capture.offset, capture.record_id, capture.captured_at,
                  capture.length, capture.revisit, capture.payload_digest)
    return Exchange(capture.url, capture.status, capture.headers, capture.body, ref)


def wants_body(capture: Capture) -> bool:
    """Only what extraction reads: 200 HTML pages (other bodies are never decoded)."""
    return capture.status == 200 and capture.content_type in HTML_TYPES


# -- reading into the spool ----------------------------------------------------------------------


class Spool:
    """Rows waiting to be written in WARC-Date order, in a temporary SQLite file."""

    def __init__(self) -> None:
        self.db = sqlite3.connect("")  # "": a private temporary file, deleted on close
        self.db.execute("CREATE TABLE spool (at TEXT, seq INTEGER, site TEXT, rows BLOB)")
        self.count = 0

    def add(self, at: datetime, site: str, rows: Rows) -> None:
        self.count += 1
        moment = at.strftime("%Y-%m-%dT%H:%M:%S.%f")
        self.db.execute("INSERT INTO spool VALUES (?, ?, ?, ?)", (moment, self.count, site, pickle.dumps(rows)))

    def in_date_order(self) -> Iterator[tuple[str, Rows]]:
        for site, blob in self.db.execute("SELECT site, rows FROM spool ORDER BY at, seq"):
            yield site, pickle.loads(blob)  # noqa: S301 (our own rows, written just above)

    def close(self) -> None:
        self.db.close()


def default_jobs() -> int:
    """Extraction processes beside this one: one fewer than the cores this process may use."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(cores - 1, 0)


def read_into(spool: Spool, sources: list[WarcSource], sites: SiteChoice, run_id: int,
              summary: ReparseSummary, progress: Any, max_body: int = DEFAULT_MAX_PAGE_SIZE,
              jobs: int = 0) -> None:
    """Read every capture of the sources, extract its page and spool its rows."""
    starts, done = _progress_starts(sources), 0
    seen: set[tuple[str, ...]] = set()
    options = ReadOptions(summary.errors.append, max_body, wants_body)
    with Extraction(spool, summary, jobs) as extraction:
        for capture in iter_source_captures(sources, options):
            position = starts.get((capture.source, capture.filename), 0) + capture.offset
            progress.update(max(0, position - done))
            done = max(done, position)
            summary.records += 1
            # A record id names one record wherever it is; ARC records have none: their place does.
            key = (capture.record_id,) if capture.record_id else (capture.filename, str(capture.offset))
            if key in seen:
                summary.duplicates += 1
                continue
            seen.add(key)
            spool_capture(extraction, capture, sites, run_id, summary)


def spool_capture(extraction: Extraction, capture: Capture, sites: SiteChoice, run_id: int,
                  summary: ReparseSummary) -> None:
    site = site_of(capture.url)
    rules = sites.rules_for(site) if site else None
    if site is None or rules is None:
        summary.skipped += 1
        return
    sites.saw(site)
    summary.unresolved += int(capture.revisit and not capture.resolved)
    exchange = capture_exchange(capture)
    where = f"{capture.filename}: offset {capture.offset}: {capture.url}"
    if capture.problem:
        summary.errors.append(f"{where}: {capture.problem}: not extracted")
        rows = response_rows(exchange, rules, run_id) + [("errors", _error_row(capture, exchange, rules, run_id))]
        extraction.add(capture.captured_at, site, rows)
        return
    kind = rules.classify(capture.url)
    if kind in PAGE_KINDS and wants_body(capture):
        sites.notice(site, capture.body, capture.header("content-type"), kind)
    if wants_body(capture):  # an HTML page: extracted, perhaps in a worker process
        extraction.extract(capture.captured_at, site, where, exchange, rules.base_url, run_id)
    else:  # no body was read: nothing to extract
        [(rows, problem)] = extract_pages([(exchange, rules.base_url, run_id)])
        if problem is not None:
            summary.errors.append(f"{where}: {problem}")
        extraction.add(capture.captured_at, site, rows)


def extract_pages(pages: list[tuple[Exchange, str, int]]) -> list[tuple[Rows, str | None]]:
    """The rows of each page, and why its extraction failed (None: it did not). Runs in a worker
    process (or this one): a page the extractors choke on gives its captures row alone."""
    results: list[tuple[Rows, str | None]] = []
    for exchange, base_url, run_id in pages:
        rules = rules_for(base_url)
        try:
            results.append((exchange_rows(exchange, rules, run_id), None))
        except Exception as error:  # a page the extractors choke on must not stop the rest
            results.append((response_rows(exchange, rules, run_id), first_line(error)))
    return results


@dataclass
class _Batch:
    #: in reading order: (captured_at, site, rows) or (captured_at, site, where) of a page to extract
    entries: list[tuple[datetime, str, Any, bool]] = field(default_factory=list)
    pages: list[tuple[Exchange, str, int]] = field(default_factory=list)
    future: Future | None = None


class Extraction:
    """Rows to the spool in reading order, pages extracted by ``jobs`` worker processes.

    Captures are gathered in batches (``PAGES_PER_BATCH`` pages); a full batch's pages go to the
    pool, and at most ``WINDOW`` batches per worker are out at once, so memory stays bounded by
    a few hundred pages. Results are taken back in the order the batches were sent.
    """

    PAGES_PER_BATCH = 32
    ENTRIES_PER_BATCH = 1024
    WINDOW = 3

    def __init__(self, spool: Spool, summary: ReparseSummary, jobs: int) -> None:
        self.spool, self.summary, self.jobs = spool, summary, max(jobs, 0)
        self.pool: ProcessPoolExecutor | None = None
        self.batch = _Batch()
        self.out: deque[_Batch] = deque()

    def add(self, at: datetime, site: str, rows: Rows) -> None:
        self.batch.entries.append((at, site, rows, False))
        self._maybe_send()

    def extract(self, at: datetime, site: str, where: str, exchange: Exchange, base_url: str, run_id: int) -> None:
        self.batch.entries.append((at, site, where, True))
        self.batch.pages.append((exchange, base_url, run_id))
        self._maybe_send()

    def _maybe_send(self) -> None:
        batch = self.batch
        if len(batch.pages) >= self.PAGES_PER_BATCH or len(batch.entries) >= self.ENTRIES_PER_BATCH:
            self._send()

    def _send(self) -> None:
        batch, self.batch = self.batch, _Batch()
        if not batch.entries:
            return
        if batch.pages and self.jobs:
            batch.future = self._pool().submit(extract_pages, batch.pages)
        self.out.append(batch)
        while len(self.out) > max(self.jobs, 1) * self.WINDOW or (self.out and not self.jobs):
            self._spool(self.out.popleft())

    def _pool(self) -> ProcessPoolExecutor:
        if self.pool is None:
            # fork: the workers start at once with the extractors imported, and are this
            # process's children (waited for: their CPU time counts in its own, as a tool
            # timing the command expects). Nothing here runs a thread they could inherit.
            method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
            self.pool = ProcessPoolExecutor(self.jobs, mp_context=multiprocessing.get_context(method))
        return self.pool

    def _spool(self, batch: _Batch) -> None:
        if batch.future is not None:
            results = iter(batch.future.result())
        else:
            results = iter(extract_pages(batch.pages))
        for at, site, value, is_page in batch.entries:
            if is_page:
                rows, problem = next(results)
                if problem is not None:
                    self.summary.errors.append(f"{value}: {problem}")
            else:
                rows = value
            self.spool.add(at, site, rows)

    def __enter__(self) -> Extraction:
        return self

    def __exit__(self, kind: Any, *_: Any) -> None:
        try:
            if kind is None:
                self._send()
                while self.out:
                    self._spool(self.out.popleft())
        finally:
            if self.pool is not None:
                self.pool.shutdown(wait=True, cancel_futures=True)


def _error_row(capture: Capture, exchange: Exchange, rules: Any, run_id: int) -> dict[str, Any]:
    return {"url": capture.url, "kind": page_kind(exchange, rules), "last_status": capture.status,
            "reason": f"archived record {capture.problem} ({capture.filename} at offset {capture.offset})",
            "at": capture.captured_at, "run_id": run_id}


def _progress_starts(sources: list[WarcSource]) -> dict[tuple[str, str], int]:
    starts, total = {}, 0
    for source in sources:
        starts[(str(source.path), source.filename)] = total
        total += _size(source)
    return starts


def _size(source: WarcSource) -> int:
    try:
        return source.size
    except (OSError, KeyError, zipfile.BadZipFile):
        return 0


# -- the whole run ------------------------------------------------------------------------


def reparse(paths: Iterable[str | Path], db: str | Path, base_url: str | None = None,
            progress: ProgressBar | None = None, max_body: int = DEFAULT_MAX_PAGE_SIZE,
            jobs: int | None = None) -> ReparseSummary:
    """Rebuild DB's rows from the captures of ``paths``; pages are extracted by ``jobs`` worker
    processes (None: ``default_jobs()``; 0: in this process).

    Raises ReparseError (inputs), StoreError (database) or LockedError (a crawl holds it).
    """
    started = time.perf_counter()
    paths = list(paths)
    summary = ReparseSummary()
    sources = check_inputs(paths, summary.errors.append)
    bar = progress or no_progress
    summary.files = len(sources)
    sites = SiteChoice(base_url)
    # The crawl's lock: a reparse and a crawl never write one database at once.
    with Store(db) as store, CrawlLock(db), contextlib.closing(Spool()) as spool:
        store.mark_dead_runs()
        run_id = store.start_run("reparse", {"paths": [str(p) for p in paths], "base_url": base_url})
        try:
            with bar("reading", sum(_size(source) for source in sources)) as reading:
                read_into(spool, sources, sites, run_id, summary, reading, max_body,
                          default_jobs() if jobs is None else jobs)
            write_spool(spool, store, sites, summary, bar)
        except BaseException:
            store.finish_run(run_id, "failed", summary.as_dict())
            raise
        summary.rows = store.counts()
        summary.seconds = round(time.perf_counter() - started, 2)
        # Damaged records and unreadable files count as the run's errors, as failed URLs do a
        # crawl's: its exit_status is the command's (4).
        store.finish_run(run_id, "finished", {**summary.as_dict(), FAILED_STAT: len(summary.errors)})
    return summary


def write_spool(spool: Spool, store: Store, sites: SiteChoice, summary: ReparseSummary, bar: ProgressBar) -> None:
    writer = RowBuffer(store, BATCH_ROWS)
    with bar("writing", spool.count) as writing:
        for site, rows in spool.in_date_order():
            taken = _taken(rows, sites.take(site))
            if taken is None:
                summary.skipped += 1
            else:
                summary.stored += 1
                summary.pages += sum(1 for table, _ in taken if table in PAGE_TABLES)
                writer.add([(table, row) for table, row in taken if table != "errors" or not _known(store, row)])
            writing.update(1)
        writer.flush()


def _taken(rows: Rows, how: str | None) -> Rows | None:
    if how == ALL:
        return rows
    if how == CAPTURES:  # a requisite of the platform on an image host: no page of it is one
        return [(table, row) for table, row in rows if table in ("captures", "errors")]
    return None


def _known(store: Store, row: dict[str, Any]) -> bool:
    """An errors row already there (this record, reparsed before): not added twice."""
    found = store.db.execute("SELECT 1 FROM errors WHERE url = ? AND reason = ? AND at = ? LIMIT 1",
                             [row["url"], row["reason"], to_iso(row["at"])]).fetchone()
    return found is not None
