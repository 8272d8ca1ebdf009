"""The database schema and its numbered migrations.

Table and column names are public (docs/schema.md): researchers' queries
rely on them. A change to the schema is a new migration appended to ``MIGRATIONS``;
a migration that has shipped is never edited, because databases already carry it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from sqlite_utils import Database

from swampcrawl.store.errors import StoreError
from swampcrawl.store.values import now_iso

# Columns in the order Datasette shows them: the contract's first, then our extras.
STORY_COLUMNS: dict[str, type] = {
    "url": str, "id": str, "community": str, "slug": str, "title": str,
    "subtitle": str, "summary": str, "author": str, "author_name": str,
    "published_at": str, "updated_at": str, "word_count": int,
    "reading_minutes": int, "body_html": str, "body_text": str,
    "hero_image_url": str, "is_top_story": int, "like_count": int,
    "content_hash": str, "first_seen_at": str, "last_seen_at": str,
    "removed_at": str, "warc_filename": str, "warc_offset": int,
    "warc_record_id": str,
    # extras
    "community_name": str, "published_raw": str, "updated_raw": str,
    "source": str, "extraction_errors": str, "captured_at": str,
    "previous_urls": str, "derived": str,
}  # fmt: skip

PROVENANCE_COLUMNS: dict[str, type] = {
    "first_seen_at": str, "last_seen_at": str, "source": str,
    "extraction_errors": str, "captured_at": str, "warc_filename": str,
    "warc_offset": int, "warc_record_id": str,
}  # fmt: skip

CREATOR_COLUMNS: dict[str, type] = {
    "slug": str, "url": str, "name": str, "bio": str, "joined": str,
    "story_count": int, "avatar_url": str, **PROVENANCE_COLUMNS,
}  # fmt: skip

COMMUNITY_COLUMNS: dict[str, type] = {
    "slug": str, "url": str, "name": str, "description": str,
    "story_count": int, "creator_count": int, **PROVENANCE_COLUMNS,
}  # fmt: skip

VERSION_COLUMNS: dict[str, type] = {
    "story_url": str, "content_hash": str, "captured_at": str, "title": str,
    "body_text": str, "warc_filename": str, "warc_offset": int,
    "subtitle": str, "warc_record_id": str,
}  # fmt: skip

CAPTURE_COLUMNS: dict[str, type] = {
    "id": int, "url": str, "status": int, "captured_at": str, "kind": str,
    "warc_filename": str, "warc_offset": int, "warc_record_id": str,
    "run_id": int,
    # extras
    "page_kind": str, "warc_length": int, "revisit": int,
    "content_type": str, "location": str, "etag": str, "last_modified": str,
}  # fmt: skip

ERROR_COLUMNS: dict[str, type] = {
    "id": int, "url": str, "kind": str, "reason": str, "attempts": int,
    "last_status": int, "at": str, "run_id": int,
}  # fmt: skip

RUN_COLUMNS: dict[str, type] = {
    "id": int, "spider": str, "started_at": str, "finished_at": str,
    "status": str, "stats": str, "settings": str, "pages": int, "items": int,
}  # fmt: skip

# What cron needs of a run, one column each (migration 4; filled by finish_run from the stats).
RUN_FIGURE_COLUMNS: dict[str, type] = {
    "requests": int, "responses": int, "new": int, "changed": int, "unchanged": int,
    "removed": int, "renamed": int, "errors": int, "exit_status": int,
}  # fmt: skip

FTS_COLUMNS = ("title", "subtitle", "body_text")

# The tables of the contract, in the order counts() reports them.
TABLES = (
    "stories", "creators", "communities", "tags", "story_tags",
    "story_versions", "captures", "crawl_runs", "creator_stories", "errors",
)  # fmt: skip


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[Database], None]


def _create_tables(db: Database) -> None:
    db["crawl_runs"].create(RUN_COLUMNS, pk="id", not_null={"spider", "started_at", "status"})
    db["communities"].create(COMMUNITY_COLUMNS, pk="slug")
    db["creators"].create(CREATOR_COLUMNS, pk="slug")
    db["tags"].create({"slug": str, "name": str}, pk="slug")
    # Foreign keys document the joins (Datasette links them); they are not enforced,
    # because a story may name an author or community not crawled (yet).
    db["stories"].create(
        STORY_COLUMNS,
        pk="url",
        foreign_keys=[("author", "creators", "slug"), ("community", "communities", "slug")],
    )
    db["story_tags"].create(
        {"story_url": str, "tag_slug": str, "position": int},
        pk=("story_url", "tag_slug"),
        foreign_keys=[("story_url", "stories", "url"), ("tag_slug", "tags", "slug")],
    )
    db["story_versions"].create(
        VERSION_COLUMNS,
        pk=("story_url", "content_hash"),
        foreign_keys=[("story_url", "stories", "url")],
    )
    db["captures"].create(
        CAPTURE_COLUMNS, pk="id", foreign_keys=[("run_id", "crawl_runs", "id")]
    )
    # The story URLs a creator's pages list (every ?page=N), as last seen.
    db["creator_stories"].create(
        {"creator_slug": str, "story_url": str, "captured_at": str},
        pk=("creator_slug", "story_url"),
        foreign_keys=[("creator_slug", "creators", "slug")],
    )


def _create_indexes(db: Database) -> None:
    # The platform id identifies a story across slug changes: at most one row per id.
    db.execute(
        "CREATE UNIQUE INDEX idx_stories_id ON stories(id) WHERE id IS NOT NULL"
    )
    for table, column in (
        ("stories", "community"), ("stories", "author"), ("stories", "published_at"),
        ("story_tags", "tag_slug"), ("captures", "url"), ("captures", "run_id"),
    ):  # fmt: skip
        db[table].create_index([column], index_name=f"idx_{table}_{column}")


def _create_fts(db: Database) -> None:
    # External-content FTS5 (sqlite-utils' layout, so Datasette finds it). Our own
    # triggers rather than create_triggers=True: the update trigger fires only when
    # the indexed text changes, so re-seeing an unchanged story costs no FTS work.
    db["stories"].enable_fts(FTS_COLUMNS, tokenize="porter")
    cols = ", ".join(FTS_COLUMNS)
    new = ", ".join(f"new.{c}" for c in FTS_COLUMNS)
    old = ", ".join(f"old.{c}" for c in FTS_COLUMNS)
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in FTS_COLUMNS)
    insert = f"INSERT INTO stories_fts (rowid, {cols}) VALUES (new.rowid, {new});"
    delete = (
        f"INSERT INTO stories_fts (stories_fts, rowid, {cols}) "
        f"VALUES ('delete', old.rowid, {old});"
    )
    db.execute(f"CREATE TRIGGER stories_ai AFTER INSERT ON stories BEGIN {insert} END")
    db.execute(f"CREATE TRIGGER stories_ad AFTER DELETE ON stories BEGIN {delete} END")
    db.execute(
        f"CREATE TRIGGER stories_au AFTER UPDATE ON stories WHEN {changed} "
        f"BEGIN {delete} {insert} END"
    )


def _initial_schema(db: Database) -> None:
    _create_tables(db)
    _create_indexes(db)
    _create_fts(db)


def _add_derived(db: Database) -> None:
    # Which of a story's fields were computed by swampcrawl rather than read from the page.
    if "derived" not in db["stories"].columns_dict:
        db["stories"].add_column("derived", str)


def _add_errors(db: Database) -> None:
    # One row per URL that could not be fetched (after its retries) or a requisite that
    # answered with an error status.
    db["errors"].create(ERROR_COLUMNS, pk="id", foreign_keys=[("run_id", "crawl_runs", "id")],
                        not_null={"url", "reason", "at"}, if_not_exists=True)
    db["errors"].create_index(["url"], index_name="idx_errors_url", if_not_exists=True)
    db["errors"].create_index(["run_id"], index_name="idx_errors_run_id", if_not_exists=True)


def _add_validators(db: Database) -> None:
    # A response's ETag and Last-Modified: what the next crawl's conditional request sends.
    for column in ("etag", "last_modified"):
        if column not in db["captures"].columns_dict:
            db["captures"].add_column(column, str)


def _add_run_figures(db: Database) -> None:
    # Requests, responses, stories new/changed/..., errors and the exit status of each run;
    # runs recorded before this migration get them from their stats.
    columns = db["crawl_runs"].columns_dict
    for name, kind in RUN_FIGURE_COLUMNS.items():
        if name not in columns:
            db["crawl_runs"].add_column(name, kind)
    from swampcrawl.store.runs import backfill_figures  # runs imports this module

    backfill_figures(db)


def _unique_captures(db: Database) -> None:
    # One captures row per archived record, so that reparsing the same files again adds
    # nothing (Store.add_captures ignores a row already there). Rows doubled by reparses run
    # before this migration are removed, the first of each kept.
    recorded = "warc_filename IS NOT NULL AND warc_offset IS NOT NULL AND warc_record_id IS NOT NULL"
    db.execute(
        f"DELETE FROM captures WHERE {recorded} AND id NOT IN (SELECT min(id) FROM captures "
        f"WHERE {recorded} GROUP BY warc_filename, warc_offset, warc_record_id)"
    )
    db.execute(
        "CREATE UNIQUE INDEX IF NOT EXISTS idx_captures_record "
        "ON captures(warc_filename, warc_offset, warc_record_id)"
    )


MIGRATIONS: list[Migration] = [
    Migration(1, "initial schema", _initial_schema),
    Migration(2, "stories.derived", _add_derived),
    Migration(3, "errors", _add_errors),
    Migration(4, "captures.etag, captures.last_modified", _add_validators),
    Migration(5, "crawl_runs figures", _add_run_figures),
    Migration(6, "captures unique per WARC record", _unique_captures),
]


def latest_version() -> int:
    return MIGRATIONS[-1].version


def applied_version(db: Database) -> int:
    if not db["schema_migrations"].exists():
        return 0
    return db.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]


def migrate(db: Database, where: str) -> None:
    """Bring the database to the latest schema; a no-op when it is already there.

    Each migration runs in its own ``BEGIN IMMEDIATE`` transaction and the version is
    re-read inside it, so two crawls opening a new database at once cannot both apply it.
    """
    for migration in MIGRATIONS:
        db.execute("BEGIN IMMEDIATE")
        try:
            _apply_if_pending(db, migration, where)
        except BaseException:
            db.rollback()
            raise
        db.commit()


def _apply_if_pending(db: Database, migration: Migration, where: str) -> None:
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    current = applied_version(db)
    if current > latest_version():
        raise StoreError(
            f"{where} has schema version {current}, newer than this swampcrawl "
            f"understands ({latest_version()}): upgrade swampcrawl to use it"
        )
    if migration.version <= current:
        return
    try:
        migration.apply(db)
    except sqlite3.Error as error:
        raise StoreError(
            f"{where}: migration {migration.version} ({migration.name}) failed: {error}"
        ) from error
    db["schema_migrations"].insert(
        {"version": migration.version, "name": migration.name, "applied_at": now_iso()}
    )
