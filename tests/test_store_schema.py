"""Opening the store: migrations, WAL, the contract's tables, readable errors."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from swampcrawl.store import Store, StoreError
from swampcrawl.store.schema import latest_version

CONTRACT_COLUMNS = {
    "stories": "url id community slug title subtitle summary author author_name published_at "
    "updated_at word_count reading_minutes body_html body_text hero_image_url is_top_story "
    "like_count content_hash first_seen_at last_seen_at removed_at warc_filename warc_offset "
    "warc_record_id",
    "creators": "slug url name bio joined story_count avatar_url first_seen_at last_seen_at",
    "communities": "slug url name description story_count creator_count",
    "tags": "slug name",
    "story_tags": "story_url tag_slug",
    "story_versions": "story_url content_hash captured_at title body_text warc_filename warc_offset",
    "captures": "url status captured_at kind warc_filename warc_offset warc_record_id run_id",
    "crawl_runs": "id spider started_at finished_at status stats",
}
PROVENANCE = {"warc_filename", "warc_offset", "warc_record_id"}


def test_creates_folder_and_every_contract_column(tmp_path: Path) -> None:
    with Store(tmp_path / "new" / "swamp.db") as store:
        for table, columns in CONTRACT_COLUMNS.items():
            assert set(columns.split()) <= set(store.db[table].columns_dict), table
        for table in ("stories", "creators", "communities", "captures"):
            assert PROVENANCE <= set(store.db[table].columns_dict), table
        assert store.db["stories"].detect_fts() == "stories_fts"
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL


def test_indexes_for_the_usual_questions(tmp_path: Path) -> None:
    with Store(tmp_path / "swamp.db") as store:
        indexed = {
            (table, tuple(index.columns))
            for table in ("stories", "story_tags", "captures")
            for index in store.db[table].indexes
        }
        unique_id = [index.unique for index in store.db["stories"].indexes if index.columns == ["id"]]
    for wanted in [
        ("stories", ("community",)), ("stories", ("author",)), ("stories", ("published_at",)),
        ("stories", ("id",)), ("story_tags", ("tag_slug",)), ("captures", ("url",)),
        ("captures", ("run_id",)),
    ]:  # fmt: skip
        assert wanted in indexed
    assert unique_id == [1]  # at most one row per platform id: a renamed story moves


def test_migrations_are_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "swamp.db"
    with Store(path) as store:
        schema = store.db.schema
    for _ in range(2):
        with Store(path) as store:
            assert store.db.schema == schema
            assert store.schema_version == latest_version()
            rows = store.db.execute("SELECT version FROM schema_migrations").fetchall()
            assert rows == [(v,) for v in range(1, latest_version() + 1)]


def test_newer_database_than_the_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "swamp.db"
    Store(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (999, 'future', '2030-01-01T00:00:00Z')")
    conn.close()
    with pytest.raises(StoreError, match="schema version 999, newer"):
        Store(path)


def test_unwritable_path_raises_one_readable_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError) as caught:
        Store(blocker / "swamp.db")
    message = str(caught.value)
    assert message.startswith(f"cannot open the database {blocker / 'swamp.db'}: ")
    assert "\n" not in message


def test_a_folder_or_a_non_database_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open the database"):
        Store(tmp_path)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a database"):
        Store(junk)
