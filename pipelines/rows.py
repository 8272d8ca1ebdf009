"""Records and responses turned into the store's rows (dicts of column values)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from itertools import groupby
from typing import Any

from swampcrawl.records import Community, Creator, Story
from swampcrawl.store import Store
from swampcrawl.urls import PageKind, UrlRules

Rows = list[tuple[str, dict[str, Any]]]

# The order tables are written in: profiles before the stories naming them, removals last.
WRITE_ORDER = ("communities_minimal", "creators_minimal", "communities", "creators", "stories", "captures", "removed")

# The contract's capture kinds, from the URL classifier's finer ones.
CAPTURE_KINDS = {
    PageKind.STORY: "story",
    PageKind.RESOURCES_STORY: "story",
    PageKind.CREATOR: "creator",
    PageKind.COMMUNITY: "community",
    PageKind.COMMUNITY_LISTING: "listing",
    PageKind.TAG_LISTING: "listing",
    PageKind.GLOBAL_LISTING: "listing",
}


def record_row(record: Story | Creator | Community) -> dict[str, Any]:
    """A record's columns; its ``errors`` are stored as ``extraction_errors``."""
    row = record.model_dump(mode="json")
    row["extraction_errors"] = row.pop("errors", [])
    return row


def minimal_rows(story: Story, rules: UrlRules) -> list[tuple[str, dict[str, Any]]]:
    """The creator and community a story names (slug and name), for tables the
    creators and communities spiders fill in full."""
    rows: list[tuple[str, dict[str, Any]]] = []
    base = rules.base_url
    if story.author:
        rows.append(("creators_minimal", {"slug": story.author, "name": story.author_name, "url": f"{base}/authors/{story.author}"}))
    if story.community:
        rows.append(("communities_minimal", {"slug": story.community, "name": story.community_name, "url": f"{base}/{story.community}"}))
    return rows


def capture_row(response: Any, request: Any, rules: UrlRules, run_id: int | None) -> dict[str, Any]:
    location = request.meta.get("warc")
    date = getattr(location, "date", None) or datetime.now(UTC)
    return {
        "url": response.url,
        "status": response.status,
        "captured_at": date,
        "kind": CAPTURE_KINDS.get(rules.classify(response.url), "other"),
        "warc_filename": getattr(location, "filename", None),
        "warc_offset": getattr(location, "offset", None),
        "warc_record_id": getattr(location, "record_id", None),
        "run_id": run_id,
    }


def record_rows(record: Any, rules: UrlRules) -> Rows:
    """The rows one extracted record gives (a story also names its creator and community)."""
    if isinstance(record, Story):
        return [("stories", record_row(record)), *minimal_rows(record, rules)]
    if isinstance(record, Creator):
        return [("creators", record_row(record))]
    if isinstance(record, Community):
        return [("communities", record_row(record))]
    return []


def response_rows(capture: dict[str, Any]) -> Rows:
    """The rows one archived response gives: its captures row, and a removal for a story's 404."""
    rows: Rows = [("captures", capture)]
    if capture["status"] == 404 and capture["kind"] == "story":
        rows.append(("removed", capture))
    return rows


class RowBuffer:
    """Rows buffered and written in WRITE_ORDER, each flush one transaction.

    Shared by the store pipeline (a crawl) and reparse (an archive), so both
    build a database the same way.
    """

    def __init__(self, store: Store, batch: int, on_written: Callable[[str, int], None] | None = None) -> None:
        self.store = store
        self.batch = batch
        self.on_written = on_written
        self.pending: dict[str, list[dict[str, Any]]] = {}
        self.size = 0

    def add(self, rows: Rows) -> None:
        for table, row in rows:
            self.pending.setdefault(table, []).append(row)
        self.size += len(rows)
        if self.size >= self.batch:
            self.flush()

    def flush(self) -> None:
        pending, self.pending, self.size = self.pending, {}, 0
        writers = {
            "communities_minimal": self.store.ensure_communities,
            "creators_minimal": self.store.ensure_creators,
            "communities": self.store.upsert_communities,
            "creators": self.store.upsert_creators,
            "stories": self.store.upsert_stories,
            "captures": self.store.add_captures,
            "removed": self._mark_removed,
        }
        with self.store.db.atomic():  # the writers' own transactions nest as savepoints
            for table in WRITE_ORDER:
                if pending.get(table):
                    writers[table](pending[table])
                    if self.on_written:
                        self.on_written(table, len(pending[table]))

    def _mark_removed(self, rows: list[dict[str, Any]]) -> None:
        """Each 404 at its own capture time: the store leaves a story seen after it alone."""
        for at, group in groupby(rows, key=lambda row: row["captured_at"]):
            self.store.mark_removed([row["url"] for row in group], at)
