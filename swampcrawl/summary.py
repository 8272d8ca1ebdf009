"""``swampcrawl summary``: what the database and the archive hold, and what the last runs did."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import sqlite_utils

from swampcrawl.config import command_default
from swampcrawl.store.schema import TABLES

SAMPLE_QUERY = """
select community, count(*) as stories, count(distinct author) as creators,
       max(published_at) as latest
from stories where removed_at is null
group by community order by stories desc limit 5
""".strip()


def gather(db_path: Path, warc_dir: Path | None) -> dict[str, Any]:
    db = sqlite_utils.Database(db_path)
    existing = set(db.table_names())
    summary: dict[str, Any] = {
        "database": str(db_path),
        "rows": {t: db[t].count for t in TABLES if t in existing},
        "runs": [],
        "sample_query": SAMPLE_QUERY,
        "sample_rows": [],
    }
    if "crawl_runs" in existing:
        summary["runs"] = [_run_row(r) for r in db.query("select * from crawl_runs order by id desc limit 5")]
    if "stories" in existing:
        summary["sample_rows"] = list(db.query(SAMPLE_QUERY))
    if warc_dir is not None and warc_dir.is_dir():
        files = sorted(warc_dir.glob("*.warc.gz"))
        summary["warc"] = {
            "folder": str(warc_dir),
            "files": len(files),
            "bytes": sum(f.stat().st_size for f in files),
            "open_files": len(list(warc_dir.glob("*.open"))),
        }
    return summary


def _run_row(row: dict[str, Any]) -> dict[str, Any]:
    stats = json.loads(row.get("stats") or "{}")
    return {
        "id": row["id"],
        "spider": row["spider"],
        "status": row["status"],
        "started_at": row["started_at"],
        "finished_at": row["finished_at"],
        "responses": stats.get("downloader/response_count", 0),
        "items": stats.get("item_scraped_count", 0),
        "warc_records": stats.get("swampcrawl/warc/records_written", 0),
        "errors": stats.get("log_count/ERROR", 0),
    }


def print_summary(summary: dict[str, Any]) -> None:
    click.echo(f"database {summary['database']}")
    for table, count in summary["rows"].items():
        click.echo(f"  {table:<15} {count:>8,} rows")
    if "warc" in summary:
        w = summary["warc"]
        click.echo(f"archive {w['folder']}: {w['files']} WARC files, {w['bytes'] / 1e6:,.1f} MB, {w['open_files']} open")
    if summary["runs"]:
        click.echo("last runs:")
        for run in summary["runs"]:
            click.echo(
                f"  #{run['id']} {run['spider']:<11} {run['status']:<9} {run['started_at']} -> {run['finished_at']}"
                f"  {run['responses']:,} responses, {run['items']:,} items,"
                f" {run['warc_records']:,} WARC records, {run['errors']} errors"
            )
    if summary["sample_rows"]:
        click.echo("sample query (stories per community):")
        click.echo("  " + " ".join(summary["sample_query"].split()))
        for row in summary["sample_rows"]:
            click.echo(f"  {row['community']:<12} {row['stories']:>6} stories {row['creators']:>5} creators  latest {row['latest']}")


@click.command()
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
              default=lambda: command_default("SWAMPCRAWL_DB"), show_default="$SWAMPCRAWL_DB or data/swamp.db",
              help="The SQLite database.")
@click.option("--warc-dir", type=click.Path(file_okay=False, path_type=Path),
              default=lambda: command_default("SWAMPCRAWL_WARC_DIR"), show_default="$SWAMPCRAWL_WARC_DIR or data/warc",
              help="The folder of WARC files.")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def summary(db_path: Path, warc_dir: Path, as_json: bool) -> None:
    """Rows per table, the last crawl runs, the archive's size and a sample query.

    Example:

    \b
        swampcrawl summary --db data/swamp.db
    """
    if not db_path.is_file():
        raise click.ClickException(f"no database at {db_path}")
    result = gather(db_path, warc_dir)
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        print_summary(result)
