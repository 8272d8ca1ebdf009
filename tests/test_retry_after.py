"""429 and 503: retried after the site's Retry-After (or a backoff), the host's slot held meanwhile.

Each crawl is `scrapy crawl stories` against a replica served through a LocalSite that answers
chosen paths with 429s or 503s; times are the site's own (when it received each request).
"""

from __future__ import annotations

import json
from email.utils import formatdate
from itertools import pairwise
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from crawl_support import scrapy_crawl, story_rows, table
from local_site import LocalSite, answers, retry_at, too_many
from replica_process import ReplicaProcess
from warcio.archiveiterator import ArchiveIterator

from swampcrawl.downloadermiddlewares.retryafter import backoff_seconds, retry_after_seconds

NO_REQUISITES = ("-s", "SWAMPCRAWL_REQUISITES=none")


@pytest.fixture(scope="module")
def replica():
    with ReplicaProcess(stories=6, seed=5) as running:
        yield running


def archived_statuses(warc_dir: Path, url: str) -> list[int]:
    """HTTP statuses of the response records archived for ``url``, in the order written."""
    statuses = []
    for path in sorted(warc_dir.glob("*.warc.gz")):
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "response" and record.rec_headers.get_header("WARC-Target-URI") == url:
                    statuses.append(int(record.http_headers.get_statuscode()))
    return statuses


def run_stats(db: Path) -> dict:
    return json.loads(table(db, "crawl_runs")[-1]["stats"])


def crawl_through(site: LocalSite, tmp_path: Path, *args: str, exit_status: int = 0):
    result = scrapy_crawl("stories", *NO_REQUISITES, *args, base_url=site.base_url, data=tmp_path)
    assert result.returncode == exit_status, result.stderr  # 4: finished, with errors rows
    return result


def expected_stories(replica: ReplicaProcess, site: LocalSite) -> set[str]:
    return {site.base_url + story["path"] for story in replica.truth["stories"]}


# -- reading Retry-After ---------------------------------------------------------------------------

def test_retry_after_in_seconds():
    assert retry_after_seconds(b"30") == 30.0
    assert retry_after_seconds(" 0 ") == 0.0


def test_retry_after_as_a_date_counts_from_the_responses_date():
    date = formatdate(1_800_000_000, usegmt=True)
    assert retry_after_seconds(formatdate(1_800_000_090, usegmt=True), date) == 90.0
    assert retry_after_seconds(formatdate(1_799_999_000, usegmt=True), date) == 0.0  # in the past: now


@pytest.mark.parametrize("value", [None, b"", b"soon", b"-5", b"1.5"])
def test_retry_after_unreadable_is_none(value):
    assert retry_after_seconds(value) is None


def test_backoff_starts_at_a_second_and_doubles():
    assert [backoff_seconds(n) for n in range(5)] == [1, 2, 4, 8, 16]


# -- crawls ---------------------------------------------------------------------------------------

def test_a_429_is_retried_after_its_retry_after_and_the_story_stored(replica, tmp_path):
    path = replica.truth["stories"][0]["path"]
    with LocalSite(upstream=replica.base_url) as site:
        site.route(path, answers(too_many("1"), too_many("1")))
        crawl_through(site, tmp_path)
        times = site.times(path)
    assert len(times) == 3
    assert all(later - earlier >= 1.0 for earlier, later in pairwise(times)), times
    assert set(story_rows(tmp_path / "swamp.db")) == expected_stories(replica, site)
    assert table(tmp_path / "swamp.db", "errors") == []
    assert archived_statuses(tmp_path / "warc", site.base_url + path) == [429, 429, 200]
    stats = run_stats(tmp_path / "swamp.db")
    assert stats["swampcrawl/retry_after/429"] == 2 and "retry/count" not in stats


def test_a_retry_after_date_is_waited_for(replica, tmp_path):
    path = replica.truth["stories"][1]["path"]
    with LocalSite(upstream=replica.base_url) as site:
        site.route(path, answers(retry_at(2, status=503)))
        crawl_through(site, tmp_path)
        times = site.times(path)
    assert len(times) == 2 and times[1] - times[0] >= 2.0, times
    assert site.base_url + path in story_rows(tmp_path / "swamp.db")


def test_retry_after_is_capped_by_the_setting(replica, tmp_path):
    path = replica.truth["stories"][2]["path"]
    with LocalSite(upstream=replica.base_url) as site:
        site.route(path, answers(too_many("3600")))
        crawl_through(site, tmp_path, "-s", "SWAMPCRAWL_RETRY_AFTER_MAX=1")
        times = site.times(path)
    assert len(times) == 2 and 1.0 <= times[1] - times[0] < 60, times
    assert site.base_url + path in story_rows(tmp_path / "swamp.db")


def test_a_burst_of_503s_across_the_site_loses_no_story(replica, tmp_path):
    """Every page request of the first 2.5 s (robots.txt aside) is answered 503 without
    Retry-After: the crawl holds all its requests (1 s, then 2 s...) and in the end has every
    story."""
    with LocalSite(upstream=replica.base_url) as site:
        window: list[float] = []

        def burst(handler) -> bool:
            if handler.path == "/robots.txt":
                return False
            window[:] = window or [site.log[-1][0]]
            if site.log[-1][0] - window[0] < 2.5:
                too_many(status=503)(handler)
                return True
            return False

        site.before = burst
        crawl_through(site, tmp_path)
        refused = [at for at, path in site.log if path != "/robots.txt" and 0 <= at - window[0] < 2.5]
    assert set(story_rows(tmp_path / "swamp.db")) == expected_stories(replica, site)
    assert table(tmp_path / "swamp.db", "errors") == []
    # The first 503s (the start requests, sent together) hold the host: nothing more is sent
    # for a second.
    later = [at - window[0] for at in refused if at - window[0] > 0.05]
    assert later and all(after >= 1.0 for after in later), later
    stats = run_stats(tmp_path / "swamp.db")
    assert stats["swampcrawl/retry_after/503"] == len(refused)


def test_a_429_past_its_retries_is_an_errors_row_with_its_attempts(replica, tmp_path):
    path = replica.truth["stories"][3]["path"]
    with LocalSite(upstream=replica.base_url) as site:
        site.route(path, too_many("0"))
        crawl_through(site, tmp_path, "-s", "SWAMPCRAWL_RETRY_AFTER_TIMES=2", exit_status=4)
        url = site.base_url + path
    errors = table(tmp_path / "swamp.db", "errors")
    assert [(row["url"], row["kind"], row["reason"], row["attempts"], row["last_status"]) for row in errors] == [
        (url, "story", "HTTP 429", 3, 429)]
    assert archived_statuses(tmp_path / "warc", url) == [429, 429, 429]
    assert url not in story_rows(tmp_path / "swamp.db")


# -- requisites: a retried answer is not an error; the last one is ---------------------------------

def test_a_stylesheet_answering_503_once_leaves_no_error_a_script_failing_always_one(replica, tmp_path):
    used = sorted({urlsplit(url).path for urls in replica.truth["requisites"].values() for url in urls})
    once = next(path for path in used if path.endswith(".css"))
    always = next(path for path in used if path.endswith(".js"))
    with LocalSite(upstream=replica.base_url) as site:
        site.route(once, answers(too_many(status=503)))
        site.route(always, lambda handler: handler.answer(500, b"broken", {"Content-Type": "text/plain"}))
        result = scrapy_crawl("stories", "-s", "SWAMPCRAWL_RETRY_AFTER_MAX=1", base_url=site.base_url, data=tmp_path)
        asked_once, asked_always = len(site.times(once)), len(site.times(always))
    assert result.returncode == 4, result.stderr[-3000:]  # finished, with the stylesheet's error
    assert asked_once == 2 and asked_always == 3  # RETRY_TIMES = 2: three tries
    errors = {urlsplit(row["url"]).path: row for row in table(tmp_path / "swamp.db", "errors")}
    assert once not in errors
    assert errors[always]["reason"] == "HTTP 500" and errors[always]["attempts"] == 3
    assert errors[always]["kind"] == "script"
