"""Writing stories: one row per story, its tags, its versions, through slug changes.

A batch is resolved row by row (a later row may be the same story as an earlier one,
under a new slug), then written with a few multi-row statements. The caller holds the
transaction: a whole batch is one commit.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from swampcrawl.store.errors import StoreError
from swampcrawl.store.schema import STORY_COLUMNS, VERSION_COLUMNS
from swampcrawl.store.values import (
    as_dict,
    chunks,
    now_iso,
    pick,
    provenance,
    to_flag,
    to_iso,
    to_json,
)

# Keep the earliest capture of each distinct content: reparsing archives in any order
# gives the same versions.
_VERSION_SQL = (
    f"INSERT INTO story_versions ({', '.join(VERSION_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in VERSION_COLUMNS)}) "
    "ON CONFLICT(story_url, content_hash) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in list(VERSION_COLUMNS)[2:])
    + " WHERE excluded.captured_at < story_versions.captured_at"
)
_TAG_SQL = (
    "INSERT INTO tags (slug, name) VALUES (?, ?) "
    "ON CONFLICT(slug) DO UPDATE SET name = coalesce(excluded.name, tags.name)"
)


def prepare_story(raw: Any) -> dict[str, Any]:
    """A story row with the table's columns, times in ISO form, tags as a list or None."""
    row = as_dict(raw)
    if not row.get("url"):
        raise StoreError(f"a story row needs a url: {str(row)[:200]}")
    story = pick(row, STORY_COLUMNS)
    for column in ("published_at", "updated_at"):
        story[column] = to_iso(story[column])
    story.update(provenance(row))
    story["is_top_story"] = to_flag(story["is_top_story"])
    story["id"] = None if story["id"] is None else str(story["id"])
    story["derived"] = to_json(story["derived"]) if story["derived"] is not None else None
    # "tags" absent means "not known", which leaves the story's tags alone.
    story["tags"] = _tags(row["tags"]) if row.get("tags") is not None else None
    return story


def _tags(tags: list[Any]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for tag in tags:
        tag = as_dict(tag)
        if tag.get("slug"):
            seen.setdefault(tag["slug"], {"slug": tag["slug"], "name": tag.get("name")})
    return list(seen.values())


_KNOWN_COLUMNS = ("url", "id", "first_seen_at", "last_seen_at", "removed_at", "previous_urls", "content_hash")


@dataclass
class Known:
    """What the store already holds for a story: enough to merge a new capture."""

    url: str
    id: str | None
    first_seen_at: str | None
    last_seen_at: str | None
    removed_at: str | None
    previous_urls: list[str]
    content_hash: str | None = None

    def is_newer_than(self, captured_at: str) -> bool:
        return bool(self.last_seen_at) and captured_at < self.last_seen_at


def _known(row: dict[str, Any]) -> Known:
    return Known(
        url=row["url"],
        id=row["id"],
        first_seen_at=row["first_seen_at"],
        last_seen_at=row["last_seen_at"],
        removed_at=row["removed_at"],
        previous_urls=json.loads(row["previous_urls"] or "[]"),
        content_hash=row.get("content_hash"),
    )


@dataclass
class StoryBatch:
    """One batch of story rows being merged into the store."""

    db: Database
    pending: dict[str, dict[str, Any]] = field(default_factory=dict)  # url -> row
    pending_ids: dict[str, str] = field(default_factory=dict)  # platform id -> url
    tags: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # url -> tags
    versions: list[dict[str, Any]] = field(default_factory=list)
    # What this batch did: new, changed, unchanged, renamed stories (for the run's counts).
    outcomes: Counter = field(default_factory=Counter)

    def add(self, row: dict[str, Any]) -> None:
        url, captured_at = row["url"], row["captured_at"]
        by_id = self.find_id(row["id"]) if row["id"] else None
        if by_id and by_id.url != url:
            if by_id.is_newer_than(captured_at):
                # An older capture from before the story moved: it adds history only.
                self.add_history(by_id, row)
                return
            self.move(by_id, url)
            self.outcomes["renamed"] += 1
        known = self.find_url(url)
        if known and known.is_newer_than(captured_at):
            self.add_history(known, row)
            return
        self.accept(row, known)

    def find_url(self, url: str) -> Known | None:
        if url in self.pending:
            return _known(self.pending[url])
        found = self.db.execute(
            f"SELECT {', '.join(_KNOWN_COLUMNS)} FROM stories WHERE url = ?", [url]
        ).fetchone()
        return _known(dict(zip(_KNOWN_COLUMNS, found, strict=True))) if found else None

    def find_id(self, story_id: str) -> Known | None:
        if story_id in self.pending_ids:
            return self.find_url(self.pending_ids[story_id])
        found = self.db.execute("SELECT url FROM stories WHERE id = ?", [story_id]).fetchone()
        return self.find_url(found[0]) if found else None

    def accept(self, row: dict[str, Any], known: Known | None) -> None:
        """This capture is the newest: its values become the row's."""
        captured_at = row["captured_at"]
        if known is None:
            self.outcomes["new"] += 1
        else:
            self.outcomes["unchanged" if known.content_hash == row["content_hash"] else "changed"] += 1
        story = {column: row[column] for column in STORY_COLUMNS}
        first_seen = (known.first_seen_at if known else None) or captured_at
        story["first_seen_at"] = min(first_seen, captured_at)
        story["last_seen_at"] = captured_at
        story["removed_at"] = None
        if known and (known.removed_at or "") > captured_at:
            story["removed_at"] = known.removed_at  # a 404 after this capture still stands
        if known and known.previous_urls:
            story["previous_urls"] = to_json(known.previous_urls)
        self.pending[row["url"]] = story
        if row["id"]:
            self.pending_ids[row["id"]] = row["url"]
        if row["tags"] is not None:
            self.tags[row["url"]] = row["tags"]
        self.add_version(row, row["url"])

    def add_history(self, known: Known, row: dict[str, Any]) -> None:
        """An older capture: it may move first_seen_at earlier and add a version."""
        captured_at = row["captured_at"]
        if known.url in self.pending:
            pending = self.pending[known.url]
            pending["first_seen_at"] = min(pending["first_seen_at"] or captured_at, captured_at)
        else:
            self.db.execute(
                "UPDATE stories SET first_seen_at = ? WHERE url = ? "
                "AND (first_seen_at IS NULL OR first_seen_at > ?)",
                [captured_at, known.url, captured_at],
            )
        self.add_version(row, known.url)

    def add_version(self, row: dict[str, Any], story_url: str) -> None:
        if row["content_hash"]:
            version = {column: row.get(column) for column in VERSION_COLUMNS}
            version["story_url"] = story_url
            self.versions.append(version)

    def move(self, known: Known, new_url: str) -> None:
        """The story was renamed: its row, tags and versions follow it to new_url."""
        occupant = self.find_url(new_url)
        if occupant:
            # A URL shows one story: a different story that held it before is replaced.
            self.delete(new_url)
        old_url = known.url
        # A story renamed back to an earlier slug does not list its own URL as previous.
        aliases = to_json([u for u in [*known.previous_urls, old_url] if u != new_url] or None)
        self.db.execute(
            "UPDATE stories SET url = ?, previous_urls = ? WHERE url = ?",
            [new_url, aliases, old_url],
        )
        for table in ("story_tags", "story_versions"):
            # OR IGNORE + DELETE: rows the new URL already has win over the old ones.
            self.db.execute(
                f"UPDATE OR IGNORE {table} SET story_url = ? WHERE story_url = ?",
                [new_url, old_url],
            )
            self.db.execute(f"DELETE FROM {table} WHERE story_url = ?", [old_url])
        self.rekey_pending(old_url, new_url, aliases)

    def rekey_pending(self, old_url: str, new_url: str, aliases: str) -> None:
        if old_url in self.pending:
            story = self.pending.pop(old_url)
            story.update(url=new_url, previous_urls=aliases)
            self.pending[new_url] = story
            if story["id"]:
                self.pending_ids[story["id"]] = new_url
        if old_url in self.tags:
            self.tags[new_url] = self.tags.pop(old_url)
        for version in self.versions:
            if version["story_url"] == old_url:
                version["story_url"] = new_url

    def delete(self, url: str) -> None:
        self.db.execute("DELETE FROM stories WHERE url = ?", [url])
        for table in ("story_tags", "story_versions"):
            self.db.execute(f"DELETE FROM {table} WHERE story_url = ?", [url])
        story = self.pending.pop(url, None)
        if story and story["id"]:
            self.pending_ids.pop(story["id"], None)
        self.tags.pop(url, None)
        self.versions = [v for v in self.versions if v["story_url"] != url]

    def flush(self) -> None:
        """Write what the batch resolved: a handful of statements, whatever its size."""
        if self.pending:
            self.db["stories"].upsert_all(list(self.pending.values()), pk="url")
        self.write_tags()
        self.db.conn.executemany(
            _VERSION_SQL, [[v[c] for c in VERSION_COLUMNS] for v in self.versions]
        )

    def write_tags(self) -> None:
        urls = list(self.tags)
        for part in chunks(urls):
            self.db.execute(
                f"DELETE FROM story_tags WHERE story_url IN ({', '.join('?' for _ in part)})", part
            )
        rows = [
            {"story_url": url, "tag_slug": tag["slug"], "position": position}
            for url, tags in self.tags.items()
            for position, tag in enumerate(tags)
        ]
        self.db.conn.executemany(
            _TAG_SQL, [(t["slug"], t["name"]) for tags in self.tags.values() for t in tags]
        )
        if rows:
            self.db["story_tags"].insert_all(rows, pk=("story_url", "tag_slug"), ignore=True)


def upsert_stories(db: Database, rows: list[Any], outcomes: Counter | None = None) -> int:
    """Merge story rows into the store in one transaction; returns how many were given.
    ``outcomes`` counts what happened: new, changed, unchanged, renamed stories."""
    prepared = [prepare_story(row) for row in rows]
    with db.atomic():
        batch = StoryBatch(db)
        for row in prepared:
            batch.add(row)
        batch.flush()
    if outcomes is not None:
        outcomes.update(batch.outcomes)
    return len(prepared)


def mark_seen(db: Database, table: str, urls: list[str], at: Any) -> int:
    """Rows whose page answered 304 Not Modified at ``at``: seen again, unchanged."""
    when = to_iso(at) or now_iso()
    clear_removal = ", removed_at = NULL" if table == "stories" else ""
    with db.atomic():
        cursor = db.conn.executemany(
            f"UPDATE {table} SET last_seen_at = ?{clear_removal} WHERE url = ? "
            "AND (last_seen_at IS NULL OR last_seen_at < ?)",
            [(when, url, when) for url in urls],
        )
        return cursor.rowcount


def mark_removed(db: Database, urls: list[str], at: Any) -> int:
    """Record that known stories answered 404 at ``at``; returns how many were marked.

    The first 404 is kept; a story seen after ``at`` (archives reparsed out of order)
    is not marked.
    """
    when = to_iso(at) or now_iso()
    with db.atomic():
        cursor = db.conn.executemany(
            "UPDATE stories SET removed_at = ? WHERE url = ? AND removed_at IS NULL "
            "AND (last_seen_at IS NULL OR last_seen_at <= ?)",
            [(when, url, when) for url in urls],
        )
        return cursor.rowcount
