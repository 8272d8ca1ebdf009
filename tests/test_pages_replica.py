"""Extraction of every page of a live replica equals the replica's ground truth.

The replica runs in a subprocess (tests/replica_process.py) and pages are fetched over
real HTTP. A second pass strips ``__NEXT_DATA__`` from each page: the fields a reader
can see must still come out right, ``published_at`` within the precision of the
relative time the page shows.
"""

from __future__ import annotations

import re
import urllib.request
from datetime import datetime

import pytest

from replica_process import ReplicaProcess
from swampcrawl.pages import extract, extract_links
from swampcrawl.pages.dates import parse_timestamp, relative_window

NEXT_DATA = re.compile(rb'<script id="__NEXT_DATA__"[^>]*>.*?</script>', re.S)
VISIBLE_FIELDS = ("title", "subtitle", "author", "author_name", "community", "tags",
                  "reading_minutes", "body_text", "like_count", "is_top_story")
CREATOR_FIELDS = ("slug", "name", "bio", "joined", "story_count", "avatar_url")
COMMUNITY_FIELDS = ("slug", "name", "description", "story_count", "creator_count")


@pytest.fixture(scope="module")
def replica():
    # Enough stories that some creator has more than one page of cards.
    with ReplicaProcess(stories=120, seed=3) as running:
        yield running


@pytest.fixture(scope="module")
def pages(replica) -> dict[str, bytes]:
    """Every story, creator (all its pages) and community page, fetched once."""
    truth, fetched = replica.truth, {}
    paths = [s["path"] for s in truth["stories"]] + [c["path"] for c in truth["communities"]]
    for path in paths:
        fetched[path] = _get(replica.base_url + path)
    for creator in truth["creators"]:
        url = replica.base_url + creator["path"]
        while url:
            fetched[url.removeprefix(replica.base_url)] = body = _get(url)
            url = extract_links(body, url, replica.base_url).next_page_url
    return fetched


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def _now(replica) -> datetime:
    return parse_timestamp(replica.truth["now"])


def _record(replica, pages, path: str, strip: bool = False) -> dict:
    body = NEXT_DATA.sub(b"", pages[path]) if strip else pages[path]
    return extract(body, replica.base_url + path, _now(replica), replica.base_url).model_dump(mode="json")


def _mismatches(record: dict, truth: dict, fields) -> list[str]:
    return [f"{field}: {record.get(field)!r} != {truth[field]!r}" for field in fields if record.get(field) != truth[field]]


def test_stories_equal_truth(replica, pages):
    problems = []
    for story in replica.truth["stories"]:
        record = _record(replica, pages, story["path"])
        fields = [f for f in story if f != "path"]
        problems += [f"{story['path']} {m}" for m in _mismatches(record, story, fields)]
        if record["url"] != replica.base_url + story["path"] or record["source"] != "next_data":
            problems.append(f"{story['path']} url/source: {record['url']} {record['source']}")
    assert problems == []


def test_stories_without_next_data(replica, pages):
    problems = []
    for story in replica.truth["stories"]:
        record = _record(replica, pages, story["path"], strip=True)
        problems += [f"{story['path']} {m}" for m in _mismatches(record, story, VISIBLE_FIELDS)]
        age = (_now(replica) - parse_timestamp(story["published_at"])).total_seconds()
        window = relative_window(record["published_raw"] or "")
        if window is None or not window.low <= age <= window.high:
            problems.append(f"{story['path']} published {record['published_raw']!r} for an age of {age} s")
        if abs((parse_timestamp(record["published_at"]) - parse_timestamp(story["published_at"])).total_seconds()) > (window.high - window.low if window else 0):
            problems.append(f"{story['path']} published_at {record['published_at']} far from {story['published_at']}")
    assert problems == []


def test_some_creator_is_paged(pages):
    assert any("?page=2" in path for path in pages if path.startswith("/authors/"))


@pytest.mark.parametrize("strip", [False, True], ids=["next_data", "visible_text"])
def test_creators_equal_truth(replica, pages, strip):
    problems = []
    for creator in replica.truth["creators"]:
        record = _record(replica, pages, creator["path"], strip)
        problems += [f"{creator['path']} {m}" for m in _mismatches(record, creator, CREATOR_FIELDS)]
        listed = set()
        for path in pages:
            if path.split("?")[0] == creator["path"]:
                listed.update(_record(replica, pages, path, strip)["stories"])
        expected = {replica.base_url + p for p in creator["story_paths"]}
        if listed != expected:
            problems.append(f"{creator['path']} stories: {sorted(listed ^ expected)}")
    assert problems == []


@pytest.mark.parametrize("strip", [False, True], ids=["next_data", "visible_text"])
def test_communities_equal_truth(replica, pages, strip):
    problems = []
    for community in replica.truth["communities"]:
        record = _record(replica, pages, community["path"], strip)
        problems += [f"{community['path']} {m}" for m in _mismatches(record, community, COMMUNITY_FIELDS)]
    assert problems == []
