"""Epoch 2 is epoch 1 plus new, edited, deleted and renamed stories."""

from __future__ import annotations

import pytest
from replica_http import get
from replica_process import ReplicaProcess

from swampcrawl.replica.site import build_site


@pytest.fixture(scope="module")
def epochs():
    return build_site(seed=1, stories=60).truth(), build_site(seed=1, stories=60, epoch=2).truth()


def _by_id(truth):
    return {story["id"]: story for story in truth["stories"]}


def test_epoch_two_adds_edits_deletes_and_renames(epochs):
    one, two = map(_by_id, epochs)
    new = set(two) - set(one)
    deleted = set(one) - set(two)
    assert new and deleted
    assert all(two[i]["published_at"] > epochs[0]["now"] for i in new)
    edited = [i for i in set(one) & set(two) if one[i]["body_text"] != two[i]["body_text"]]
    assert edited
    for story_id in edited:
        assert two[story_id]["title"] != one[story_id]["title"]
        assert epochs[0]["now"] < two[story_id]["updated_at"] <= epochs[1]["now"]
    renamed = [i for i in set(one) & set(two) if one[i]["path"] != two[i]["path"]]
    assert renamed
    assert {one[i]["path"]: two[i]["path"] for i in renamed} == epochs[1]["redirects"]
    assert sorted(one[i]["path"] for i in deleted) == sorted(epochs[1]["removed"])


def test_community_counts_follow(epochs):
    for truth in epochs:
        counts = {}
        for story in truth["stories"]:
            counts[story["community"]] = counts.get(story["community"], 0) + 1
        assert {c["slug"]: c["story_count"] for c in truth["communities"] if c["story_count"]} == counts


def test_later_epochs_extend_earlier_ones():
    two, three = build_site(seed=1, stories=60, epoch=2).truth(), build_site(seed=1, stories=60, epoch=3).truth()
    assert set(two["removed"]) <= set(three["removed"])
    live = {story["path"] for story in three["stories"]}
    assert set(three["redirects"].values()) <= live
    assert not set(three["redirects"]) & live and not set(three["removed"]) & live


def test_epoch_two_over_http():
    with ReplicaProcess(stories=60, seed=1, epoch=2) as replica:
        truth = replica.truth
        for path in truth["removed"]:
            assert get(replica.base_url, path).status == 404
        for old, new in truth["redirects"].items():
            assert get(replica.base_url, old).headers["location"] == new
            post = get(replica.base_url, new).next_data()["props"]["pageProps"]["post"]
            assert post["id"] == next(s["id"] for s in truth["stories"] if s["path"] == new)
        edited = [s for s in truth["stories"] if s["updated_at"] and s["updated_at"] > "2026-11-24T09:30:00Z"]
        assert edited and "Updated " in get(replica.base_url, edited[0]["path"]).text
