"""``swampcrawl reparse``: the database rebuilt from WARC files, without network.

Every response and revisit of the inputs (WARC, WARC.gz, folders, WACZ; ours or other
tools') becomes a ``captures`` row; the 200 HTML pages of stories, creators and
communities go through the page objects a crawl uses and become the rows a crawl builds
(``swampcrawl.store.ingest``, shared with the crawl's store pipeline); a 404 of a stored
story marks it removed. Each row's provenance is
the record it came from, its ``captured_at`` that record's WARC-Date.

Pages are extracted as the files are read (extraction does not depend on order) and their
rows spooled to a temporary SQLite file; the rows are then written in WARC-Date order, so
a newer capture wins whatever the order of the inputs, one transaction per ~500 rows.
"""

from __future__ import annotations

import contextlib
import pickle
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator

from swampcrawl.lock import CrawlLock
from swampcrawl.records.provenance import WarcRef
from swampcrawl.store import Store
from swampcrawl.store.ingest import Exchange, RowBuffer, Rows, exchange_rows
from swampcrawl.urls import UrlRules

from archive.bars import ProgressBar, no_progress
from archive.reader import Capture, WarcSource, iter_source_captures, list_sources

BATCH_ROWS = 500



class ReparseError(Exception):
    """An input that cannot be reparsed at all: missing, not a WARC, no WARC in a folder."""


@dataclass
class ReparseSummary:
    files: int = 0
    records: int = 0  # response and revisit records read
    pages: int = 0  # story, creator and community pages extracted
    duplicates: int = 0  # records met twice (a folder and a WACZ of it): read once
    skipped: int = 0  # records on other sites than --base-url's
    unresolved: int = 0  # revisits whose original is not among the inputs
    rows: dict[str, int] = field(default_factory=dict)  # rows per table, afterwards
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def line(self, db: str) -> str:
        tables = ", ".join(f"{name} {count}" for name, count in self.rows.items() if name != "crawl_runs")
        return (f"reparse: {self.files} files, {self.records} records, {self.pages} pages, "
                f"{len(self.errors)} errors -> {tables} in {self.seconds:.1f} s; database {db}")

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


class SiteRules:
    """The URL rules of a capture's site: ``--base-url``'s only, or each site its own."""

    def __init__(self, base_url: str | None) -> None:
        self.only = UrlRules(base_url) if base_url else None
        self.sites: dict[str, UrlRules] = {}

    def for_url(self, url: str) -> UrlRules | None:
        parts = urlsplit(url)
        if self.only is not None:
            return self.only if self.only.is_own_host(parts.scheme, parts.netloc) else None
        site = f"{parts.scheme}://{parts.netloc}"
        if site not in self.sites:
            try:
                self.sites[site] = UrlRules(site)
            except ValueError:  # not http(s): dns:, ftp:, a broken URI
                return None
        return self.sites[site]


# -- reading ------------------------------------------------------------------------------


def check_inputs(paths: Iterable[str | Path]) -> list[WarcSource]:
    """The WARC files of the inputs, each checked to start with a WARC record."""
    try:
        sources = list_sources(paths)
    except FileNotFoundError as error:
        raise ReparseError(str(error)) from error
    except Exception as error:  # zipfile.BadZipFile and kin: a .wacz that is no zip
        raise ReparseError(f"not a WACZ file: {error}") from error
    for path in map(Path, paths):
        if path.is_dir() and not any(source.path.is_relative_to(path) for source in sources):
            raise ReparseError(f"no WARC or WACZ files in {path}")
    sources = list({(source.path.resolve(), source.member): source for source in sources}.values())
    for source in sources:
        if not _starts_with_record(source):
            raise ReparseError(f"not a WARC file: {source.member or source.path}")
    return sources


def _starts_with_record(source: WarcSource) -> bool:
    try:
        with source.open() as stream:
            record = next(iter(ArchiveIterator(stream)))
    except Exception:  # warcio's ArchiveLoadFailed, StopIteration on an empty file, ...
        return False
    if record.format.startswith("arc"):  # warcio reads any text line as an ARC header
        return (record.rec_headers.get_header("uri") or "").startswith("filedesc:")
    return record.format.startswith("warc")


def capture_exchange(capture: Capture) -> Exchange:
    """A capture read back from a WARC, as the plain values the ingest takes."""
    ref = WarcRef(capture.filename, capture.offset, capture.record_id, capture.captured_at,
                  capture.length, capture.revisit, capture.payload_digest)
    return Exchange(capture.url, capture.status, capture.headers, capture.body, ref)


class Spool:
    """Rows waiting to be written in WARC-Date order, in a temporary SQLite file."""

    def __init__(self) -> None:
        self.db = sqlite3.connect("")  # "": a private temporary file, deleted on close
        self.db.execute("CREATE TABLE spool (at TEXT, seq INTEGER, rows BLOB)")
        self.count = 0

    def add(self, at: datetime, rows: Rows) -> None:
        self.count += 1
        moment = at.strftime("%Y-%m-%dT%H:%M:%S.%f")
        self.db.execute("INSERT INTO spool VALUES (?, ?, ?)", (moment, self.count, pickle.dumps(rows)))

    def in_date_order(self) -> Iterator[Rows]:
        for (blob,) in self.db.execute("SELECT rows FROM spool ORDER BY at, seq"):
            yield pickle.loads(blob)  # noqa: S301 (our own rows, written just above)

    def close(self) -> None:
        self.db.close()


def read_into(spool: Spool, sources: list[WarcSource], sites: SiteRules, run_id: int,
              summary: ReparseSummary, progress: Any) -> None:
    """Read every capture of the sources, extract its page and spool its rows."""
    starts, done = _progress_starts(sources), 0
    seen: set[str] = set()
    for capture in iter_source_captures(sources, on_error=summary.errors.append):
        position = starts.get((capture.source, capture.filename), 0) + capture.offset
        progress.update(max(0, position - done))
        done = max(done, position)
        summary.records += 1
        if capture.record_id in seen:
            summary.duplicates += 1
            continue
        seen.add(capture.record_id)
        spool_capture(spool, capture, sites, run_id, summary)


def spool_capture(spool: Spool, capture: Capture, sites: SiteRules, run_id: int, summary: ReparseSummary) -> None:
    rules = sites.for_url(capture.url)
    if rules is None:
        summary.skipped += 1
        return
    summary.unresolved += int(capture.revisit and not capture.resolved)
    try:
        rows = exchange_rows(capture_exchange(capture), rules, run_id)
    except Exception as error:  # a page the extractors choke on must not stop the rest
        summary.errors.append(f"{capture.filename}: offset {capture.offset}: {capture.url}: {error}")
        return
    summary.pages += sum(1 for table, _ in rows if table in ("stories", "creators", "communities"))
    spool.add(capture.captured_at, rows)


def _progress_starts(sources: list[WarcSource]) -> dict[tuple[str, str], int]:
    starts, total = {}, 0
    for source in sources:
        starts[(str(source.path), source.filename)] = total
        total += source.size
    return starts


# -- the whole run ------------------------------------------------------------------------


def reparse(paths: Iterable[str | Path], db: str | Path, base_url: str | None = None,
            progress: ProgressBar | None = None) -> ReparseSummary:
    """Rebuild DB's rows from the captures of ``paths``.

    Raises ReparseError (inputs), StoreError (database) or LockedError (a crawl holds it).
    """
    started = time.perf_counter()
    paths = list(paths)
    sources = check_inputs(paths)
    bar = progress or no_progress
    summary = ReparseSummary(files=len(sources))
    sites = SiteRules(base_url)
    # The crawl's lock: a reparse and a crawl never write one database at once.
    with Store(db) as store, CrawlLock(db), contextlib.closing(Spool()) as spool:
        store.mark_dead_runs()
        run_id = store.start_run("reparse", {"paths": [str(p) for p in paths], "base_url": base_url})
        try:
            with bar("reading", sum(source.size for source in sources)) as reading:
                read_into(spool, sources, sites, run_id, summary, reading)
            write_spool(spool, store, bar)
        except BaseException:
            store.finish_run(run_id, "failed", summary.as_dict())
            raise
        summary.rows = store.counts()
        summary.seconds = round(time.perf_counter() - started, 2)
        store.finish_run(run_id, "finished", summary.as_dict())
    return summary


def write_spool(spool: Spool, store: Store, bar: ProgressBar) -> None:
    writer = RowBuffer(store, BATCH_ROWS)
    with bar("writing", spool.count) as writing:
        for rows in spool.in_date_order():
            writer.add(rows)
            writing.update(1)
        writer.flush()



