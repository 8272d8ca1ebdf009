"""Crawl bookkeeping: one ``crawl_runs`` row per run, one ``captures`` row per response."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from swampcrawl.store.errors import StoreError
from swampcrawl.store.schema import CAPTURE_COLUMNS, ERROR_COLUMNS, RUN_FIGURE_COLUMNS
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

# crawl_runs' figures and the stats they are read from (a missing stat counts 0).
FIGURE_STATS = {
    "requests": "downloader/request_count",
    "responses": "downloader/response_count",
    "new": "swampcrawl/stories/new",
    "changed": "swampcrawl/stories/changed",
    "unchanged": "swampcrawl/stories/unchanged",
    "removed": "swampcrawl/stories/removed",
    "renamed": "swampcrawl/stories/renamed",
}
FAILED_STAT = "swampcrawl/requests/failed"

# The exit status of `scrapy crawl` by the run's status (see swampcrawl/scrapy_commands/crawl.py).
SUCCESS_STATUSES = frozenset({"finished", "closespider_itemcount", "closespider_pagecount", "closespider_timeout"})
INTERRUPTED = 130
UNFINISHED_STATUSES = frozenset({"running", "killed"})


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


FINISHED_WITH_ERRORS = 4


def exit_code(status: str | None, errors: int = 0) -> int | None:
    """The exit status a run with this ``crawl_runs.status`` gives: 0, 4 (finished, but some
    URLs could not be fetched: the ``errors`` table), 1 or 130 (None: unfinished)."""
    if status in UNFINISHED_STATUSES or status is None:
        return None
    if status in SUCCESS_STATUSES:
        return FINISHED_WITH_ERRORS if errors else 0
    return INTERRUPTED if status == "shutdown" else 1


def run_figures(stats: dict[str, Any], status: str | None, error_rows: int = 0) -> dict[str, int | None]:
    """The figure columns of a run (requests, responses, stories new..renamed, errors, exit_status)."""
    figures: dict[str, int | None] = {name: _count(stats, key) for name, key in FIGURE_STATS.items()}
    figures["errors"] = max(error_rows, _count(stats, FAILED_STAT))
    figures["exit_status"] = exit_code(status, figures["errors"])
    return figures


def _count(stats: dict[str, Any], key: str) -> int:
    value = stats.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _error_rows(db: Database, run_id: int) -> int:
    if not db["errors"].exists():
        return 0
    return db.execute("SELECT count(*) FROM errors WHERE run_id = ?", [run_id]).fetchone()[0]


def finish_run(db: Database, run_id: int, status: str, stats: dict[str, Any] | None) -> None:
    stats = dict(stats or {})
    with db.atomic():
        figures = run_figures(stats, status, _error_rows(db, run_id))
        changed = db.execute(
            "UPDATE crawl_runs SET finished_at = ?, status = ?, stats = ?, pages = ?, items = ?, "
            f"{_assignments(figures)} WHERE id = ?",
            [now_iso(), status, to_json(stats), _first(stats, _PAGES_KEYS),
             _first(stats, _ITEMS_KEYS), *figures.values(), run_id],
        ).rowcount  # fmt: skip
    if not changed:
        raise StoreError(f"no crawl run with id {run_id}")


def _assignments(figures: dict[str, Any]) -> str:
    assert set(figures) <= set(RUN_FIGURE_COLUMNS)  # names are ours, never input
    return ", ".join(f'"{name}" = ?' for name in figures)


def backfill_figures(db: Database) -> None:
    """Fill the figure columns of finished runs from their stats (runs recorded before them)."""
    rows = db.execute("SELECT id, status, stats FROM crawl_runs WHERE stats IS NOT NULL").fetchall()
    for run_id, status, raw in rows:
        try:
            stats = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(stats, dict):
            continue
        figures = run_figures(stats, status, _error_rows(db, run_id))
        db.execute(f"UPDATE crawl_runs SET {_assignments(figures)} WHERE id = ?", [*figures.values(), run_id])


def set_exit_status(db: Database, spider: str, since: str, code: int) -> int | None:
    """Record the crawl command's exit status on its run: the latest run of ``spider`` started
    at ``since`` or later (the command holds the crawl lock: no other run can be it). Returns
    the run's id, or None when the crawl recorded no run."""
    row = db.execute(
        "SELECT id FROM crawl_runs WHERE spider = ? AND started_at >= ? ORDER BY id DESC LIMIT 1",
        [spider, since],
    ).fetchone()
    if row is None:
        return None
    with db.atomic():
        db.execute("UPDATE crawl_runs SET exit_status = ? WHERE id = ?", [code, row[0]])
    return row[0]


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
