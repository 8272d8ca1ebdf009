"""Crawls of the fault replica (`swampcrawl replica --faults all`): rate limits, bursts of
5xx, timeouts, resets, short bodies, a gzip bomb, a 30 MiB page, maintenance pages, broken
``__NEXT_DATA__``, malformed HTML, redirect loops and off-port redirects, a listing that never
ends, foreign links, a windows-1252 page, very long URLs.

What must hold, read from the replica's ground truth (its ``faults`` key) and its request
log, the database and the WARC files: no crash, no story lost (each is stored or listed in
``errors`` with a reason), no request out of scope, valid WARCs and a sound database; a
maintenance page never replaces a stored story; kills at random moments lose nothing.
"""

from __future__ import annotations

import math
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from archive_support import assert_warcio_valid, warc_files
from crawl_support import ROOT, scrapy_command, table
from replica_process import ReplicaProcess
from warcio.archiveiterator import ArchiveIterator

SEED = 7
# Timeouts and waits made short for a test: the replica's slow pages take 2 s, the crawl waits
# 1 s; a Retry-After or a backoff waits at most 2 s.
FAST = ("-s", "DOWNLOAD_TIMEOUT=1", "-s", "SWAMPCRAWL_RETRY_AFTER_MAX=2")
RSS_LIMIT_KB = 300 * 1024


def crawl(replica: ReplicaProcess, data: Path, *args: str, timeout: int = 300) -> tuple[subprocess.CompletedProcess, int]:
    """`scrapy crawl stories` run through a wrapper that reports the crawl's peak RSS (KB)."""
    command = scrapy_command("stories", *FAST, *args, base_url=replica.base_url, data=data)
    wrapper = ("import resource, subprocess, sys\n"
               "code = subprocess.run(sys.argv[1:]).returncode\n"
               "print('peak-rss-kb', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
               "sys.exit(code)\n")
    result = subprocess.run([sys.executable, "-c", wrapper, *command], cwd=ROOT, capture_output=True, text=True,
                            timeout=timeout)
    peak = int(result.stderr.rsplit("peak-rss-kb ", 1)[1].split()[0])
    return result, peak


def live_paths(truth: dict) -> set[str]:
    removed = {item if isinstance(item, str) else item.get("path") for item in truth.get("removed", [])}
    return {story["path"] for story in truth["stories"]} - removed


def stored_paths(db: Path) -> dict[str, dict]:
    return {urlsplit(row["url"]).path: row for row in table(db, "stories")}


def error_rows(db: Path) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for row in table(db, "errors"):
        found.setdefault(urlsplit(row["url"]).path, []).append(row)
    return found


def faulted(truth: dict) -> dict[str, dict]:
    return {story["path"]: {**story, "fault": name} for name, fault in truth["faults"].items()
            for story in fault["stories"]}


def assert_sound(data: Path) -> None:
    with sqlite3.connect(data / "swamp.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert_warcio_valid(*warc_files(data / "warc"))


# -- one crawl of a fresh database against every fault ---------------------------------------------


@pytest.fixture(scope="module")
def faulty():
    with ReplicaProcess(stories=60, seed=SEED, faults="all", slow_seconds=2) as running:
        yield running


@pytest.fixture(scope="module")
def first_crawl(faulty, tmp_path_factory):
    data = tmp_path_factory.mktemp("faults")
    result, peak = crawl(faulty, data)
    return faulty, data, result, peak


def test_the_crawl_finishes_with_errors_and_no_crash(first_crawl):
    _, data, result, _ = first_crawl
    assert result.returncode == 4, result.stderr[-3000:]  # finished, with URLs in `errors`
    assert "Traceback" not in result.stderr, result.stderr[-5000:]
    [run] = table(data / "swamp.db", "crawl_runs")
    assert run["status"] == "finished" and run["exit_status"] == 4 and run["errors"] > 0
    assert "stories finished in" in result.stdout


def test_no_story_is_lost(first_crawl):
    """Every live story is stored, or listed in `errors` with a reason; faulted stories as
    the ground truth says they should end."""
    replica, data, _, _ = first_crawl
    truth = replica.truth
    stored, errors = stored_paths(data / "swamp.db"), error_rows(data / "swamp.db")
    lost = sorted(path for path in live_paths(truth) if path not in stored and path not in errors)
    assert lost == []
    for path, story in faulted(truth).items():
        outcome = story["outcome"]
        if outcome == "stored-unchanged":  # a first crawl meets the maintenance page first
            outcome = truth["faults"]["maintenance"]["first_crawl_outcome"]
        if outcome == "stored":
            assert path in stored and stored[path]["body_text"], (story["fault"], story["variant"], errors.get(path))
        elif outcome == "error":
            assert path not in stored, (story["fault"], story["variant"])
            reasons = [row["reason"] for row in errors.get(path, [])]
            assert reasons and all(reasons), (story["fault"], story["variant"])
            if story.get("reason"):
                assert any(reason.startswith(story["reason"]) for reason in reasons), (story, reasons)
        else:
            assert (path in stored) != (path in errors), (story["fault"], story["variant"])


def test_stored_stories_match_the_ground_truth(first_crawl):
    """The clean stories and the recovered ones (429, a 5xx once, windows-1252) are whole."""
    replica, data, _, _ = first_crawl
    stored = stored_paths(data / "swamp.db")
    bad = faulted(replica.truth)
    for story in replica.truth["stories"]:
        row = stored.get(story["path"])
        if row is None or bad.get(story["path"], {}).get("outcome") == "stored-or-error":
            continue
        assert (row["title"], row["body_text"]) == (story["title"], story["body_text"]), story["path"]


def test_rate_limits_and_bursts_are_waited_out(first_crawl):
    replica, data, _, _ = first_crawl
    limited = [s["path"] for s in replica.truth["faults"]["rate-limit"]["stories"]]
    log = replica.requests()
    for path in limited:
        times = [entry for entry in log if entry.get("path") == path]
        assert [entry["status"] for entry in times][-1] == 200
    burst = replica.truth["faults"]["rate-limit"]["burst"]
    assert sum(1 for entry in log if entry.get("variant") == "burst") == burst["last"] - burst["first"] + 1


def test_nothing_out_of_scope_is_requested(first_crawl):
    replica, data, _, _ = first_crawl
    site, images = urlsplit(replica.base_url).netloc, urlsplit(replica.image_base).netloc
    log = replica.requests()
    never = {url for fault in replica.truth["faults"].values() for url in fault["never_requested"]}
    asked = {f"http://{entry['host']}{entry['path']}" for entry in log}
    assert never and not never & asked
    # the image host serves images only: a page path asked of it is an off-port redirect or link
    assert not [e["path"] for e in log if e["host"] == images and not e.get("status") in (200, 304, 404)]
    hosts = set()
    for path in warc_files(data / "warc"):
        with path.open("rb") as stream:
            hosts |= {urlsplit(r.rec_headers.get_header("WARC-Target-URI")).netloc for r in ArchiveIterator(stream)
                      if r.rec_type in ("request", "response", "revisit")}
    assert hosts <= {site, images}, hosts
    assert max(len(entry["path"]) for entry in log) <= 2000


def test_the_endless_listing_is_bounded(first_crawl):
    replica, _, _, _ = first_crawl
    endless = replica.truth["faults"]["endless"]
    pages = {(entry["path"], entry.get("query")) for entry in replica.requests()
             if entry["path"] == endless["listing"]}
    bound = math.ceil(endless["story_count"] / endless["page_size"]) * 1.5 + 5
    assert endless["last_page"] < len(pages) <= bound + 1, sorted(pages)


def test_the_archive_and_the_database_are_sound(first_crawl):
    _, data, _, _ = first_crawl
    assert_sound(data)


def test_bombs_and_huge_pages_cost_little_memory(first_crawl):
    replica, data, _, peak = first_crawl
    assert peak < RSS_LIMIT_KB, f"peak RSS {peak / 1024:.0f} MB"
    too_large = [row for rows in error_rows(data / "swamp.db").values() for row in rows
                 if row["reason"].startswith("too large")]
    assert len(too_large) >= len(replica.truth["faults"]["bomb"]["stories"]) + len(replica.truth["faults"]["huge"]["stories"])


# -- maintenance pages over stored stories ---------------------------------------------------------


def test_maintenance_pages_never_replace_stored_stories(tmp_path):
    with ReplicaProcess(stories=60, seed=SEED) as clean:
        port = urlsplit(clean.base_url).port
        result, _ = crawl(clean, tmp_path)
        assert result.returncode == 0, result.stderr[-3000:]
    before = stored_paths(tmp_path / "swamp.db")
    versions = len(table(tmp_path / "swamp.db", "story_versions"))
    with ReplicaProcess(stories=60, seed=SEED, faults="maintenance", port=port) as broken:
        maintained = [s["path"] for s in broken.truth["faults"]["maintenance"]["stories"]]
        result, _ = crawl(broken, tmp_path, "-a", "recheck=all")
        asked = {entry["path"] for entry in broken.requests() if entry.get("fault") == "maintenance"}
    assert result.returncode == 4, result.stderr[-3000:]
    assert set(maintained) <= asked
    after = stored_paths(tmp_path / "swamp.db")
    for path in maintained:
        assert after[path] == before[path]
    assert len(table(tmp_path / "swamp.db", "story_versions")) == versions
    reasons = {urlsplit(row["url"]).path: row["reason"] for row in table(tmp_path / "swamp.db", "errors")}
    assert all(reasons.get(path) for path in maintained), reasons


# -- kills at random moments, then resume ------------------------------------------------------


def test_kills_at_random_moments_lose_nothing(tmp_path):
    moments = random.Random(SEED).sample([0.8, 1.2, 1.7, 2.3, 3.1, 4.0], 3)
    with ReplicaProcess(stories=60, seed=SEED + 1, faults="rate-limit,server-errors,charset,bad-data",
                        slow_seconds=2) as replica:
        for moment in moments:
            command = scrapy_command("stories", *FAST, base_url=replica.base_url, data=tmp_path)
            process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(moment)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        result, _ = crawl(replica, tmp_path)
        assert result.returncode in (0, 4), result.stderr[-3000:]
        assert "Traceback" not in result.stderr
        truth = replica.truth
    runs = table(tmp_path / "swamp.db", "crawl_runs")
    assert [run["status"] for run in runs][-1] == "finished"
    assert {run["status"] for run in runs[:-1]} <= {"killed"}
    stored, errors = stored_paths(tmp_path / "swamp.db"), error_rows(tmp_path / "swamp.db")
    assert sorted(p for p in live_paths(truth) if p not in stored and p not in errors) == []
    recovers = {path for path, story in faulted(truth).items() if story["outcome"] == "stored"}
    assert recovers <= set(stored)
    assert_sound(tmp_path)
