"""``swampcrawl report``: one self-contained HTML page of charts about the database.

The numbers are those of ``swampcrawl stats`` (``swampcrawl.research.stats``), read once from a
read-only connection; the charts are drawn by matplotlib as inline SVG
(``swampcrawl.research.charts``), one section each (``report_sections``), on a page that names
no external URL (``report_html``): it opens offline.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

from swampcrawl.research import report_html, report_sections, stats
from swampcrawl.research.database import ResearchError, db_option, open_readonly

DEFAULT_TITLE = "swampcrawl report"


def read_report_data(db: sqlite3.Connection) -> dict[str, Any]:
    """Everything the report shows, as plain values (``report_sections.sections`` takes it)."""
    return {
        "totals": stats.totals(db),
        "communities": stats.by_community(db),
        "community_months": stats.community_months(db),
        "creators": stats.top_creators(db, report_sections.TOP_CREATORS),
        "tags": stats.top_tags(db, report_sections.TOP_TAGS),
        "words": stats.word_counts(db),
        "changes": stats.changes_by_month(db),
        "runs": stats.run_history(db),
        "runs_by_status": stats.runs_by_status(db),
    }


def build_report(db_path: Path, title: str = DEFAULT_TITLE, generated: datetime | None = None) -> str:
    """The report's HTML for the database at ``db_path`` (raises ``ResearchError``)."""
    with open_readonly(db_path, need=stats.TABLES) as db:
        data = read_report_data(db)
    moment = (generated or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    return report_html.page(title, str(db_path), moment, data["totals"], report_sections.sections(data))


def check_out(out: Path, db_path: Path) -> None:
    """Refuse, before any work, an ``--out`` that cannot be written or is the database itself."""
    if out.is_dir():
        raise ResearchError(f"cannot write {out}: it is a directory")
    if not out.parent.is_dir():
        raise ResearchError(f"cannot write {out}: no directory {out.parent}")
    if out.exists() and db_path.exists() and out.samefile(db_path):
        raise ResearchError(f"cannot write {out}: it is the database")


def write_report(out: Path, text: str) -> None:
    """Write the page to ``out``; an error is one line (``ResearchError``)."""
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as error:
        raise ResearchError(f"cannot write {out}: {error.strerror or error}") from error


@click.command()
@db_option
@click.option("--out", "-o", "out", type=click.Path(path_type=Path), required=True,
              help="The HTML file to write (replaced if it exists).")
@click.option("--title", default=DEFAULT_TITLE, show_default=True, help="The page's title and heading.")
def report(db_path: Path, out: Path, title: str) -> None:
    """Write one self-contained HTML page of charts about the database: stories per month by
    community, top creators, tag frequencies, story length, edits and removals per month, and
    the crawl history; each chart with a caption giving its numbers, and the numbers as a table.

    The page names no external URL (no CDN, web font or remote image): charts are inline SVG
    drawn by matplotlib, the stylesheet is inline, so it opens offline. The counts are those of
    `swampcrawl stats`. The database is only read; a chart with nothing to show says so.

    Example:

    \b
        swampcrawl report --db data/swamp.db --out report.html
        swampcrawl report --out vocal.html --title "Vocal archive, November 2026"
    """
    try:
        check_out(out, db_path)
        text = build_report(db_path, title)
        write_report(out, text)
    except ResearchError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"wrote {out} ({len(text.encode('utf-8')):,} bytes)")
