"""End to end: `stories` crawls a replica in-process; the database equals its ground truth."""

from __future__ import annotations

import json
from collections import Counter
from urllib.parse import urlsplit

import pytest
import pytest_twisted
from warcio.archiveiterator import ArchiveIterator
from crawl_support import crawl, story_mismatches, story_rows, table
from replica_process import ReplicaProcess

# Columns that say when and where a row was captured, not what the site holds.
BOOKKEEPING = {"first_seen_at", "last_seen_at", "captured_at", "warc_filename", "warc_offset", "warc_record_id"}


@pytest.fixture(scope="module")
def replica():
    with ReplicaProcess(stories=60, seed=3) as running:
        yield running


@pytest_twisted.inlineCallbacks
def test_every_story_field_equals_the_ground_truth(replica, tmp_path):
    yield _crawl(replica, tmp_path)
    rows = story_rows(tmp_path / "swamp.db")
    assert set(rows) == {replica.base_url + s["path"] for s in replica.truth["stories"]}
    tags = Counter()
    for link in table(tmp_path / "swamp.db", "story_tags"):
        tags[(link["story_url"], link["tag_slug"])] += 1
    mismatches = [m for story in replica.truth["stories"]
                  for m in story_mismatches(story, rows[replica.base_url + story["path"]], tags)]
    assert mismatches == []


@pytest_twisted.inlineCallbacks
def test_stories_carry_creators_communities_tags_and_provenance(replica, tmp_path):
    yield _crawl(replica, tmp_path)
    db = tmp_path / "swamp.db"
    creators = {row["slug"]: row for row in table(db, "creators")}
    communities = {row["slug"]: row for row in table(db, "communities")}
    tag_names = {row["slug"]: row["name"] for row in table(db, "tags")}
    for story in replica.truth["stories"]:
        assert creators[story["author"]]["name"] == story["author_name"]
        assert story["community"] in communities
        for tag in story["tags"]:
            assert tag_names[tag["slug"]] == tag["name"]
    for row in story_rows(db).values():
        assert row["warc_filename"].endswith(".warc.gz") and row["warc_record_id"].startswith("<urn:uuid:")
        assert row["warc_offset"] >= 0 and row["first_seen_at"] and row["content_hash"]


@pytest_twisted.inlineCallbacks
def test_a_second_crawl_leaves_the_same_rows(replica, tmp_path):
    yield _crawl(replica, tmp_path)
    first = story_rows(tmp_path / "swamp.db")
    yield _crawl(replica, tmp_path)
    second = story_rows(tmp_path / "swamp.db")
    strip = lambda rows: {u: {k: v for k, v in r.items() if k not in BOOKKEEPING} for u, r in rows.items()}  # noqa: E731
    assert strip(second) == strip(first)
    assert all(second[u]["first_seen_at"] == first[u]["first_seen_at"] for u in first)
    assert len(table(tmp_path / "swamp.db", "story_versions")) == len(first)
    runs = table(tmp_path / "swamp.db", "crawl_runs")
    assert [r["status"] for r in runs] == ["finished", "finished"]


@pytest_twisted.inlineCallbacks
def test_requests_stay_on_the_base_host_and_none_is_repeated(tmp_path):
    with ReplicaProcess(stories=40, seed=5) as replica:
        yield _crawl(replica, tmp_path)
        requests = replica.requests()
    host, image_host = urlsplit(replica.base_url).netloc, urlsplit(replica.image_base).netloc
    assert {r["host"] for r in requests} == {host, image_host}
    # the image host is asked for its robots.txt and for images pages use, nothing else
    assets = set(replica.truth["assets"])
    assert all(r["path"] == "/robots.txt" or f"http://{image_host}{r['path']}" + (f"?{r['query']}" if r["query"] else "")
               in assets for r in requests if r["host"] == image_host)
    repeated = [k for k, n in Counter((r["host"], r["path"], r["query"]) for r in requests).items() if n > 1]
    assert repeated == []
    assert not [r for r in requests if r["path"].startswith(("/signup", "/search", "/admin", "/challenges", "/vocal-plus"))]
    assert not [r for r in requests if any(p in r["query"] for p in ("via=", "vocal_referral", "utm_", "_ga"))]
    assert {r["accept_encoding"] for r in requests} == {"gzip, deflate"}
    assert all(r["user_agent"].startswith("swampcrawl/") for r in requests)


@pytest_twisted.inlineCallbacks
def test_community_argument_limits_the_crawl(replica, tmp_path):
    already = len(replica.requests())
    yield _crawl(replica, tmp_path, spargs={"community": "theSwamp"})
    rows = story_rows(tmp_path / "swamp.db")
    expected = {replica.base_url + s["path"] for s in replica.truth["stories"] if s["community"] == "theSwamp"}
    assert expected and set(rows) == expected
    story_paths = {s["path"] for s in replica.truth["stories"]}
    fetched = {r["path"] for r in replica.requests()[already:] if r["path"] in story_paths}
    assert fetched == {s["path"] for s in replica.truth["stories"] if s["community"] == "theSwamp"}
    assert not [r for r in replica.requests()[already:] if r["path"] in ("/latest-stories", "/top-stories")]


def _crawl(replica, data, spargs=None):
    """One in-process crawl; the stats prove it archived without an error."""
    return crawl("stories", replica.base_url, data, spargs=spargs).addCallback(_check_stats)


def _check_stats(stats):
    assert stats["finish_reason"] == "finished"
    assert stats.get("swampcrawl/warc/errors", 0) == 0
    assert stats.get("log_count/ERROR", 0) == 0
    return stats


@pytest_twisted.inlineCallbacks
def test_each_story_has_a_metadata_record_referring_to_its_response(replica, tmp_path):
    yield _crawl(replica, tmp_path)
    metadata = {}
    for path in sorted((tmp_path / "warc").glob("*.warc.gz")):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "metadata":
                    payload = json.loads(record.content_stream().read())
                    metadata[record.rec_headers.get_header("WARC-Refers-To")] = payload
    for row in story_rows(tmp_path / "swamp.db").values():
        payload = metadata[row["warc_record_id"]]
        assert payload["url"] == row["url"] and payload["content_hash"] == row["content_hash"]
        assert payload["record_type"] == "story" and "body_html" not in payload
