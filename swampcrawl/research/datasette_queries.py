"""The canned queries ``swampcrawl datasette`` offers: common research questions, one form each.

docs/schema.md shows the same questions as SQL to paste into ``sqlite3`` (with values in
place of the ``:parameters``); tests run both against a crawl of the replica.
"""

from __future__ import annotations

# Column weights for bm25(): a word in the title counts ten times one in the body, in the
# subtitle five times.
BM25 = "bm25(stories_fts, 10.0, 5.0, 1.0)"

SEARCH_STORIES = f"""
select s.url, s.title, s.author, s.community, s.published_at,
  snippet(stories_fts, -1, '[', ']', '…', 16) as snippet,
  round(-{BM25}, 3) as relevance
from stories_fts join stories s on s.rowid = stories_fts.rowid
where :q <> '' and stories_fts match :q
order by {BM25}
limit 100
"""

CREATOR_OUTPUT = """
select substr(published_at, 1, 7) as month, count(*) as stories,
  sum(word_count) as words, sum(removed_at is not null) as removed
from stories
where author = :author
group by month
order by month
"""

REMOVED_SINCE = """
select removed_at, url, title, author, community, published_at
from stories
where removed_at >= :since
order by removed_at desc, url
"""

MOST_EDITED = """
select s.url, s.title, s.author, count(*) - 1 as edits,
  min(v.captured_at) as first_version, max(v.captured_at) as last_version
from story_versions v join stories s on s.url = v.story_url
group by s.url
having count(*) > 1
order by edits desc, last_version desc, s.url
limit 100
"""

TAGS_BY_COMMUNITY = """
select community, tag_slug as tag, stories from (
  select s.community, st.tag_slug, count(*) as stories,
    row_number() over (partition by s.community order by count(*) desc, st.tag_slug) as place
  from story_tags st join stories s on s.url = st.story_url
  group by s.community, st.tag_slug
)
where place <= 10
order by community, stories desc, tag
"""

STORIES_PER_YEAR = """
select substr(published_at, 1, 4) as year, count(*) as stories,
  count(distinct author) as creators, sum(word_count) as words,
  sum(removed_at is not null) as removed
from stories
where published_at is not null
group by year
order by year desc
"""


def _query(title: str, description: str, sql: str) -> dict[str, str]:
    return {"title": title, "description": description, "sql": sql.strip()}


QUERIES: dict[str, dict[str, str]] = {
    "search_stories": _query(
        "Search stories, best matches first",
        "Full-text search of titles, subtitles and bodies, ranked by relevance (bm25; a title "
        "match counts most). q takes SQLite FTS5 syntax: words (all must match), "
        '"an exact phrase", a OR b, NOT, title:word, prefix*; put a word with punctuation in '
        'double quotes ("didn\'t").',
        SEARCH_STORIES),
    "creator_output": _query(
        "A creator's output over time",
        "Stories, words and removed stories per month of publication for one creator "
        "(author: the creator's slug, as in stories.author).",
        CREATOR_OUTPUT),
    "removed_since": _query(
        "Stories removed since a date",
        "Stories whose URL answered 404 on or after since (a date or time: 2026-01-01), newest "
        "removal first. Removals are noticed by a full pass: scrapy crawl stories -a recheck=all.",
        REMOVED_SINCE),
    "most_edited": _query(
        "Most-edited stories",
        "Stories with more than one distinct content (story_versions), most edits first: "
        "edits = versions - 1.",
        MOST_EDITED),
    "tags_by_community": _query(
        "Top tags by community",
        "The ten most used tags of each community, with the number of its stories that carry each.",
        TAGS_BY_COMMUNITY),
    "stories_per_year": _query(
        "Stories per year",
        "Stories, creators, words and removed stories per year of publication.",
        STORIES_PER_YEAR),
}
