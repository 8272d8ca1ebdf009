"""Writing creators and communities: profile pages keyed by slug.

Creator pages are paged: page 1 gives the profile, later pages may give only some of
it. A value a page does not give (None) therefore never erases one the store has.
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from swampcrawl.store.errors import StoreError
from swampcrawl.store.schema import COMMUNITY_COLUMNS, CREATOR_COLUMNS
from swampcrawl.store.values import as_dict, chunks, pick, provenance, slug_from_url

_BOOKKEEPING = ("first_seen_at", "last_seen_at")


def prepare_profile(raw: Any, columns: dict[str, type], kind: str) -> dict[str, Any]:
    """A row with the table's columns; the slug is taken from the URL when missing."""
    row = as_dict(raw)
    profile = pick(row, columns)
    profile["slug"] = profile["slug"] or slug_from_url(profile["url"])
    if not profile["slug"]:
        raise StoreError(f"a {kind} row needs a slug or a url: {str(row)[:200]}")
    profile.update(provenance(row))
    for column in _BOOKKEEPING:
        profile.pop(column)
    return profile


def merge_profile(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """The row after this capture: newer values win, None leaves a stored value alone."""
    captured_at = new["captured_at"]
    if old is None:
        return {**new, "first_seen_at": captured_at, "last_seen_at": captured_at}
    first_seen = min(old["first_seen_at"] or captured_at, captured_at)
    if old["last_seen_at"] and captured_at < old["last_seen_at"]:
        # An older capture (archives reparsed out of order) adds nothing but first_seen_at.
        return {**old, "first_seen_at": first_seen}
    merged = {k: (v if v is not None else old.get(k)) for k, v in new.items()}
    return {**merged, "first_seen_at": first_seen, "last_seen_at": captured_at}


def _existing(db: Database, table: str, slugs: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for part in chunks(slugs):
        marks = ", ".join("?" for _ in part)
        for row in db.query(f"SELECT * FROM {table} WHERE slug IN ({marks})", part):
            found[row["slug"]] = row
    return found


def _merge_profiles(db: Database, table: str, prepared: list[dict[str, Any]]) -> None:
    """Merge prepared rows into ``table``; the caller holds the transaction."""
    merged = _existing(db, table, list({row["slug"] for row in prepared}))
    for row in prepared:  # in order: a later row of the batch merges onto an earlier one
        merged[row["slug"]] = merge_profile(merged.get(row["slug"]), row)
    db[table].upsert_all(list(merged.values()), pk="slug")


def _link_stories(db: Database, rows: list[dict[str, Any]], prepared: list[dict[str, Any]]) -> None:
    """creator_stories rows for the story URLs each creator page lists, as last seen."""
    links = [
        (row["slug"], url, row["captured_at"])
        for raw, row in zip(rows, prepared, strict=True)
        for url in raw.get("stories") or []
    ]
    # An older capture (archives reparsed out of order) does not move captured_at back.
    db.conn.executemany(
        "INSERT INTO creator_stories (creator_slug, story_url, captured_at) VALUES (?, ?, ?) "
        "ON CONFLICT(creator_slug, story_url) DO UPDATE SET captured_at = excluded.captured_at "
        "WHERE excluded.captured_at > creator_stories.captured_at",
        links,
    )


def ensure_profiles(db: Database, table: str, rows: list[Any]) -> int:
    """Make sure rows exist for creators or communities a story names (slug, name, url).

    A byline is not a capture of the profile: stored values win, provenance and seen
    times are left for the profile page to fill.
    """
    values = []
    for raw in rows:
        row = as_dict(raw)
        slug = row.get("slug") or slug_from_url(row.get("url"))
        if slug:
            values.append((slug, row.get("name"), row.get("url")))
    with db.atomic():
        db.conn.executemany(
            f"INSERT INTO {table} (slug, name, url) VALUES (?, ?, ?) ON CONFLICT(slug) DO UPDATE "
            f"SET name = coalesce({table}.name, excluded.name), "
            f"url = coalesce({table}.url, excluded.url)",
            values,
        )
    return len(values)


def upsert_creators(db: Database, rows: list[Any]) -> int:
    """Merge creator rows and the story URLs their pages list, in one transaction."""
    dicts = [as_dict(row) for row in rows]  # a pydantic record is dumped once
    prepared = [prepare_profile(row, CREATOR_COLUMNS, "creator") for row in dicts]
    with db.atomic():
        _merge_profiles(db, "creators", prepared)
        _link_stories(db, dicts, prepared)
    return len(prepared)


def upsert_communities(db: Database, rows: list[Any]) -> int:
    """Merge community rows in one transaction."""
    prepared = [prepare_profile(row, COMMUNITY_COLUMNS, "community") for row in rows]
    with db.atomic():
        _merge_profiles(db, "communities", prepared)
    return len(prepared)
