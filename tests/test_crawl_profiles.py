"""End to end: `creators` and `communities` fill their tables with the ground truth."""

from __future__ import annotations

import pytest
import pytest_twisted
from crawl_support import crawl, table
from replica_process import ReplicaProcess


@pytest.fixture(scope="module")
def replica():
    with ReplicaProcess(stories=50, seed=4) as running:
        yield running


def mismatches(rows, truth, skip=("path", "story_paths")):
    found = []
    for expected in truth:
        row = rows.get(expected["slug"])
        if row is None:
            found.append((expected["slug"], "missing"))
            continue
        found += [(expected["slug"], k, v, row[k]) for k, v in expected.items() if k not in skip and row[k] != v]
    return found


@pytest_twisted.inlineCallbacks
def test_creators_spider_fills_every_creator(replica, tmp_path):
    stats = yield crawl("creators", replica.base_url, tmp_path)
    assert stats["finish_reason"] == "finished" and stats.get("log_count/ERROR", 0) == 0
    rows = {row["slug"]: row for row in table(tmp_path / "swamp.db", "creators")}
    assert set(rows) == {c["slug"] for c in replica.truth["creators"]}
    assert mismatches(rows, replica.truth["creators"]) == []
    assert all(row["warc_filename"] and row["warc_record_id"] for row in rows.values())


@pytest_twisted.inlineCallbacks
def test_creator_story_lists_cover_every_page(replica, tmp_path):
    yield crawl("creators", replica.base_url, tmp_path)
    listed = {}
    for link in table(tmp_path / "swamp.db", "creator_stories"):
        listed.setdefault(link["creator_slug"], set()).add(link["story_url"])
    for creator in replica.truth["creators"]:
        assert listed.get(creator["slug"], set()) == {replica.base_url + p for p in creator["story_paths"]}


@pytest_twisted.inlineCallbacks
def test_communities_spider_fills_every_community(replica, tmp_path):
    stats = yield crawl("communities", replica.base_url, tmp_path)
    assert stats["finish_reason"] == "finished" and stats.get("log_count/ERROR", 0) == 0
    rows = {row["slug"]: row for row in table(tmp_path / "swamp.db", "communities")}
    assert set(rows) == {c["slug"] for c in replica.truth["communities"]}
    assert mismatches(rows, replica.truth["communities"]) == []
