"""A story: the `stories` columns of docs/schema.md that come from the page."""

from __future__ import annotations

from swampcrawl.records.base import Record, UtcDateTime
from swampcrawl.records.tag import Tag


class Story(Record):
    url: str  # canonical: <base>/<community>/<slug>, no query string
    id: str | None = None
    community: str | None = None
    community_name: str | None = None
    slug: str | None = None
    title: str | None = None
    subtitle: str | None = None
    summary: str | None = None
    author: str | None = None  # creator slug
    author_name: str | None = None
    published_at: UtcDateTime | None = None
    # The page's own words when it gave only a relative time ("4 days ago"): published_at
    # is then an estimate whose precision pages.dates.relative_window() tells.
    published_raw: str | None = None
    updated_at: UtcDateTime | None = None
    updated_raw: str | None = None
    word_count: int | None = None
    reading_minutes: int | None = None
    body_html: str | None = None
    body_text: str | None = None
    hero_image_url: str | None = None
    is_top_story: bool | None = None
    like_count: int | None = None
    content_hash: str | None = None
    tags: list[Tag] = []
    # Fields whose value the page did not state and extraction computed instead, in field
    # order: word_count (from body_text), reading_minutes (from word_count), published_at /
    # updated_at (estimated from a relative time such as "4 days ago"). Empty: every value
    # is the platform's own (docs/ARCHITECTURE.md, "Conventions").
    derived: list[str] = []
