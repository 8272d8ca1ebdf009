"""Crawl bookkeeping: one ``crawl_runs`` row per run, one ``captures`` row per response."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from swampcrawl.store.errors import StoreError
from swampcrawl.store.schema import CAPTURE_COLUMNS, ERROR_COLUMNS
from swampcrawl.store.values import as_dict, now_iso, pick, to_flag, to_iso, to_json

# captures.kind has the contract's five values; the URL rules' finer kinds map onto them
# and are kept whole in page_kind.
_KIND = {
    "story": "story", "resources_story": "story", "creator": "creator",
    "community": "community", "community_listing": "listing",
    "tag_listing": "listing", "global_listing": "listing", "listing": "listing",
    "stylesheet": "requisite", "script": "requisite", "font": "requisite", "image": "requisite",
}  # fmt: skip

# Scrapy's stats keys for the two figures worth a column of their own.
_PAGES_KEYS = ("response_received_count", "downloader/response_count")
_ITEMS_KEYS = ("item_scraped_count",)


def start_run(db: Database, spider: str, settings: dict[str, Any] | None = None) -> int:
    with db.atomic():
        table = db["crawl_runs"].insert(
            {
                "spider": spider,
                "started_at": now_iso(),
                "status": "running",
                "settings": to_json(settings),
            }
        )
    return int(table.last_pk)


# How a run ended, from Scrapy's finish reason: the reasons a crawl ends by itself or is
# stopped by a person pass through; a write failure of the store or the archive is "failed".
_REASON_STATUS = {"finished": "finished", "shutdown": "shutdown", "store_failed": "failed",
                  "archive_failed": "failed"}


def run_status(reason: str | None) -> str:
    """``crawl_runs.status`` for a Scrapy finish reason (``closespider_*`` kept as it is)."""
    reason = str(reason or "failed")
    if reason.startswith("closespider_"):
        return reason
    return _REASON_STATUS.get(reason, "failed")


def mark_dead_runs(db: Database) -> list[int]:
    """Runs left ``running`` by a process that died: marked ``killed``, finished at their
    last capture. Call it holding the crawl lock, so no live run can be among them."""
    ids = [row[0] for row in db.execute("SELECT id FROM crawl_runs WHERE status = 'running' ORDER BY id")]
    if ids:
        with db.atomic():
            db.execute(
                "UPDATE crawl_runs SET status = 'killed', finished_at = "
                "(SELECT max(captured_at) FROM captures WHERE captures.run_id = crawl_runs.id) "
                f"WHERE id IN ({', '.join('?' for _ in ids)})", ids)
    return ids


def finish_run(db: Database, run_id: int, status: str, stats: dict[str, Any] | None) -> None:
    stats = dict(stats or {})
    with db.atomic():
        changed = db.execute(
            "UPDATE crawl_runs SET finished_at = ?, status = ?, stats = ?, pages = ?, items = ? "
            "WHERE id = ?",
            [now_iso(), status, to_json(stats), _first(stats, _PAGES_KEYS),
             _first(stats, _ITEMS_KEYS), run_id],
        ).rowcount  # fmt: skip
    if not changed:
        raise StoreError(f"no crawl run with id {run_id}")


def _first(stats: dict[str, Any], keys: tuple[str, ...]) -> int | None:
    for key in keys:
        if isinstance(stats.get(key), int):
            return stats[key]
    return None


def get_run(db: Database, run_id: int) -> dict[str, Any] | None:
    """A run with its stats and settings decoded from JSON."""
    run = next(db.query("SELECT * FROM crawl_runs WHERE id = ?", [run_id]), None)
    if run is None:
        return None
    for column in ("stats", "settings"):
        run[column] = json.loads(run[column]) if run[column] else None
    return run


def prepare_capture(raw: Any) -> dict[str, Any]:
    row = as_dict(raw)
    capture = pick(row, CAPTURE_COLUMNS)
    capture.pop("id")  # SQLite numbers captures
    kind = str(row.get("page_kind") or row.get("kind") or "other")
    capture["page_kind"] = kind
    capture["kind"] = _KIND.get(kind, "other")
    capture["captured_at"] = to_iso(capture["captured_at"]) or now_iso()
    capture["revisit"] = to_flag(capture["revisit"])
    return capture


def add_captures(db: Database, rows: list[Any]) -> int:
    """Record archived responses in one transaction; returns how many were added."""
    prepared = [prepare_capture(row) for row in rows]
    if prepared:
        with db.atomic():
            db["captures"].insert_all(prepared)
    return len(prepared)


def add_errors(db: Database, rows: list[Any]) -> int:
    """Record URLs that could not be fetched, in one transaction."""
    prepared = []
    for raw in rows:
        row = pick(as_dict(raw), ERROR_COLUMNS)
        row.pop("id")
        row["at"] = to_iso(row["at"]) or now_iso()
        prepared.append(row)
    if prepared:
        with db.atomic():
            db["errors"].insert_all(prepared)
    return len(prepared)
