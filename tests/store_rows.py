"""Rows as the pipelines hand them to the store, for tests/test_store_*.py."""

from __future__ import annotations

import hashlib
from typing import Any

BASE = "https://vocal.media"


def content_hash(title: str, subtitle: str | None, body_text: str) -> str:
    text = f"{title}\n{subtitle or ''}\n{body_text}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def story_row(n: int = 1, **changes: Any) -> dict[str, Any]:
    """A story row; title/subtitle/body_text changes recompute content_hash."""
    row: dict[str, Any] = {
        "url": f"{BASE}/fiction/story-{n}",
        "id": f"post{n:04d}",
        "community": "fiction",
        "community_name": "Fiction",
        "slug": f"story-{n}",
        "title": f"Story number {n}",
        "subtitle": "A subtitle",
        "summary": "Summary",
        "author": "ada",
        "author_name": "Ada",
        "published_at": "2026-11-20T08:00:00Z",
        "updated_at": None,
        "word_count": 3,
        "reading_minutes": 1,
        "body_html": "<p>badgers eat honey</p>",
        "body_text": "badgers eat honey",
        "hero_image_url": None,
        "is_top_story": False,
        "like_count": 4,
        "tags": [{"slug": "nature", "name": "nature"}, {"slug": "Challenge", "name": "Challenge"}],
        "source": "next_data",
        "errors": [],
        "captured_at": "2026-11-24T09:30:00Z",
        "warc_filename": "swampcrawl-1.warc.gz",
        "warc_offset": 1000 + n,
        "warc_record_id": f"<urn:uuid:{n:08d}>",
    }
    row.update(changes)
    row["content_hash"] = content_hash(row["title"], row["subtitle"], row["body_text"])
    return row


def creator_row(slug: str = "ada", **changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "url": f"{BASE}/authors/{slug}",
        "slug": slug,
        "name": "Ada",
        "bio": "Writes.",
        "joined": "2021-02",
        "story_count": 12,
        "avatar_url": f"{BASE}/img/{slug}.png",
        "stories": [f"{BASE}/fiction/story-1"],
        "source": "next_data",
        "errors": [],
        "captured_at": "2026-11-24T09:30:00Z",
        "warc_filename": "swampcrawl-1.warc.gz",
        "warc_offset": 5,
        "warc_record_id": "<urn:uuid:c1>",
    }
    row.update(changes)
    return row


def community_row(slug: str = "fiction", **changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "url": f"{BASE}/{slug}",
        "slug": slug,
        "name": (slug or "").title(),
        "description": "Made-up things.",
        "story_count": 120,
        "creator_count": 30,
        "captured_at": "2026-11-24T09:30:00Z",
        "warc_filename": "swampcrawl-1.warc.gz",
        "warc_offset": 9,
        "warc_record_id": "<urn:uuid:m1>",
    }
    row.update(changes)
    return row
