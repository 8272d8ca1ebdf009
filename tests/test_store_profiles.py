"""Creators and communities: merges across captures and pages, first/last seen."""

from __future__ import annotations

from pathlib import Path

import pytest
from store_rows import BASE, community_row, creator_row

from swampcrawl.store import Store, StoreError


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "swamp.db") as opened:
        yield opened


def creator(store: Store, slug: str) -> dict:
    return store.db["creators"].get(slug)


def test_creator_row_and_provenance(store: Store) -> None:
    store.upsert_creators([creator_row()])
    row = creator(store, "ada")
    assert row["name"] == "Ada" and row["joined"] == "2021-02" and row["story_count"] == 12
    assert row["first_seen_at"] == row["last_seen_at"] == "2026-11-24T09:30:00Z"
    assert (row["warc_filename"], row["warc_offset"], row["warc_record_id"]) == (
        "swampcrawl-1.warc.gz", 5, "<urn:uuid:c1>",
    )  # fmt: skip
    assert "stories" not in row
    assert list(store.db["creator_stories"].rows) == [
        {"creator_slug": "ada", "story_url": f"{BASE}/fiction/story-1", "captured_at": "2026-11-24T09:30:00Z"}
    ]


def test_upserting_creators_twice_gives_the_same_rows(store: Store) -> None:
    rows = [creator_row("ada"), creator_row("bob", name="Bob")]
    store.upsert_creators(rows)
    before = {t: list(store.db[t].rows) for t in ("creators", "creator_stories")}
    store.upsert_creators(rows)
    assert {t: list(store.db[t].rows) for t in before} == before
    assert store.counts()["creator_stories"] == 2


def test_a_later_page_does_not_erase_the_profile(store: Store) -> None:
    store.upsert_creators([creator_row()])
    page_2 = creator_row(name=None, bio=None, avatar_url=None, story_count=13,
                         url=f"{BASE}/authors/ada", captured_at="2026-11-24T09:31:00Z")  # fmt: skip
    store.upsert_creators([page_2])
    row = creator(store, "ada")
    assert (row["name"], row["bio"], row["story_count"]) == ("Ada", "Writes.", 13)
    assert (row["first_seen_at"], row["last_seen_at"]) == ("2026-11-24T09:30:00Z", "2026-11-24T09:31:00Z")


def test_first_seen_kept_and_older_capture_changes_only_first_seen(store: Store) -> None:
    store.upsert_creators([creator_row(captured_at="2026-11-24T09:30:00Z")])
    store.upsert_creators([creator_row(captured_at="2026-11-20T00:00:00Z", name="Old name")])
    row = creator(store, "ada")
    assert (row["name"], row["first_seen_at"], row["last_seen_at"]) == (
        "Ada", "2026-11-20T00:00:00Z", "2026-11-24T09:30:00Z",
    )  # fmt: skip


def test_creator_stories_keep_the_latest_listing(store: Store) -> None:
    story = f"{BASE}/fiction/story-1"
    store.upsert_creators([creator_row(captured_at="2026-11-25T00:00:00Z")])
    store.upsert_creators([creator_row(captured_at="2026-11-20T00:00:00Z")])  # reparsed late
    assert store.db["creator_stories"].get(("ada", story))["captured_at"] == "2026-11-25T00:00:00Z"
    store.upsert_creators([creator_row(captured_at="2026-11-26T00:00:00Z", stories=[story, f"{story}-b"])])
    assert list(store.db.query("SELECT story_url, captured_at FROM creator_stories ORDER BY 1")) == [
        {"story_url": story, "captured_at": "2026-11-26T00:00:00Z"},
        {"story_url": f"{story}-b", "captured_at": "2026-11-26T00:00:00Z"},
    ]


def test_same_creator_twice_in_one_batch(store: Store) -> None:
    store.upsert_creators([creator_row(), creator_row(story_count=20, captured_at="2026-11-25T00:00:00Z")])
    row = creator(store, "ada")
    assert (row["story_count"], row["first_seen_at"]) == (20, "2026-11-24T09:30:00Z")
    assert store.counts()["creators"] == 1


def test_slug_taken_from_the_url_when_missing(store: Store) -> None:
    store.upsert_communities([community_row(slug=None, url=f"{BASE}/poets")])
    assert store.db["communities"].get("poets")["url"] == f"{BASE}/poets"
    with pytest.raises(StoreError, match="a creator row needs a slug or a url"):
        store.upsert_creators([creator_row(slug=None, url=None)])
    with pytest.raises(StoreError, match="a community row needs a slug or a url"):
        store.upsert_communities([community_row(slug=None, url=None)])
    with pytest.raises(StoreError, match="a creator row needs a slug or a url"):
        store.upsert_creators([creator_row(slug=None, url=BASE)])  # the host is not a slug


def test_communities(store: Store) -> None:
    store.upsert_communities([community_row("fiction"), community_row("poets", name="Poets")])
    store.upsert_communities([community_row("fiction", story_count=121, captured_at="2026-11-25T00:00:00Z")])
    row = store.db["communities"].get("fiction")
    assert (row["name"], row["story_count"], row["creator_count"]) == ("Fiction", 121, 30)
    assert row["warc_record_id"] == "<urn:uuid:m1>"
    assert store.counts()["communities"] == 2


def test_ensure_adds_missing_profiles_without_overwriting(store: Store) -> None:
    store.upsert_creators([creator_row("ada")])
    store.ensure_creators([
        {"slug": "ada", "name": "Ada L.", "url": f"{BASE}/authors/ada"},
        {"slug": "bob", "name": "Bob", "url": f"{BASE}/authors/bob"},
    ])  # fmt: skip
    assert creator(store, "ada")["name"] == "Ada"
    bob = creator(store, "bob")
    assert (bob["name"], bob["first_seen_at"], bob["warc_filename"]) == ("Bob", None, None)
    store.upsert_creators([creator_row("bob", name="Bob B.")])
    bob = creator(store, "bob")
    assert (bob["name"], bob["first_seen_at"]) == ("Bob B.", "2026-11-24T09:30:00Z")
    store.ensure_communities([{"slug": "poets", "name": "Poets", "url": f"{BASE}/poets"}])
    assert store.db["communities"].get("poets")["name"] == "Poets"
