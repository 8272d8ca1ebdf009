"""Stories: upserts, first/last seen, renames by id, tags, versions, FTS, batching."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from store_rows import BASE, story_row

from swampcrawl.store import Store


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "swamp.db") as opened:
        yield opened


def all_rows(store: Store, table: str) -> list[dict]:
    return list(store.db.query(f"SELECT * FROM {table} ORDER BY 1, 2"))


def test_story_row_keeps_contract_values_and_provenance(store: Store) -> None:
    store.upsert_stories([story_row(1)])
    row = store.story(f"{BASE}/fiction/story-1")
    assert row["id"] == "post0001" and row["is_top_story"] == 0 and row["like_count"] == 4
    assert row["first_seen_at"] == row["last_seen_at"] == "2026-11-24T09:30:00Z"
    assert row["removed_at"] is None and row["extraction_errors"] is None
    assert (row["warc_filename"], row["warc_offset"], row["warc_record_id"]) == (
        "swampcrawl-1.warc.gz", 1001, "<urn:uuid:00000001>",
    )  # fmt: skip
    assert row["tags"] == [{"slug": "nature", "name": "nature"}, {"slug": "Challenge", "name": "Challenge"}]
    assert len(row["versions"]) == 1


def test_upserting_twice_gives_the_same_rows(store: Store) -> None:
    rows = [story_row(n) for n in range(1, 6)]
    store.upsert_stories(rows)
    before = {t: all_rows(store, t) for t in ("stories", "tags", "story_tags", "story_versions")}
    store.upsert_stories(rows)
    assert {t: all_rows(store, t) for t in before} == before
    assert store.counts()["stories"] == 5 and store.counts()["tags"] == 2


def test_first_seen_is_kept_and_last_seen_follows_captures(store: Store) -> None:
    url = f"{BASE}/fiction/story-1"
    store.upsert_stories([story_row(1, captured_at="2026-11-24T09:30:00Z")])
    store.upsert_stories([story_row(1, captured_at="2026-11-26T10:00:00Z", like_count=9)])
    row = store.story(url)
    assert (row["first_seen_at"], row["last_seen_at"]) == ("2026-11-24T09:30:00Z", "2026-11-26T10:00:00Z")
    assert row["like_count"] == 9
    # An older capture (an archive reparsed late) moves first_seen_at back, changes nothing else.
    store.upsert_stories([story_row(1, captured_at="2026-11-01T00:00:00Z", like_count=1)])
    row = store.story(url)
    assert (row["first_seen_at"], row["last_seen_at"], row["like_count"]) == (
        "2026-11-01T00:00:00Z", "2026-11-26T10:00:00Z", 9,
    )  # fmt: skip


def test_rename_by_id_moves_the_row_its_tags_and_versions(store: Store) -> None:
    old, new = f"{BASE}/fiction/story-1", f"{BASE}/fiction/story-1-renamed"
    store.upsert_stories([story_row(1)])
    store.upsert_stories(
        [story_row(1, url=new, slug="story-1-renamed", body_text="badgers eat mushrooms",
                   captured_at="2026-11-25T09:30:00Z", tags=[{"slug": "nature", "name": "nature"}])]
    )  # fmt: skip
    assert store.story(old) is None
    row = store.story(new)
    assert row["first_seen_at"] == "2026-11-24T09:30:00Z"
    assert row["previous_urls"] == f'["{old}"]'
    assert [t["slug"] for t in row["tags"]] == ["nature"]
    assert [v["body_text"] for v in row["versions"]] == ["badgers eat honey", "badgers eat mushrooms"]
    assert store.counts()["stories"] == 1
    assert store.db.execute("SELECT count(*) FROM story_versions WHERE story_url = ?", [old]).fetchone()[0] == 0
    assert [r["url"] for r in store.search("mushrooms")] == [new]
    assert store.search("honey") == []


def test_rename_within_one_batch(store: Store) -> None:
    new = f"{BASE}/fiction/new-slug"
    store.upsert_stories([story_row(1), story_row(1, url=new, captured_at="2026-11-25T00:00:00Z")])
    assert [r["url"] for r in all_rows(store, "stories")] == [new]
    assert store.story(new)["first_seen_at"] == "2026-11-24T09:30:00Z"
    assert [r["url"] for r in store.search("badgers")] == [new]


def test_old_capture_under_the_old_slug_does_not_move_the_story_back(store: Store) -> None:
    new = f"{BASE}/fiction/new-slug"
    store.upsert_stories([story_row(1, url=new, captured_at="2026-11-25T00:00:00Z")])
    store.upsert_stories([story_row(1, body_text="first draft", captured_at="2026-11-20T00:00:00Z")])
    assert [r["url"] for r in all_rows(store, "stories")] == [new]
    row = store.story(new)
    assert row["first_seen_at"] == "2026-11-20T00:00:00Z" and row["body_text"] == "badgers eat honey"
    assert [v["body_text"] for v in row["versions"]] == ["first draft", "badgers eat honey"]


def test_versions_appear_only_when_content_changes(store: Store) -> None:
    url = f"{BASE}/fiction/story-1"
    store.upsert_stories([story_row(1)])
    store.upsert_stories([story_row(1, captured_at="2026-11-25T00:00:00Z", like_count=50)])
    assert len(store.story(url)["versions"]) == 1
    store.upsert_stories([story_row(1, captured_at="2026-11-26T00:00:00Z", title="New title")])
    versions = store.story(url)["versions"]
    assert [(v["title"], v["captured_at"]) for v in versions] == [
        ("Story number 1", "2026-11-24T09:30:00Z"), ("New title", "2026-11-26T00:00:00Z"),
    ]  # fmt: skip
    assert versions[1]["warc_offset"] == 1001


def test_fts_follows_updates_and_deletes(store: Store) -> None:
    store.upsert_stories([story_row(1), story_row(2, body_text="otters sleep")])
    assert [r["url"] for r in store.search("badgers")] == [f"{BASE}/fiction/story-1"]
    store.upsert_stories([story_row(1, body_text="wolves howl", captured_at="2026-11-25T00:00:00Z")])
    assert store.search("badgers") == []
    assert [r["url"] for r in store.search("wolves")] == [f"{BASE}/fiction/story-1"]
    store.db.execute("DELETE FROM stories WHERE url = ?", [f"{BASE}/fiction/story-2"])
    assert store.search("otters") == []
    # The index agrees with its content table (FTS5's own consistency check).
    store.db.execute("INSERT INTO stories_fts (stories_fts, rank) VALUES ('integrity-check', 1)")


def test_tags_are_replaced_and_kept_as_given(store: Store) -> None:
    url = f"{BASE}/fiction/story-1"
    store.upsert_stories([story_row(1)])
    store.upsert_stories([story_row(1, tags=[{"slug": "challenge", "name": "challenge"}])])
    assert [t["slug"] for t in store.story(url)["tags"]] == ["challenge"]
    assert {r["slug"] for r in all_rows(store, "tags")} == {"nature", "Challenge", "challenge"}
    without_tags = story_row(1)
    del without_tags["tags"]  # unknown: the stored tags stay
    store.upsert_stories([without_tags])
    assert [t["slug"] for t in store.story(url)["tags"]] == ["challenge"]


def test_removed_is_set_by_404_and_cleared_when_seen_again(store: Store) -> None:
    url = f"{BASE}/fiction/story-1"
    store.upsert_stories([story_row(1)])
    assert store.mark_removed([url, f"{BASE}/fiction/unknown"], "2026-11-25T00:00:00Z") == 1
    assert store.story(url)["removed_at"] == "2026-11-25T00:00:00Z"
    store.upsert_stories([story_row(1, captured_at="2026-11-26T00:00:00Z")])
    assert store.story(url)["removed_at"] is None
    # A 404 older than the last capture (archives reparsed out of order) is not recorded.
    assert store.mark_removed([url], "2026-11-25T12:00:00Z") == 0
    # The first 404 is kept.
    assert store.mark_removed([url], "2026-11-27T00:00:00Z") == 1
    assert store.mark_removed([url], "2026-11-28T00:00:00Z") == 0
    assert store.story(url)["removed_at"] == "2026-11-27T00:00:00Z"


def test_a_batch_of_1000_rows_is_one_transaction(store: Store) -> None:
    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)
    store.upsert_stories([story_row(n) for n in range(1000)])
    store.db.conn.set_trace_callback(None)
    begins = [s for s in statements if s.strip().upper().startswith("BEGIN")]
    commits = [s for s in statements if s.strip().upper().startswith("COMMIT")]
    assert (len(begins), len(commits)) == (1, 1)
    assert store.counts()["stories"] == 1000 and store.counts()["story_versions"] == 1000
    assert len(store.search("badgers", limit=2000)) == 1000


def test_a_failing_batch_writes_nothing(store: Store) -> None:
    old = f"{BASE}/fiction/story-1"
    store.upsert_stories([story_row(1)])
    renamed = story_row(1, url=f"{BASE}/fiction/renamed", captured_at="2026-11-25T00:00:00Z")
    with pytest.raises(sqlite3.ProgrammingError, match="binding parameter"):
        store.upsert_stories([renamed, story_row(2, like_count=object())])
    assert [r["url"] for r in all_rows(store, "stories")] == [old]
    assert store.counts()["story_tags"] == 2 and store.counts()["story_versions"] == 1


def test_datetimes_and_pydantic_records_are_accepted(store: Store) -> None:
    from datetime import UTC, datetime

    from pydantic import BaseModel

    class Tag(BaseModel):
        slug: str
        name: str

    class Row(BaseModel):
        url: str
        id: str
        title: str
        body_text: str
        content_hash: str
        published_at: datetime
        captured_at: datetime
        tags: list[Tag]

    when = datetime(2026, 11, 24, 9, 30, 15, 123456, tzinfo=UTC)
    record = Row(url=f"{BASE}/fiction/p", id="p1", title="T", body_text="B", content_hash="h",
                 published_at=when, captured_at=when, tags=[Tag(slug="a", name="A")])  # fmt: skip
    store.upsert_stories([record])
    row = store.story(f"{BASE}/fiction/p")
    assert (row["published_at"], row["first_seen_at"]) == ("2026-11-24T09:30:15Z",) * 2
    assert row["tags"] == [{"slug": "a", "name": "A"}]


def test_a_renamed_story_replaces_another_story_on_its_new_url(store: Store) -> None:
    target = f"{BASE}/fiction/story-2"
    store.upsert_stories([story_row(1), story_row(2)])
    store.upsert_stories([story_row(1, url=target, captured_at="2026-11-25T00:00:00Z")])
    assert [(r["url"], r["id"]) for r in all_rows(store, "stories")] == [(target, "post0001")]
    assert store.counts()["story_versions"] == 1
    assert [r["url"] for r in store.search("badgers")] == [target]
