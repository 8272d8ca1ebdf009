"""``swampcrawl runs``: the history of crawls (and reparses), newest first, from ``crawl_runs``.

For people an aligned table; for scripts (cron's checks) ``--json``. The database is only
read: a missing one, or a file that is not a swampcrawl database, is one line and exit 1.
Runs recorded before the figure columns existed are read from their stats.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from swampcrawl.config import command_default
from swampcrawl.progress import human_duration
from swampcrawl.store.runs import run_figures
from swampcrawl.store.values import now_iso

STORY_FIGURES = ("new", "changed", "unchanged", "removed", "renamed")
FIGURES = ("requests", "responses", *STORY_FIGURES, "errors", "exit_status")

# The table's columns: (heading, key of a run, right-aligned).
TABLE = (
    ("id", "id", True), ("spider", "spider", False), ("status", "status", False),
    ("exit", "exit_status", True), ("started", "started_at", False),
    ("duration", "duration_seconds", True), ("requests", "requests", True),
    *((name, name, True) for name in STORY_FIGURES), ("errors", "errors", True),
)  # fmt: skip


class RunsError(Exception):
    """A database that cannot be read: one line for the user."""


def read_runs(db_path: Path, limit: int, spider: str | None = None) -> list[dict[str, Any]]:
    """The last ``limit`` runs (of ``spider``), newest first, as plain dicts."""
    if not db_path.is_file():
        raise RunsError(f"no database at {db_path}")
    try:
        with contextlib.closing(_connect(db_path)) as db:
            return [run_dict(row) for row in _query(db, db_path, limit, spider)]
    except sqlite3.DatabaseError as error:  # not a database, a corrupt one, a locked one
        raise RunsError(f"cannot read {db_path}: {error}") from error


def _connect(db_path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(db_path, timeout=5.0)
    db.row_factory = sqlite3.Row
    return db


def _query(db: sqlite3.Connection, db_path: Path, limit: int, spider: str | None) -> list[sqlite3.Row]:
    if not db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'crawl_runs'").fetchone():
        raise RunsError(f"{db_path} has no crawl_runs table: not a swampcrawl database")
    where, params = ("WHERE spider = ?", [spider]) if spider else ("", [])
    return db.execute(f"SELECT * FROM crawl_runs {where} ORDER BY id DESC LIMIT ?", [*params, limit]).fetchall()


def run_dict(row: sqlite3.Row) -> dict[str, Any]:
    """A crawl_runs row as the command shows it: its figures, and how long it ran (or has run)."""
    run = dict(row)
    stats = _stats(run.get("stats"))
    return {
        "id": run["id"], "spider": run["spider"], "status": run["status"],
        "started_at": run["started_at"], "finished_at": run.get("finished_at"),
        "duration_seconds": _duration(run, stats), **_figures(run, stats),
        "pages": run.get("pages"), "items": run.get("items"),
    }  # fmt: skip


def _stats(raw: Any) -> dict[str, Any] | None:
    try:
        stats = json.loads(raw) if raw else None
    except ValueError:
        return None
    return stats if isinstance(stats, dict) else None


def _figures(run: dict[str, Any], stats: dict[str, Any] | None) -> dict[str, int | None]:
    """The figure columns (NULL while running, and for killed runs); a run recorded before
    they existed has them computed from its stats."""
    if stats is None:
        return {name: run.get(name) for name in FIGURES}
    computed = run_figures(stats, run["status"])
    return {name: computed[name] if run.get(name) is None else run[name] for name in FIGURES}


def _duration(run: dict[str, Any], stats: dict[str, Any] | None) -> float | None:
    """Seconds the run took (a crawl's own figure when it has one), or has taken so far."""
    elapsed = (stats or {}).get("elapsed_time_seconds") or (stats or {}).get("seconds")
    if isinstance(elapsed, (int, float)) and not isinstance(elapsed, bool):
        return round(float(elapsed), 1)
    end = run.get("finished_at") or (now_iso() if run["status"] == "running" else None)
    try:
        seconds = (datetime.fromisoformat(end) - datetime.fromisoformat(run["started_at"])).total_seconds()
    except (TypeError, ValueError):
        return None
    return max(0.0, seconds)


# -- output -------------------------------------------------------------------------------------


def table_lines(runs: list[dict[str, Any]]) -> list[str]:
    """An aligned table: a heading line, then one line per run; unknown figures are ``-``."""
    cells = [[heading for heading, _, _ in TABLE]] + [[_cell(run, key) for _, key, _ in TABLE] for run in runs]
    widths = [max(len(row[i]) for row in cells) for i in range(len(TABLE))]
    return ["  ".join(_align(text, width, right) for text, width, (_, _, right) in zip(row, widths, TABLE)).rstrip()
            for row in cells]


def _cell(run: dict[str, Any], key: str) -> str:
    value = run.get(key)
    if value is None:
        return "-"
    if key == "duration_seconds":
        return human_duration(value)
    if key == "started_at":
        return value.replace("T", " ").rstrip("Z")
    return f"{value:,}" if isinstance(value, int) and key != "id" else str(value)


def _align(text: str, width: int, right: bool) -> str:
    return text.rjust(width) if right else text.ljust(width)


@click.command()
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
              default=lambda: command_default("SWAMPCRAWL_DB"), show_default="$SWAMPCRAWL_DB or data/swamp.db",
              help="The SQLite database.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="How many runs to show.")
@click.option("--spider", help="Only the runs of this spider (stories, creators, communities, reparse).")
@click.option("--json", "as_json", is_flag=True, help="Print the runs as a JSON list, for scripts.")
def runs(db_path: Path, limit: int, spider: str | None, as_json: bool) -> None:
    """The last crawl runs, newest first: status, exit status, duration, requests, stories
    new/changed/unchanged/removed/renamed and errors.

    Times are UTC. A run still `running` whose process died is marked `killed` by the next
    crawl. `--json` gives every figure (also responses, pages, items, finished_at, duration_seconds
    in seconds) with null for unknown ones.

    Example:

    \b
        swampcrawl runs --db data/swamp.db --limit 5
        swampcrawl runs --spider stories --json
    """
    try:
        found = read_runs(db_path, limit, spider)
    except RunsError as error:
        raise click.ClickException(str(error)) from error
    if as_json:
        click.echo(json.dumps(found, indent=2))
    elif not found:
        click.echo(f"no runs{f' of {spider}' if spider else ''} in {db_path}")
    else:
        click.echo("\n".join(table_lines(found)))

