"""A crawl after the site changed: new, edited, removed and renamed stories."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest_twisted
from crawl_support import crawl, story_rows, table
from replica_process import ReplicaProcess


@pytest_twisted.inlineCallbacks
def test_second_epoch_updates_rows_versions_and_removals(tmp_path):
    with ReplicaProcess(stories=50, seed=6, epoch=1) as first:
        yield crawl("stories", first.base_url, tmp_path)
        port = urlsplit(first.base_url).port
        before = story_rows(tmp_path / "swamp.db")
    with ReplicaProcess(stories=50, seed=6, epoch=2, port=port) as second:
        # Removals are only noticed by asking for the known URLs again: the weekly full pass.
        yield crawl("stories", second.base_url, tmp_path, spargs={"recheck": "all"})
        truth, base = second.truth, second.base_url
    rows = story_rows(tmp_path / "swamp.db")
    live = {base + s["path"]: s for s in truth["stories"]}
    assert truth["redirects"] and truth["removed"]

    # one row per story id, at its newest URL, with its first sighting kept
    ids = [row["id"] for row in rows.values()]
    assert len(ids) == len(set(ids))
    for old, new in truth["redirects"].items():
        assert base + old not in rows
        assert rows[base + new]["first_seen_at"] == before[base + old]["first_seen_at"]
    for url, story in live.items():
        assert rows[url]["title"] == story["title"] and rows[url]["body_text"] == story["body_text"]
        assert rows[url]["removed_at"] is None
    removed = {base + p for p in truth["removed"]}
    assert rows.keys() - live.keys() == removed
    assert all(rows[url]["removed_at"] for url in removed)


@pytest_twisted.inlineCallbacks
def test_edited_stories_get_a_second_version(tmp_path):
    with ReplicaProcess(stories=50, seed=6, epoch=1) as first:
        yield crawl("stories", first.base_url, tmp_path)
        port = urlsplit(first.base_url).port
        first_truth = {s["id"]: s for s in first.truth["stories"]}
    with ReplicaProcess(stories=50, seed=6, epoch=2, port=port) as second:
        yield crawl("stories", second.base_url, tmp_path, spargs={"recheck": "all"})
        edited = [s for s in second.truth["stories"] if s["id"] in first_truth and s["body_text"] != first_truth[s["id"]]["body_text"]]
        base = second.base_url
    assert edited
    versions = {}
    for row in table(tmp_path / "swamp.db", "story_versions"):
        versions.setdefault(row["story_url"], []).append(row)
    for story in edited:
        kept = versions[base + story["path"]]
        assert len(kept) == 2
        assert {v["body_text"] for v in kept} == {story["body_text"], first_truth[story["id"]]["body_text"]}
