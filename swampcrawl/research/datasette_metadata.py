"""Datasette's metadata for a swampcrawl database, built from swampcrawl.store.descriptions.

    metadata("swamp")     # a dict for ``datasette swamp.db -m metadata.json``

Datasette names a database after its file (``data/swamp.db`` is ``swamp``), and its metadata
is keyed by that name. Every table and column gets its description; ``stories`` gets full-text
search through ``stories_fts``, facets (community, author, year, tag), newest first by
``published_at`` and its title as label. Ranked search and other common questions are canned
queries (swampcrawl.research.datasette_queries). The year and tag facets are the facet types
of swampcrawl.research.datasette_facets, which ``swampcrawl datasette`` loads.
"""

from __future__ import annotations

import html
import re
from typing import Any

from swampcrawl.research.datasette_queries import QUERIES
from swampcrawl.store.descriptions import TABLES, Table

TITLE = "swampcrawl: an archive of Vocal (vocal.media)"
DESCRIPTION = (
    "Stories, creators and communities of Vocal as crawled by swampcrawl, with every version "
    "of a story and the HTTP captures behind each row (WARC files). Search stories from the "
    "stories table, or use the queries below for ranked search and common questions."
)

# The stories table as researchers browse it.
STORIES: dict[str, Any] = {
    "label_column": "title",
    "sort_desc": "published_at",
    "fts_table": "stories_fts",
    "fts_pk": "rowid",
    # The search box takes text as typed (every word must match, "a phrase" in quotes) and
    # never fails on punctuation; ?_searchmode=raw, and the search_stories query, take FTS5
    # syntax (a OR b, NOT, title:word, prefix*).
    "searchmode": "escaped",
    "facets": [
        "community",
        "author",
        {"year": "published_at"},
        {"through": {"table": "story_tags", "column": "tag_slug"}},
    ],
}

# What the other tables add to their descriptions.
TABLE_SETTINGS: dict[str, dict[str, Any]] = {
    "stories": STORIES,
    "creators": {"label_column": "name", "sort_desc": "story_count"},
    "communities": {"label_column": "name", "sort_desc": "story_count"},
    "tags": {"label_column": "name"},
    "story_tags": {"facets": ["tag_slug"]},
    "story_versions": {"sort_desc": "captured_at"},
    "creator_stories": {"facets": ["creator_slug"]},
    "captures": {"sort_desc": "id", "facets": ["kind", "status"]},
    "crawl_runs": {"sort_desc": "id", "facets": ["spider", "status"]},
    "errors": {"sort_desc": "id", "facets": ["kind", "run_id"]},
}


def metadata(database: str) -> dict[str, Any]:
    """The whole metadata document for a database Datasette calls ``database``."""
    return {
        "title": TITLE,
        "description": DESCRIPTION,
        "source": "vocal.media, crawled by swampcrawl",
        "source_url": "https://vocal.media",
        "license": "Stories © their authors; archived for research",
        "databases": {
            database: {
                "description": DESCRIPTION,
                "tables": {table.name: table_metadata(table) for table in TABLES},
                "queries": QUERIES,
            }
        },
    }


def table_metadata(table: Table) -> dict[str, Any]:
    return {
        "description_html": description_html(table),
        "columns": {column.name: plain_text(column.description) for column in table.columns},
        **TABLE_SETTINGS.get(table.name, {}),
    }


def description_html(table: Table) -> str:
    """The table's title, intro and notes as HTML paragraphs."""
    paragraphs = [table.title[0].upper() + table.title[1:] + "."]
    for text in (table.intro, table.notes):
        paragraphs += [" ".join(p.split()) for p in text.strip().split("\n\n") if p.strip()]
    return "".join(f"<p>{_inline_html(p)}</p>" for p in paragraphs)


def plain_text(markdown: str) -> str:
    """Markdown's `code` and *emphasis* as plain text (Datasette shows column descriptions as text)."""
    return re.sub(r"\*([^*\s][^*]*)\*", r"\1", markdown.replace("`", ""))


def _inline_html(markdown: str) -> str:
    text = html.escape(markdown, quote=False)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    return re.sub(r"\*([^*\s][^*]*)\*", r"<em>\1</em>", text)
