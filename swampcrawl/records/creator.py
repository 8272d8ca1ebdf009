"""A creator (author) profile page: the ``creators`` columns plus the story URLs listed."""

from __future__ import annotations

from swampcrawl.records.base import Record


class Creator(Record):
    url: str  # canonical: <base>/authors/<slug>
    slug: str | None = None
    name: str | None = None
    bio: str | None = None
    joined: str | None = None  # YYYY-MM, from "Joined February 2021"
    story_count: int | None = None
    avatar_url: str | None = None
    stories: list[str] = []  # canonical story URLs listed on this page, in page order
