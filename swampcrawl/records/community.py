"""A community (the platform's category) page: the ``communities`` columns."""

from __future__ import annotations

from swampcrawl.records.base import Record


class Community(Record):
    url: str  # canonical: <base>/<slug>
    slug: str | None = None
    name: str | None = None
    description: str | None = None
    story_count: int | None = None
    creator_count: int | None = None
