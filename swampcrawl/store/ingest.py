"""Archived exchanges and extracted records turned into the store's rows.

One path for both ways a database is filled: the crawl (the store pipeline hears of each
archived response and receives each extracted record) and ``swampcrawl reparse`` (which
reads the same exchanges back from WARC files). Both hand plain values to this module, so
both build the same rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import Any
from urllib.parse import urljoin

from swampcrawl.pages import extract
from swampcrawl.records import Community, Creator, Record, Story
from swampcrawl.records.provenance import WarcRef, capture_time, with_provenance
from swampcrawl.records.usable import unusable_reason
from swampcrawl.requisites import REQUISITE_KINDS, requisite_kind
from swampcrawl.store import Store
from swampcrawl.urls import PageKind, UrlRules

Rows = list[tuple[str, Any]]

# The order tables are written in: profiles before the stories naming them, removals last.
WRITE_ORDER = ("communities_minimal", "creators_minimal", "communities", "creators", "stories", "captures", "removed",
               "seen", "errors")
# The table of each page kind whose row a 304 Not Modified confirms.
SEEN_TABLES = {PageKind.STORY: "stories", PageKind.RESOURCES_STORY: "stories", PageKind.CREATOR: "creators",
               PageKind.COMMUNITY: "communities"}
PAGE_KINDS = frozenset({PageKind.STORY, PageKind.RESOURCES_STORY, PageKind.CREATOR, PageKind.COMMUNITY})
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", ""})
# Statuses a crawl retries (RETRY_HTTP_CODES, and 429/503 after their Retry-After): one such
# answer is not yet a failure.
RETRIED = frozenset({408, 429, 500, 502, 503, 504, 522, 524})


@dataclass
class Exchange:
    """One archived HTTP response, as plain values: what a crawl saw or a WARC holds."""

    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""  # decoded (no transfer or content coding); empty when not needed
    ref: WarcRef | None = None

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((value for key, value in self.headers if key.lower() == name), None)

    @property
    def captured_at(self) -> datetime:
        return capture_time(self.ref)

    @property
    def mime(self) -> str:
        return (self.header("content-type") or "").split(";", 1)[0].strip().lower()


def header_pairs(headers: Any) -> list[tuple[str, str]]:
    """Every value of every header of a Scrapy ``Headers`` object (``keys``, ``getlist``), as
    text. ``headers[key]`` would keep only the last of two Set-Cookie headers."""
    return [(key.decode("latin-1"), value.decode("latin-1")) for key in headers.keys() for value in headers.getlist(key)]


def capture_row(exchange: Exchange, rules: UrlRules, run_id: int | None) -> dict[str, Any]:
    """The ``captures`` row of an archived response (the store maps page_kind onto kind)."""
    ref = exchange.ref
    location = exchange.header("location")
    return {
        "url": exchange.url,
        "status": exchange.status,
        "captured_at": exchange.captured_at,
        "page_kind": page_kind(exchange, rules),
        "warc_filename": ref.filename if ref else None,
        "warc_offset": ref.offset if ref else None,
        "warc_record_id": ref.record_id if ref else None,
        "warc_length": ref.length if ref else None,
        "revisit": ref.revisit if ref else None,
        "content_type": exchange.header("content-type"),
        "location": urljoin(exchange.url, location) if location and 300 <= exchange.status < 400 else None,
        "etag": exchange.header("etag"),
        "last_modified": exchange.header("last-modified"),
        "run_id": run_id,
    }


def page_kind(exchange: Exchange, rules: UrlRules) -> str:
    """A stylesheet, script, font or image by its Content-Type (whatever its URL looks like:
    an image host's ``/photo-123`` is no community); else the URL rules' kind of a page; else,
    for ``other``, a requisite's kind by the file extension."""
    content_type = exchange.header("content-type")
    kind = requisite_kind("", content_type)
    if kind is not None:
        return kind
    url_kind = rules.classify(exchange.url)
    if url_kind == PageKind.OTHER:
        return requisite_kind(exchange.url, content_type) or str(url_kind)
    return str(url_kind)


def response_rows(exchange: Exchange, rules: UrlRules, run_id: int | None) -> Rows:
    """The rows one archived response gives: its captures row, a removal for a story's 404 or
    410, a sighting for a page's 304 Not Modified, an ``errors`` row for a requisite's error
    status."""
    row = capture_row(exchange, rules, run_id)
    rows: Rows = [("captures", row)]
    url_kind = rules.classify(exchange.url)
    if exchange.status in (404, 410) and url_kind in (PageKind.STORY, PageKind.RESOURCES_STORY):
        rows.append(("removed", row))
    if exchange.status == 304 and url_kind in SEEN_TABLES:
        rows.append(("seen", {"url": exchange.url, "table": SEEN_TABLES[url_kind], "captured_at": row["captured_at"]}))
    if exchange.status >= 400 and exchange.status not in RETRIED and row["page_kind"] in REQUISITE_KINDS:
        # A page's stylesheet or image that is not there: the page will not replay whole. (A
        # status a crawl retries is an errors row only if the last try fails: the crawl's own.)
        rows.append(("errors", {"url": exchange.url, "kind": row["page_kind"], "reason": f"HTTP {exchange.status}",
                                "attempts": 1, "last_status": exchange.status, "at": row["captured_at"],
                                "run_id": run_id}))
    return rows


def page_record(exchange: Exchange, rules: UrlRules) -> Record | None:
    """The record of a 200 HTML story, creator or community page, with its provenance."""
    if exchange.status != 200 or not exchange.body or exchange.mime not in HTML_TYPES:
        return None
    if rules.classify(exchange.url) not in PAGE_KINDS:
        return None
    record = extract(exchange.body, exchange.url, exchange.captured_at, rules.base_url,
                     content_type=exchange.header("content-type"))
    return with_provenance(record, exchange.ref)


def minimal_rows(story: Story, rules: UrlRules) -> Rows:
    """The creator and community a story names (slug and name), for tables the
    creators and communities spiders fill in full."""
    rows: Rows = []
    base = rules.base_url
    if story.author:
        rows.append(("creators_minimal", {"slug": story.author, "name": story.author_name, "url": f"{base}/authors/{story.author}"}))
    if story.community:
        rows.append(("communities_minimal", {"slug": story.community, "name": story.community_name, "url": f"{base}/{story.community}"}))
    return rows


def record_rows(record: Any, rules: UrlRules, run_id: int | None = None) -> Rows:
    """The rows one extracted record gives (a story also names its creator and community).
    Records go to the store as they are: the store converts each once. A record that is not
    a page of its kind (a maintenance page, an empty body) gives an ``errors`` row only: the
    stored row keeps its content."""
    if isinstance(record, Record) and (reason := unusable_reason(record)) is not None:
        return [("errors", error_row(record, reason, run_id))]
    if isinstance(record, Story):
        return [("stories", record), *minimal_rows(record, rules)]
    if isinstance(record, Creator):
        return [("creators", record)]
    if isinstance(record, Community):
        return [("communities", record)]
    return []


def error_row(record: Record, reason: str, run_id: int | None) -> dict[str, Any]:
    """The ``errors`` row of a page whose record could not be used."""
    return {"url": getattr(record, "url", None), "kind": type(record).__name__.lower(), "reason": reason,
            "attempts": 1, "last_status": 200, "at": record.captured_at, "run_id": run_id}


def exchange_rows(exchange: Exchange, rules: UrlRules, run_id: int | None) -> Rows:
    """Every row an archived exchange gives: its captures row, a removal, its page's records."""
    rows = response_rows(exchange, rules, run_id)
    record = page_record(exchange, rules)
    if record is not None:
        rows += record_rows(record, rules, run_id)
    return rows


class RowBuffer:
    """Rows buffered and written in WRITE_ORDER, each flush one transaction.

    Shared by the store pipeline (a crawl) and reparse (an archive), so both build a
    database the same way. A flush that fails keeps its rows: they are written by the
    next flush, or stay for the caller to report.
    """

    def __init__(self, store: Store, batch: int, on_written: Callable[[str, int], None] | None = None) -> None:
        self.store = store
        self.batch = batch
        self.on_written = on_written
        self.pending: dict[str, list[Any]] = {}
        self.size = 0

    def add(self, rows: Rows) -> None:
        for table, row in rows:
            self.pending.setdefault(table, []).append(row)
        self.size += len(rows)
        if self.size >= self.batch:
            self.flush()

    def flush(self) -> None:
        if not self.size:
            return
        writers = {
            "communities_minimal": self.store.ensure_communities,
            "creators_minimal": self.store.ensure_creators,
            "communities": self.store.upsert_communities,
            "creators": self.store.upsert_creators,
            "stories": self.store.upsert_stories,
            "captures": self.store.add_captures,
            "removed": self._mark_removed,
            "seen": self.store.mark_seen,
            "errors": self.store.add_errors,
        }
        written: list[tuple[str, int]] = []
        with self.store.db.atomic():  # the writers' own transactions nest as savepoints
            for table in WRITE_ORDER:
                if self.pending.get(table):
                    writers[table](self.pending[table])
                    written.append((table, len(self.pending[table])))
        self.pending, self.size = {}, 0  # only once the transaction committed
        for table, count in written:
            if self.on_written:
                self.on_written(table, count)

    def _mark_removed(self, rows: list[dict[str, Any]]) -> None:
        """Each 404 at its own capture time: the store leaves a story seen after it alone."""
        for at, group in groupby(rows, key=lambda row: row["captured_at"]):
            self.store.mark_removed([row["url"] for row in group], at)
