"""Records and responses turned into the store's rows (dicts of column values)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from swampcrawl.records import Community, Creator, Story
from swampcrawl.urls import PageKind, UrlRules

# The contract's capture kinds, from the URL classifier's finer ones.
CAPTURE_KINDS = {
    PageKind.STORY: "story",
    PageKind.RESOURCES_STORY: "story",
    PageKind.CREATOR: "creator",
    PageKind.COMMUNITY: "community",
    PageKind.COMMUNITY_LISTING: "listing",
    PageKind.TAG_LISTING: "listing",
    PageKind.GLOBAL_LISTING: "listing",
}


def record_row(record: Story | Creator | Community) -> dict[str, Any]:
    row = record.model_dump(mode="json")
    row["extraction_errors"] = row.pop("errors", [])
    return row


def story_row(story: Story) -> dict[str, Any]:
    return record_row(story)


def creator_row(creator: Creator) -> dict[str, Any]:
    return record_row(creator)


def community_row(community: Community) -> dict[str, Any]:
    return record_row(community)


def minimal_rows(story: Story, rules: UrlRules) -> list[tuple[str, dict[str, Any]]]:
    """The creator and community a story names (slug and name), for tables the
    creators and communities spiders fill in full."""
    rows: list[tuple[str, dict[str, Any]]] = []
    base = rules.base_url
    if story.author:
        rows.append(("creators_minimal", {"slug": story.author, "name": story.author_name, "url": f"{base}/authors/{story.author}"}))
    if story.community:
        rows.append(("communities_minimal", {"slug": story.community, "name": story.community_name, "url": f"{base}/{story.community}"}))
    return rows


def capture_row(response: Any, request: Any, rules: UrlRules, run_id: int | None) -> dict[str, Any]:
    location = request.meta.get("warc")
    date = getattr(location, "date", None) or datetime.now(UTC)
    return {
        "url": response.url,
        "status": response.status,
        "captured_at": date,
        "kind": CAPTURE_KINDS.get(rules.classify(response.url), "other"),
        "warc_filename": getattr(location, "filename", None),
        "warc_offset": getattr(location, "offset", None),
        "warc_record_id": getattr(location, "record_id", None),
        "run_id": run_id,
    }
