"""``swampcrawl search``: full-text search of the stories, best matches first.

The words go to SQLite's FTS5 index ``stories_fts`` (title, subtitle, body_text; porter
stemming) as an FTS5 query, so ``"exact phrase"``, ``a OR b``, ``a NOT b``, ``title:word`` and
``prefix*`` work. Matches are ranked by bm25 with the title weighing most, and each comes with
a snippet of its best column, the matched words in ``[brackets]``. Removed stories (their URL
answered 404) are found too, and marked. Filters are plain conditions on ``stories``.
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import click

from swampcrawl.research.database import ResearchError, db_option, open_readonly
from swampcrawl.research.output import show

# bm25 weights of the indexed columns (title, subtitle, body_text): a word in the title
# says more about what a story is than the same word once in a long body.
RANK = "bm25(5.0, 2.0, 1.0)"
SNIPPET = "snippet(stories_fts, -1, '[', ']', '…', 12)"  # best column, about 12 words

# --option -> condition on stories (alias s); each takes the parameter of the same name.
FILTERS = {
    "community": "s.community = :community",
    "author": "s.author = :author",
    "tag": "EXISTS (SELECT 1 FROM story_tags t WHERE t.story_url = s.url AND t.tag_slug = :tag)",
    "since": "s.published_at >= :since",
    "until": "s.published_at < :until",
}

SEARCH_SQL = """
SELECT s.url, s.title, s.author, s.community, s.published_at, s.removed_at,
       {snippet} AS snippet, stories_fts.rank AS score
FROM stories_fts JOIN stories s ON s.rowid = stories_fts.rowid
WHERE stories_fts MATCH :words AND stories_fts.rank MATCH '{rank}'{filters}
ORDER BY stories_fts.rank
LIMIT :limit
"""

SEARCH_HELP = ('put phrases in double quotes ("like this"), join words with AND, OR, NOT, '
               'and name a column as title:word (columns: title, subtitle, body_text)')

# Text of an SQLite error that comes from the search words rather than from the database.
QUERY_ERRORS = ("fts5:", "unterminated string", "no such column", "unknown special query")


def search_stories(db: sqlite3.Connection, words: str, filters: dict[str, str], limit: int) -> list[dict[str, Any]]:
    """Stories matching the FTS5 query ``words`` and the ``filters`` (see FILTERS), best first."""
    if not words.strip():
        raise ResearchError(f"bad search: no words given; {SEARCH_HELP}")
    given = {name: value for name, value in filters.items() if value is not None}
    conditions = "".join(f" AND {FILTERS[name]}" for name in given)
    sql = SEARCH_SQL.format(snippet=SNIPPET, rank=RANK, filters=conditions)
    try:
        rows = db.execute(sql, {"words": words, "limit": limit, **given}).fetchall()
    except sqlite3.OperationalError as error:
        if str(error).startswith(QUERY_ERRORS):
            raise ResearchError(f"bad search: {error}; {SEARCH_HELP}") from error
        raise
    return [_found(number, row) for number, row in enumerate(rows, start=1)]


def _found(number: int, row: sqlite3.Row) -> dict[str, Any]:
    found = dict(row)
    return {"rank": number, **found, "removed": found["removed_at"] is not None}


def time_bound(value: str, end: bool = False) -> str:
    """A ``--since``/``--until`` value (``2026-11-24`` or ``2026-11-24T09:30:00Z``) as a time in
    the database's form; an end bound is exclusive: the day after a date, a second after a time."""
    try:
        if len(value) == 10:
            moment = datetime.combine(date.fromisoformat(value), datetime.min.time())
            step = timedelta(days=1)
        else:
            moment = datetime.fromisoformat(value.replace("z", "Z"))
            step = timedelta(seconds=1)
    except ValueError as error:
        raise click.BadParameter(f"{value!r} is not a date (2026-11-24) or a UTC time (2026-11-24T09:30:00Z)") from error
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    moment = moment.replace(microsecond=0) + (step if end else timedelta(0))
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _table_row(found: dict[str, Any]) -> dict[str, Any]:
    return {
        "#": found["rank"], "published": (found["published_at"] or "")[:10] or None,
        "title": found["title"], "author": found["author"],
        "removed": (found["removed_at"] or "")[:10] or None,
        "snippet": found["snippet"], "url": found["url"],
    }  # fmt: skip


@click.command()
@click.argument("words")
@click.option("--community", metavar="SLUG", help="Only stories of this community (its slug, as in the URL).")
@click.option("--author", metavar="SLUG", help="Only stories by this creator (the slug of /authors/SLUG).")
@click.option("--tag", metavar="SLUG", help="Only stories with this tag (its slug, exactly as spelt).")
@click.option("--since", metavar="DATE", callback=lambda ctx, param, value: value and time_bound(value),
              help="Only stories published on or after DATE (2026-11-01, or a UTC time 2026-11-01T12:00:00Z).")
@click.option("--until", metavar="DATE", callback=lambda ctx, param, value: value and time_bound(value, end=True),
              help="Only stories published on or before DATE (the whole day when DATE is a date).")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="How many stories to show.")
@click.option("--json", "as_json", is_flag=True, help="Print the matches as a JSON list, for scripts.")
@db_option
def search(words: str, community: str | None, author: str | None, tag: str | None, since: str | None,
           until: str | None, limit: int, as_json: bool, db_path: Path) -> None:
    """Full-text search of the stories' titles, subtitles and text, best matches first.

    WORDS is an SQLite FTS5 query: words must all appear (stemmed: `badger` finds
    `badgers`); `"exact phrase"`, `a OR b`, `a NOT b`, `title:word`, `prefix*`. Removed
    stories are found too: the table shows when they were removed, `--json` gives
    `removed` and `removed_at`. Snippets show the matched words in [brackets]; `--json`
    also gives each match's bm25 `score` (lower is better).

    Example:

    \b
        swampcrawl search "climate change" --limit 5
        swampcrawl search 'badger OR "swamp gas"' --community earth --since 2026-01-01
        swampcrawl search election --author some-creator --tag politics --json
    """
    filters = {"community": community, "author": author, "tag": tag, "since": since, "until": until}
    try:
        with open_readonly(db_path, need=("stories", "stories_fts", "story_tags")) as db:
            found = search_stories(db, words, filters, limit)
    except ResearchError as error:
        raise click.ClickException(str(error)) from error
    if as_json:
        show(found, as_json=True)
    else:
        show([_table_row(row) for row in found], as_json=False, empty=f"no stories match {words!r}")
