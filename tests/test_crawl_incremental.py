"""Incremental crawls for cron: a recrawl costs what changed, counted from the replica's
request log; new stories are found by the default run, edits, removals and renames by the
weekly `-a recheck=all`; 304s are archived and counted as unchanged; crawls never overlap."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlite_utils
from archive_support import assert_warcio_valid
from crawl_support import ROOT, crawl_twice, error_lines, scrapy_command, scrapy_crawl, table
from replica_process import ReplicaProcess
from warcio.archiveiterator import ArchiveIterator


def story_paths_requested(requests: list[dict], truth: dict) -> list[str]:
    paths = {s["path"] for s in truth["stories"]} | set(truth["removed"]) | set(truth["redirects"])
    return [r["path"] for r in requests if r["path"] in paths]


@pytest.fixture(scope="module")
def unchanged(tmp_path_factory):
    """A first crawl of 600 stories, then a second of the unchanged site: (data, first and
    second requests, second result)."""
    data = tmp_path_factory.mktemp("unchanged")
    with ReplicaProcess(stories=600, seed=12) as replica:
        after_first, _, second = crawl_twice(replica, data)
        requests = replica.requests()
        return data, replica.truth, requests[:after_first], requests[after_first:], second


def test_an_unchanged_recrawl_costs_at_most_5_percent_of_the_first(unchanged):
    _, truth, first, second, result = unchanged
    assert len(first) > 3000
    assert len(second) <= 0.05 * len(first), (len(second), len(first))
    assert story_paths_requested(second, truth) == []  # no stored story fetched again
    assert "stories finished" in result.stdout


def test_listings_stop_at_the_first_page_of_known_stories(unchanged):
    _, _, first, second, _ = unchanged
    later_pages = [r for r in second if "page=" in r["query"] and r["query"] != "page=1"]
    assert later_pages == []
    assert any("page=" in r["query"] for r in first)  # the first crawl did page through them


def test_a_full_pass_asks_for_every_known_story_conditionally(unchanged):
    """`-a recheck=all` on the unchanged site: one 304 per story, archived (request and
    response records), counted as unchanged; no new version, last_seen_at moved."""
    data, truth, _, _, _ = unchanged
    before = {row["url"]: row for row in table(data / "swamp.db", "stories")}
    versions_before = len(table(data / "swamp.db", "story_versions"))
    with ReplicaProcess(stories=600, seed=12, port=urlsplit(next(iter(before))).port) as replica:
        time.sleep(1.1)
        result = scrapy_crawl("stories", "-a", "recheck=all", base_url=replica.base_url, data=data)
        requests = replica.requests()
    assert result.returncode == 0, result.stderr
    story_requests = [r for r in requests if r["path"] in {s["path"] for s in truth["stories"]}]
    assert len(story_requests) == len(truth["stories"]) and {r["status"] for r in story_requests} == {304}
    after = {row["url"]: row for row in table(data / "swamp.db", "stories")}
    assert len(table(data / "swamp.db", "story_versions")) == versions_before
    assert all(after[url]["last_seen_at"] > before[url]["last_seen_at"] for url in before)
    assert all(after[url]["content_hash"] == before[url]["content_hash"] for url in before)
    run = table(data / "swamp.db", "crawl_runs")[-1]
    captures = [row for row in table(data / "swamp.db", "captures") if row["run_id"] == run["id"] and row["status"] == 304]
    assert len(captures) >= len(truth["stories"])
    # the 304s are in the WARC: a response record each, beside its request
    records = {}
    for path in sorted((data / "warc").glob("*.warc.gz")):
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                records.setdefault(record.rec_type, []).append(record)
    not_modified = [r for r in records["response"] if r.http_headers.get_statuscode() == "304"]
    assert len(not_modified) >= len(truth["stories"])
    assert "swampcrawl/stories/unchanged" not in result.stdout  # the summary is one plain line
    stats_unchanged = sqlite_utils.Database(data / "swamp.db").execute(
        "SELECT json_extract(stats, '$.\"swampcrawl/stories/unchanged\"') FROM crawl_runs WHERE id = ?", [run["id"]]
    ).fetchone()[0]
    assert stats_unchanged == len(truth["stories"])


def test_new_stories_by_default_then_edits_removals_and_renames_with_recheck_all(tmp_path):
    with ReplicaProcess(stories=120, seed=6, epoch=1) as first:
        assert scrapy_crawl("stories", base_url=first.base_url, data=tmp_path).returncode == 0
        port, first_truth = urlsplit(first.base_url).port, first.truth
    known = {first.base_url + s["path"]: s for s in first_truth["stories"]}
    time.sleep(1.1)
    with ReplicaProcess(stories=120, seed=6, epoch=2, port=port) as second:
        default = scrapy_crawl("stories", base_url=second.base_url, data=tmp_path)
        default_requests = second.requests()
        time.sleep(1.1)
        full = scrapy_crawl("stories", "-a", "recheck=all", base_url=second.base_url, data=tmp_path)
        truth, base = second.truth, second.base_url
    assert default.returncode == 0 and full.returncode == 0, default.stderr + full.stderr
    old_ids = {s["id"] for s in first_truth["stories"]}
    new = {base + s["path"] for s in truth["stories"] if s["id"] not in old_ids}
    assert new
    # the default run stores every new story, and asks for no stored one
    fetched = {base + path for path in story_paths_requested(default_requests, truth)}
    assert new <= fetched and not fetched & known.keys()
    rows = {row["url"]: row for row in table(tmp_path / "swamp.db", "stories")}
    assert new <= rows.keys()
    # recheck=all: edits versioned, removals marked, renames followed
    versions = {}
    for row in table(tmp_path / "swamp.db", "story_versions"):
        versions.setdefault(row["story_url"], set()).add(row["body_text"])
    edited = [s for s in truth["stories"] if s["id"] in old_ids
              and s["body_text"] != next(o for o in first_truth["stories"] if o["id"] == s["id"])["body_text"]]
    assert edited and all(len(versions[base + s["path"]]) == 2 for s in edited)
    assert all(rows[base + s["path"]]["body_text"] == s["body_text"] for s in truth["stories"])
    assert truth["removed"] and all(rows[base + path]["removed_at"] for path in truth["removed"])
    for old, new_path in truth["redirects"].items():
        assert base + old not in rows and base + old in (rows[base + new_path]["previous_urls"] or "")


def test_a_second_crawl_is_refused_while_the_first_runs(tmp_path):
    with ReplicaProcess(stories=60, seed=2) as replica:
        slow = scrapy_command("stories", "-s", "DOWNLOAD_DELAY=0.2", "-s", "CONCURRENT_REQUESTS=1",
                              base_url=replica.base_url, data=tmp_path)
        first = subprocess.Popen(slow, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 60
            while not replica.requests() and time.monotonic() < deadline:
                time.sleep(0.1)
            second = scrapy_crawl("stories", base_url=replica.base_url, data=tmp_path)
        finally:
            first.terminate()
            first.communicate(timeout=60)
    assert second.returncode == 3
    assert len(error_lines(second)) == 1 and "locked by another crawl" in second.stderr
    # the refused crawl left no run behind
    assert [run["status"] for run in table(Path(tmp_path) / "swamp.db", "crawl_runs")] == ["shutdown"]


def test_a_killed_backfill_resumes_without_fetching_stored_stories_again(tmp_path):
    """SIGKILLed twice at different moments, then run to its end: the union equals the truth,
    no story stored by an earlier run is fetched again, every WARC reads back whole."""
    with ReplicaProcess(stories=150, seed=14) as replica:
        truth, base = replica.truth, replica.base_url
        for captures in (40, 160):
            slow = scrapy_command("stories", "-s", "DOWNLOAD_DELAY=0.02", "-s", "CONCURRENT_REQUESTS=2",
                                  "-s", "SWAMPCRAWL_STORE_BATCH=5", base_url=base, data=tmp_path)
            process = subprocess.Popen(slow, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and count_captures(tmp_path) < captures:
                time.sleep(0.05)
            process.kill()
            process.wait(timeout=30)
        stored = {row["url"] for row in table(tmp_path / "swamp.db", "stories")}
        assert 0 < len(stored) < len(truth["stories"])
        before = len(replica.requests())
        final = scrapy_crawl("stories", base_url=base, data=tmp_path)
        again = {base + path for path in story_paths_requested(replica.requests()[before:], truth)}
    assert final.returncode == 0, final.stderr
    rows = {row["url"] for row in table(tmp_path / "swamp.db", "stories")}
    assert rows == {base + s["path"] for s in truth["stories"]}
    assert not again & stored
    statuses = [run["status"] for run in table(tmp_path / "swamp.db", "crawl_runs")]
    assert statuses == ["killed", "killed", "finished"]
    assert_warcio_valid(*sorted((tmp_path / "warc").glob("*.warc.gz")))  # the killed runs' files, repaired
    assert not list((tmp_path / "warc").glob("*.open"))


def count_captures(data: Path) -> int:
    try:
        return len(table(data / "swamp.db", "captures"))
    except Exception:  # not created yet, or locked for a moment
        return 0


def test_creators_and_communities_recrawls_cost_little_on_an_unchanged_site(tmp_path):
    """The creators spider stops its listings at known stories and asks for the creators it
    meets conditionally; the communities spider asks for community pages conditionally."""
    with ReplicaProcess(stories=400, seed=15) as replica:
        for spider in ("stories", "creators", "communities"):
            assert scrapy_crawl(spider, base_url=replica.base_url, data=tmp_path).returncode == 0
        counts = {}
        for spider in ("creators", "communities"):
            before = len(replica.requests())
            result = scrapy_crawl(spider, base_url=replica.base_url, data=tmp_path)
            assert result.returncode == 0, result.stderr
            counts[spider] = replica.requests()[before:]
        truth = replica.truth
    creator_paths = {c["path"] for c in truth["creators"]}
    community_paths = {c["path"] for c in truth["communities"]}
    recrawled_creators = [r for r in counts["creators"] if r["path"] in creator_paths]
    assert len(counts["creators"]) <= 0.1 * len(truth["creators"]) + 10, len(counts["creators"])
    assert all(r["status"] == 304 for r in recrawled_creators)
    assert {r["status"] for r in counts["communities"] if r["path"] in community_paths} == {304}
    runs = table(tmp_path / "swamp.db", "crawl_runs")
    assert [run["status"] for run in runs] == ["finished"] * 5


def test_the_frontier_and_the_seen_sets_live_on_disk(tmp_path):
    """`scrapy crawl` queues every request on disk (a JOBDIR of its own, removed afterwards)."""
    with ReplicaProcess(stories=40, seed=16) as replica:
        result = scrapy_crawl("stories", base_url=replica.base_url, data=tmp_path)
    assert result.returncode == 0, result.stderr
    run = table(tmp_path / "swamp.db", "crawl_runs")[-1]
    stats = json.loads(run["stats"])
    assert stats["scheduler/enqueued/disk"] == stats["scheduler/enqueued"] > 100
    assert "scheduler/enqueued/memory" not in stats and "scheduler/unserializable" not in stats
    assert not [line for line in result.stderr.splitlines() if "swampcrawl-frontier-" in line]
