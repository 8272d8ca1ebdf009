"""``swampcrawl stats``: what the database holds, counted: stories by community, by month, by
creator and by tag; edits and removals per month; crawl runs by status and the last one.

The counting functions take an open connection (``open_readonly``) and return plain lists of
dicts, so that ``swampcrawl report`` draws its charts from the same numbers:

    with open_readonly(path, need=TABLES) as db:
        by_community(db)        # [{"community": "fiction", "name": "Fiction", "stories": 10, ...}]

Months are ``YYYY-MM`` of UTC times: a story's month is that of ``published_at``; an edit's
that of the capture that first showed the new content (``story_versions.captured_at``, every
version but a story's first); a removal's that of ``removed_at``. Removed stories stay in
every count (the archive keeps them); ``live`` and ``removed`` tell them apart.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import click

from swampcrawl.research.database import ResearchError, db_option, open_readonly
from swampcrawl.research.output import show
from swampcrawl.runs import run_dict

# The tables the counts read; a database without one of them is not a swampcrawl database.
TABLES = ("stories", "story_versions", "story_tags", "tags", "creators", "communities", "crawl_runs")
GROUPS = ("community", "month", "creator", "tag", "runs")

# An edit is every version of a story but its first (the earliest capture, then insertion order).
EDITS = """
SELECT substr(captured_at, 1, 7) AS month, count(*) AS n FROM (
    SELECT captured_at, row_number() OVER (PARTITION BY story_url ORDER BY captured_at, rowid) AS nth
    FROM story_versions)
WHERE nth > 1 GROUP BY month
"""


def _rows(db: sqlite3.Connection, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    return [dict(row) for row in db.execute(sql, params)]


def totals(db: sqlite3.Connection) -> dict[str, Any]:
    """One figure per line of the overview: stories, live, removed, creators, tags, ..."""
    figures = _rows(db, """
        SELECT count(*) AS stories, count(*) - count(removed_at) AS live, count(removed_at) AS removed,
               count(DISTINCT community) AS communities, count(DISTINCT author) AS creators,
               sum(published_at IS NULL) AS undated,
               min(published_at) AS first_published, max(published_at) AS last_published,
               max(last_seen_at) AS last_captured
        FROM stories""")[0]
    figures["undated"] = figures["undated"] or 0
    figures["tags"] = db.execute("SELECT count(DISTINCT tag_slug) FROM story_tags").fetchone()[0]
    figures["versions"] = db.execute("SELECT count(*) FROM story_versions").fetchone()[0]
    figures["edits"] = sum(row["n"] for row in _rows(db, EDITS))
    figures["runs"] = db.execute("SELECT count(*) FROM crawl_runs").fetchone()[0]
    return figures


def by_community(db: sqlite3.Connection) -> list[dict[str, Any]]:
    """Stories per community, most first: ``community``, ``name``, ``stories``, ``live``, ``removed``."""
    return _rows(db, """
        SELECT s.community, coalesce(c.name, max(s.community_name)) AS name, count(*) AS stories,
               count(*) - count(s.removed_at) AS live, count(s.removed_at) AS removed
        FROM stories s LEFT JOIN communities c ON c.slug = s.community
        GROUP BY s.community ORDER BY stories DESC, s.community""")


def community_months(db: sqlite3.Connection) -> list[dict[str, Any]]:
    """Stories per (month published, community), oldest month first; undated stories left out
    (and any ``published_at`` that is not an ISO time)."""
    return _rows(db, """
        SELECT substr(published_at, 1, 7) AS month, community, count(*) AS stories
        FROM stories WHERE published_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]*'
        GROUP BY month, community ORDER BY month, community""")


def changes_by_month(db: sqlite3.Connection) -> list[dict[str, Any]]:
    """Edits and removals per month, oldest first, months with neither left out."""
    months: dict[str, dict[str, Any]] = {}
    removals = "SELECT substr(removed_at, 1, 7) AS month, count(*) AS n FROM stories WHERE removed_at IS NOT NULL GROUP BY month"
    for kind, sql in (("edits", EDITS), ("removals", removals)):
        for row in _rows(db, sql):
            months.setdefault(row["month"], {"month": row["month"], "edits": 0, "removals": 0})[kind] = row["n"]
    return [months[month] for month in sorted(months)]


def by_month(db: sqlite3.Connection) -> list[dict[str, Any]]:
    """Per month, oldest first: ``stories`` published, ``edits`` and ``removals`` seen."""
    months: dict[str, dict[str, Any]] = {}
    for row in community_months(db):
        months.setdefault(row["month"], {"month": row["month"], "stories": 0, "edits": 0, "removals": 0})
        months[row["month"]]["stories"] += row["stories"]
    for row in changes_by_month(db):
        months.setdefault(row["month"], {"month": row["month"], "stories": 0}).update(row)
    return [months[month] for month in sorted(months)]


def top_creators(db: sqlite3.Connection, limit: int | None = None) -> list[dict[str, Any]]:
    """The creators with most stories: ``creator``, ``name``, ``stories``, ``words`` (their sum)."""
    return _rows(db, """
        SELECT s.author AS creator, coalesce(c.name, max(s.author_name)) AS name, count(*) AS stories,
               coalesce(sum(s.word_count), 0) AS words
        FROM stories s LEFT JOIN creators c ON c.slug = s.author
        WHERE s.author IS NOT NULL
        GROUP BY s.author ORDER BY stories DESC, s.author LIMIT ?""", (-1 if limit is None else limit,))


def top_tags(db: sqlite3.Connection, limit: int | None = None) -> list[dict[str, Any]]:
    """The tags on most stories: ``tag`` (its slug), ``name``, ``stories``."""
    return _rows(db, """
        SELECT st.tag_slug AS tag, coalesce(t.name, st.tag_slug) AS name, count(*) AS stories
        FROM story_tags st LEFT JOIN tags t ON t.slug = st.tag_slug
        GROUP BY st.tag_slug ORDER BY stories DESC, st.tag_slug LIMIT ?""", (-1 if limit is None else limit,))


def word_counts(db: sqlite3.Connection) -> list[int]:
    """Every story's ``word_count`` (stories without one left out), smallest first."""
    return [row[0] for row in db.execute("SELECT word_count FROM stories WHERE word_count IS NOT NULL ORDER BY 1")]


def runs_by_status(db: sqlite3.Connection) -> list[dict[str, Any]]:
    """Crawl runs per status, most first: ``status``, ``runs``, ``last_started_at``."""
    return _rows(db, """
        SELECT status, count(*) AS runs, max(started_at) AS last_started_at
        FROM crawl_runs GROUP BY status ORDER BY runs DESC, status""")


def run_history(db: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every run, oldest first, with its figures as ``swampcrawl runs --json`` gives them."""
    return [run_dict(row) for row in db.execute("SELECT * FROM crawl_runs ORDER BY id")]


def last_run(db: sqlite3.Connection) -> dict[str, Any] | None:
    row = db.execute("SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
    return None if row is None else run_dict(row)


def gather(db: sqlite3.Connection, by: str, limit: int) -> dict[str, Any]:
    """The sections ``by`` asks for (``all``: every one, and the totals), keyed by name."""
    found: dict[str, Any] = {"totals": totals(db)} if by == "all" else {}
    wanted = GROUPS if by == "all" else (by,)
    sections = {
        "community": lambda: by_community(db), "month": lambda: by_month(db),
        "creator": lambda: top_creators(db, limit), "tag": lambda: top_tags(db, limit),
        "runs": lambda: runs_by_status(db),
    }  # fmt: skip
    for name in wanted:
        found[name] = sections[name]()
    if "runs" in wanted:
        found["last_run"] = last_run(db)
    return found


# -- output -------------------------------------------------------------------------------------

LAST_RUN = ("id", "spider", "status", "started_at", "finished_at", "responses", "new", "changed",
            "removed", "errors", "exit_status")


def section_title(name: str, limit: int) -> str:
    return {
        "totals": "Totals", "community": "Stories by community",
        "month": "Stories published, edits and removals by month",
        "creator": f"Top {limit} creators", "tag": f"Top {limit} tags",
        "runs": "Crawl runs by status", "last_run": "Last crawl run",
    }[name]  # fmt: skip


def show_section(name: str, value: Any, limit: int) -> None:
    """A titled, underlined section: an aligned table (the totals as figure/value lines)."""
    title = section_title(name, limit)
    click.echo(f"{title}\n{'-' * len(title)}")
    if name == "totals":
        show([{"figure": key, "value": figure} for key, figure in value.items()], False)
    elif name == "last_run":
        show([{key: value[key] for key in LAST_RUN}] if value else [], False, empty="no runs")
    else:
        show(value, False, empty="none")


@click.command()
@db_option
@click.option("--by", type=click.Choice([*GROUPS, "all"]), default="all", show_default=True,
              help="Which counts: stories by community, by month (with edits and removals), by creator, "
                   "by tag, crawl runs by status (and the last run), or all of them with the totals.")
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True,
              help="How many creators and tags to list (the most stories first).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object, one key per section, for scripts.")
def stats(db_path: Path, by: str, limit: int, as_json: bool) -> None:
    """Counts of what the database holds: stories by community, by month (published_at), by
    creator and by tag (the top --limit); edits (story versions after a story's first) and
    removals (removed_at) per month; crawl runs by status and the last run.

    Months are YYYY-MM in UTC. Removed stories are counted too (the `removed` column says how
    many). The database is only read. `--json` gives one key per section: totals, community,
    month, creator, tag, runs, last_run (those `--by` asks for).

    Example:

    \b
        swampcrawl stats --db data/swamp.db
        swampcrawl stats --by creator --limit 20
        swampcrawl stats --by month --json
    """
    try:
        with open_readonly(db_path, need=TABLES) as db:
            found = gather(db, by, limit)
    except ResearchError as error:
        raise click.ClickException(str(error)) from error
    if as_json:
        click.echo(json.dumps(found, indent=2, ensure_ascii=False))
        return
    for index, (name, value) in enumerate(found.items()):
        if index:
            click.echo()
        show_section(name, value, limit)
