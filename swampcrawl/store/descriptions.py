"""What every table and column of the database means: the one place it is written.

docs/schema.md's "Tables" section is generated from ``TABLES`` (``python scripts/schema-docs.py``;
a test fails when the page, the real schema and this module disagree), and ``swampcrawl
datasette`` shows the same text as Datasette's table and column descriptions.

Text is Markdown with only `code` and *emphasis*. A column marked ``extra`` is ours and may
change; the others are the public contract that researchers' scripts rely on.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # as the docs show it: "TEXT, PK", "INTEGER 0/1", "TEXT → `creators.slug`"
    meaning: str
    extra: bool = False

    @property
    def description(self) -> str:
        return f"*extra*: {self.meaning}" if self.extra else self.meaning


@dataclass(frozen=True)
class Table:
    name: str
    title: str  # what one row is: "one row per story"
    intro: str  # paragraphs before the column table
    columns: tuple[Column, ...]
    notes: str = ""  # paragraphs after it

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)


def _col(name: str, type_: str, meaning: str) -> Column:
    return Column(name, type_, meaning)


def _extra(name: str, type_: str, meaning: str) -> Column:
    return Column(name, type_, meaning, extra=True)


TIME = "TEXT (time)"


def _warc(what: str, extra: bool = False) -> tuple[Column, ...]:
    """The three columns that point at an archived response (``what`` says which)."""
    return (
        Column("warc_filename", "TEXT", f"the WARC file (in `data/warc/`) holding {what}", extra),
        Column("warc_offset", "INTEGER, bytes",
               "byte offset of that record's gzip member in the file", extra),
        Column("warc_record_id", "TEXT", "that record's `WARC-Record-ID` (`<urn:uuid:…>`)", extra),
    )


def _profile_provenance(page: str, seen_extra: bool) -> tuple[Column, ...]:
    """Seen times, extraction and provenance columns of ``creators`` and ``communities``."""
    return (
        Column("first_seen_at", TIME, f"capture time of the first capture of the {page}", seen_extra),
        Column("last_seen_at", TIME, f"capture time of the latest capture of the {page}", seen_extra),
        _extra("source", "TEXT", "where the values were read, as in `stories.source`"),
        _extra("extraction_errors", "TEXT (JSON list)",
               "what extraction could not read; NULL when nothing went wrong"),
        _extra("captured_at", TIME, "capture time of the latest response that gave values"),
        *_warc("the latest response that gave values", extra=True),
    )


STORIES = Table("stories", "one row per story", """
Primary key `url`; a unique index on `id` (where not NULL) keeps one row per platform post.
When a story's slug changes (the old URL answers 301), the row moves to the new URL, with its
tags and versions; `first_seen_at` is kept and the old URL is listed in `previous_urls`.
""", (
    _col("url", "TEXT, PK",
         "canonical absolute URL: `<base>/<community>/<slug>` (`<base>/resources/<slug>`), no "
         "query string"),
    _col("id", "TEXT, unique", "the platform's post id; stays the same across slug changes"),
    _col("community", "TEXT → `communities.slug`", "community slug"),
    _col("slug", "TEXT", "the story's slug (last URL segment)"),
    _col("title", "TEXT", "title"),
    _col("subtitle", "TEXT", "subtitle, NULL when none"),
    _col("summary", "TEXT", "the summary/description the platform shows in listings and meta tags"),
    _col("author", "TEXT → `creators.slug`", "creator slug"),
    _col("author_name", "TEXT", "the author's display name on the story page"),
    _col("published_at", TIME,
         "publication time; an estimate when the page only gave a relative time (see "
         "`published_raw`)"),
    _col("updated_at", TIME, "last edit time the platform shows, NULL when none"),
    _col("word_count", "INTEGER, words",
         "the platform's own count (the post's `wordCount`); only when the page gives none, "
         "`len(body_text.split())` (then listed in `derived`)"),
    _col("reading_minutes", "INTEGER, minutes",
         'what the byline shows as "N min read"; only when the page shows none, `max(1, '
         "round(word_count / 265))` (then listed in `derived`)"),
    _col("body_html", "TEXT", "the story body as HTML"),
    _col("body_text", "TEXT", "the visible text of the body, blocks joined with a blank line"),
    _col("hero_image_url", "TEXT", "the large hero image, NULL when none"),
    _col("is_top_story", "INTEGER 0/1", 'the platform\'s editor\'s pick ("Top Story")'),
    _col("like_count", "INTEGER", 'likes shown on the page (0 when it shows "Like"); NULL when not shown'),
    _col("content_hash", "TEXT", 'sha256 hex of `title + "\\n" + (subtitle or "") + "\\n" + body_text`'),
    _col("first_seen_at", TIME, "capture time of the first capture of this story"),
    _col("last_seen_at", TIME, "capture time of the latest capture"),
    _col("removed_at", TIME,
         "when the story's URL first answered 404; NULL while it is live (cleared when seen again)"),
    *_warc("the response the row's values came from"),
    _extra("community_name", "TEXT", "the community's display name on the page"),
    _extra("published_raw", "TEXT", 'the page\'s own words when it gave only a relative time ("4 days ago")'),
    _extra("updated_raw", "TEXT", "the same for `updated_at`"),
    _extra("source", "TEXT",
           "where the values were read: `next_data`, `json_ld`, `meta`, `visible_text`, `none`"),
    _extra("extraction_errors", "TEXT (JSON list)",
           "what extraction could not read; NULL when nothing went wrong"),
    _extra("captured_at", TIME, "capture time of the response the values came from (= `last_seen_at`)"),
    _extra("previous_urls", "TEXT (JSON list)",
           "earlier URLs of this story, oldest first; NULL when never renamed"),
    _extra("derived", "TEXT (JSON list)",
           "the fields swampcrawl computed because the page did not state them: `word_count`, "
           "`reading_minutes` (counted from the text), `published_at`, `updated_at` (estimated from "
           "a relative time); `[]` when every value was read from the page"),
), "Indexes: `community`, `author`, `published_at`, `id` (unique).")

STORIES_FTS = Table("stories_fts", "full-text index", """
An FTS5 table over `stories.title`, `subtitle`, `body_text` (external content: it stores
no copy of the text; `stories_fts.rowid = stories.rowid`), tokenizer `porter` (English
stemming: `badger` finds `badgers`). Triggers keep it in step with every insert, update,
delete and rename of `stories`. If it ever disagrees (for example after a manual edit
with the triggers dropped), rebuild it:
`INSERT INTO stories_fts (stories_fts) VALUES ('rebuild');`
""", (
    _col("title", "TEXT", "`stories.title`, indexed"),
    _col("subtitle", "TEXT", "`stories.subtitle`, indexed"),
    _col("body_text", "TEXT", "`stories.body_text`, indexed"),
), "Its shadow tables (`stories_fts_data`, `_idx`, `_docsize`, `_config`) are SQLite's own.")

CREATORS = Table("creators", "one row per creator profile", "", (
    _col("slug", "TEXT, PK", "creator slug, as in `stories.author`"),
    _col("url", "TEXT", "`<base>/authors/<slug>`"),
    _col("name", "TEXT", "display name"),
    _col("bio", "TEXT", "profile text"),
    _col("joined", "TEXT `YYYY-MM`", 'from "Joined February 2021"'),
    _col("story_count", "INTEGER", "number of stories the profile shows"),
    _col("avatar_url", "TEXT", "profile picture"),
    *_profile_provenance("profile", seen_extra=False),
), """
Profile pages are paged: later pages may not repeat the whole profile, so a value a page
does not show (NULL) never erases one already stored. A creator (or community) named by a
story but whose own page has not been crawled has a row with only `slug`, `name` and `url`,
and NULL seen times and provenance.
""")

CREATOR_STORIES = Table("creator_stories", "the stories a creator's pages list", """
*Extra.* One row per story URL listed on any page (`?page=N`) of a creator's profile, as
filled by `scrapy crawl creators`. Primary key (`creator_slug`, `story_url`).
""", (
    _extra("creator_slug", "TEXT → `creators.slug`", "the creator"),
    _extra("story_url", "TEXT", "the story's canonical URL (`stories.url` once the story is crawled)"),
    _extra("captured_at", TIME, "the latest capture that listed it"),
))

COMMUNITIES = Table("communities", "one row per community (the platform's categories)", "", (
    _col("slug", "TEXT, PK", "community slug, as in `stories.community`; its page is `<base>/<slug>`"),
    _col("url", "TEXT", "the community page"),
    _col("name", "TEXT", "display name"),
    _col("description", "TEXT", "the community's description"),
    _col("story_count", "INTEGER", "stories the page says it holds"),
    _col("creator_count", "INTEGER", "creators the page says it has"),
    *_profile_provenance("community page", seen_extra=True),
))

TAGS = Table("tags", "one row per tag", "", (
    _col("slug", "TEXT, PK", "exactly as the platform spells it: `Challenge` and `challenge` are two rows"),
    _col("name", "TEXT", "display name"),
))

STORY_TAGS = Table("story_tags", "one row per tag of a story", """
Primary key (`story_url`, `tag_slug`). A story's tags are replaced by those of its latest
capture. Index: `tag_slug`.
""", (
    _col("story_url", "TEXT → `stories.url`", "the story"),
    _col("tag_slug", "TEXT → `tags.slug`", "the tag"),
    _extra("position", "INTEGER", "the tag's place on the page, from 0"),
))

STORY_VERSIONS = Table("story_versions", "one row per distinct content of a story", """
Primary key (`story_url`, `content_hash`). A row is added when a capture shows content
(title, subtitle, body) the story has not had before; if the same content comes back, no
new row. `story_url` follows the story through renames.
""", (
    _col("story_url", "TEXT → `stories.url`", "the story"),
    _col("content_hash", "TEXT", "as `stories.content_hash`"),
    _col("captured_at", TIME, "the earliest capture that showed this content"),
    _col("title", "TEXT", "the title of this content"),
    _col("body_text", "TEXT", "the visible body text of this content"),
    _col("warc_filename", "TEXT", "the WARC file holding that capture's response"),
    _col("warc_offset", "INTEGER, bytes", "byte offset of that record's gzip member in the file"),
    _extra("subtitle", "TEXT", "the subtitle of this content"),
    _extra("warc_record_id", "TEXT", "that record's `WARC-Record-ID`"),
))

CAPTURES = Table("captures", "one row per archived HTTP response", "", (
    _col("id", "INTEGER, PK", "numbered by SQLite"),
    _col("url", "TEXT", "the URL fetched"),
    _col("status", "INTEGER", "HTTP status (redirects, errors and 304s included)"),
    _col("captured_at", TIME, "the WARC-Date of the response"),
    _col("kind", "TEXT",
         "`story`, `creator`, `community`, `listing`, `requisite` (a stylesheet, script, font or "
         "image a page loads) or `other` (robots.txt, the home page)"),
    *_warc("the response record"),
    _col("run_id", "INTEGER → `crawl_runs.id`", "the crawl (or reparse) that recorded it"),
    _extra("page_kind", "TEXT",
           "the finer kind: `story`, `resources_story`, `creator`, `community`, "
           "`community_listing`, `tag_listing`, `global_listing`; for requisites `stylesheet`, "
           "`script`, `font`, `image` (by Content-Type, else by file extension); `other` "
           "(robots.txt, the home page, sitemaps)"),
    _extra("warc_length", "INTEGER, bytes",
           "length of the record as stored (its gzip member): `dd if=FILE bs=1 skip=OFFSET "
           "count=LENGTH | zcat` prints the record"),
    _extra("revisit", "INTEGER 0/1", "written as a `revisit` record (payload identical to an earlier one)"),
    _extra("content_type", "TEXT",
           "the response's Content-Type header, as sent (`text/html; charset=utf-8`)"),
    _extra("location", "TEXT",
           "for a redirect (3xx), its Location header as an absolute URL; NULL otherwise"),
    _extra("etag", "TEXT",
           "the response's `ETag` header, as sent: what a later crawl's conditional request sends "
           "as `If-None-Match`"),
    _extra("last_modified", "TEXT",
           "the response's `Last-Modified` header, as sent: what a later crawl's conditional "
           "request sends as `If-Modified-Since`"),
), """
A crawl and `swampcrawl reparse` of its WARCs fill every column the same way. A record is
listed once: reparsing the same files again adds no row (a unique index on `warc_filename`,
`warc_offset`, `warc_record_id`, migration 6, which also removed rows doubled before it).

Indexes: `url`, `run_id`; unique (`warc_filename`, `warc_offset`, `warc_record_id`).
""")


def _figure(name: str, meaning: str) -> Column:
    return _extra(name, "INTEGER", meaning)


CRAWL_RUNS = Table("crawl_runs", "one row per crawl", "", (
    _col("id", "INTEGER, PK", "run number"),
    _col("spider", "TEXT",
         "`stories`, `creators` or `communities`; `reparse` for a `swampcrawl reparse` run"),
    _col("started_at", TIME, "wall-clock start"),
    _col("finished_at", TIME, "wall-clock end; NULL while running"),
    _col("status", "TEXT",
         "`running` while the crawl runs, then how it ended: `finished`; `shutdown` (Ctrl-C or "
         "SIGTERM); `closespider_itemcount`, `closespider_pagecount`, `closespider_timeout`, "
         "`closespider_errorcount` (a `CLOSESPIDER_*` limit was reached); `failed` (the database "
         "could not be written, or another error ended it); `killed` (the process died without "
         "finishing: set by the next crawl or reparse of the database, with `finished_at` the "
         "time of the run's last capture)"),
    _col("stats", "TEXT (JSON object)", "Scrapy's stats at the end (times as ISO text)"),
    _extra("settings", "TEXT (JSON object)", "the settings that shaped the run (base URL, limits)"),
    _figure("pages", "responses received (from the stats)"),
    _figure("items", "items scraped (from the stats)"),
    _figure("requests",
            "requests sent (Scrapy's `downloader/request_count`; retries and requisites included)"),
    _figure("responses",
            "responses downloaded (`downloader/response_count`: redirects, 404s and requisites "
            "included)"),
    _figure("new", "stories stored for the first time (stat `swampcrawl/stories/new`)"),
    _figure("changed",
            "stories seen again with new content, a new `story_versions` row "
            "(`swampcrawl/stories/changed`)"),
    _figure("unchanged",
            "stories seen again with the content already stored (`swampcrawl/stories/unchanged`)"),
    _figure("removed", "stories marked removed: their URL answered 404 (`swampcrawl/stories/removed`)"),
    _figure("renamed",
            "stories moved to a new URL after a 301 from the old slug (`swampcrawl/stories/renamed`)"),
    _figure("errors",
            "URLs given up on: the run's rows in `errors` (at least the stat "
            "`swampcrawl/requests/failed`)"),
    _figure("exit_status",
            "the exit status of the `scrapy crawl` that ran it: 0 finished (or stopped at a limit it "
            "was given), 4 finished with errors (some URLs in `errors`), 1 failed or the base URL "
            'never answered, 130 interrupted (README, "Running from cron"); for a reparse, 0 or 1'),
), """
The figures from `requests` to `errors` are 0 when the run did not count them, and NULL, with
`exit_status`, while a run is `running` and for a `killed` one. `swampcrawl runs` shows them,
newest run first (`--json` for scripts). Runs recorded before these columns existed have them
filled from their `stats`.
""")

ERRORS = Table("errors", "one row per URL that could not be fetched", """
A page or requisite given up on after its retries (connection refused, timeout, a response cut
short, too large, not allowed by robots.txt, an HTTP error status), and every requisite that
answered with an error status (its response is in `captures` too). A crawl goes on past them;
its pages are stored whether or not their requisites could be fetched.

A page that came but is not what its URL should be (a maintenance page such as "We'll be right
back" served with status 200, an error page, a story page without a story body, a profile page
without a profile) is a row here too, with a reason starting `unparseable:` that quotes the
page's heading. Its stored row is left exactly as it was (content, dates, WARC pointer), no
`story_versions` row is made from it, and its response is still in `captures` and the WARC,
so what the site served stays on record.
""", (
    _col("id", "INTEGER, PK", "numbered by SQLite"),
    _col("url", "TEXT", "the URL"),
    _col("kind", "TEXT",
         "the page kind (`story`, `creator`, …) or requisite kind (`stylesheet`, `script`, "
         "`font`, `image`)"),
    _col("reason", "TEXT",
         "one line: `connection refused`, `timeout`, `connection lost`, `response cut short`, "
         "`HTTP 503`, `too large (…)`, `out of scope (…)`, `unparseable: …`"),
    _col("attempts", "INTEGER", "how many times it was tried (1 + retries)"),
    _col("last_status", "INTEGER", "the last HTTP status received; NULL when no response came"),
    _col("at", TIME, "when it was given up on"),
    _col("run_id", "INTEGER → `crawl_runs.id`", "the crawl"),
), "Indexes: `url`, `run_id`.")

SCHEMA_MIGRATIONS = Table("schema_migrations", "the schema version", """
One row per migration applied. A database newer than the installed swampcrawl is refused
rather than misread.
""", (
    _col("version", "INTEGER, PK", "the migration's number"),
    _col("name", "TEXT", "what it changed"),
    _col("applied_at", TIME, "when it was applied to this database"),
))

# In the order docs/schema.md describes them.
TABLES: tuple[Table, ...] = (
    STORIES, STORIES_FTS, CREATORS, CREATOR_STORIES, COMMUNITIES, TAGS, STORY_TAGS,
    STORY_VERSIONS, CAPTURES, CRAWL_RUNS, ERRORS, SCHEMA_MIGRATIONS,
)  # fmt: skip
BY_NAME: dict[str, Table] = {table.name: table for table in TABLES}

# docs/schema.md holds the rendering of TABLES between these two lines.
DOCS_BEGIN = ("<!-- Generated from swampcrawl/store/descriptions.py by `python scripts/schema-docs.py`: "
              "edit the text there, not here. -->")
DOCS_END = "<!-- End of the generated tables. -->"


def markdown() -> str:
    """Every table as a docs/schema.md section: heading, intro, column table, notes."""
    return "\n\n".join(_table_markdown(table) for table in TABLES) + "\n"


def _table_markdown(table: Table) -> str:
    rows = [f"| `{c.name}` | {_cell(c.type)} | {_cell(c.description)} |" for c in table.columns]
    parts = [
        f"### `{table.name}` — {table.title}",
        table.intro.strip(),
        "\n".join(["| column | type | meaning |", "|---|---|---|", *rows]),
        table.notes.strip(),
    ]
    return "\n\n".join(part for part in parts if part)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def replace_generated(page: str) -> str:
    """``page`` (docs/schema.md) with the text between the markers rendered afresh."""
    before, rest = page.split(DOCS_BEGIN + "\n", 1)
    _, after = rest.split(DOCS_END, 1)
    return f"{before}{DOCS_BEGIN}\n\n{markdown()}\n{DOCS_END}{after}"
