"""What real crawls leave in their WARCs, and what `swampcrawl reparse` rebuilds from them.

Two epochs of a replica, each crawled by the three spiders (`scrapy crawl`, as users run
it) into one folder: the WARCs pass warcio, hold whole exchanges (301s and 404s
included) with the replica's own bytes, and reparse to the crawl's database.
"""

from __future__ import annotations

import gzip
import json
import sqlite3
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from archive_support import assert_warcio_valid, read_records, warc_files
from crawl_support import story_mismatches
from replica_process import ReplicaProcess
from archive_support import PYWB_BIN, free_port, replay, rows_by_key, wait_for_port
from crawl_support import scrapy_crawl

SWAMPCRAWL = Path(sys.executable).parent / "swampcrawl"
SPIDERS = ("stories", "creators", "communities")
REVISIT_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"


@dataclass
class History:
    data: Path  # swamp.db and warc/
    replica: ReplicaProcess  # the second epoch's, still serving
    second_started: datetime  # records at or after this moment are the second epoch's

    @property
    def warc(self) -> Path:
        return self.data / "warc"


# A full new snapshot of a site crawled before: every stored story asked for again, whole.
SNAPSHOT = ("-a", "recheck=all", "-s", "SWAMPCRAWL_CONDITIONAL_REQUESTS=False")


def crawl_all(base_url: str, data: Path, spiders: tuple[str, ...] = SPIDERS, *args: str) -> None:
    for spider in spiders:
        extra = args if spider == "stories" else ()
        result = scrapy_crawl(spider, *extra, base_url=base_url, data=data)
        assert result.returncode == 0, result.stderr


def run_reparse(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(SWAMPCRAWL), "reparse", *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """Epoch 1 then epoch 2 (edits, removals, renames) of one site, each crawled by all spiders."""
    data = tmp_path_factory.mktemp("history")
    with ReplicaProcess(stories=40, seed=11, epoch=1) as first:
        crawl_all(first.base_url, data)
        port = urlsplit(first.base_url).port
    with ReplicaProcess(stories=40, seed=11, epoch=2, port=port) as second:
        assert second.truth["redirects"] and second.truth["removed"]
        started = datetime.now(UTC)
        crawl_all(second.base_url, data, SPIDERS, *SNAPSHOT)
        yield History(data, second, started)


def all_records(folder: Path) -> list[tuple[Path, Any]]:
    return [(path, record) for path in warc_files(folder) for record in read_records(path)]


def warc_date(record: Any) -> datetime:
    return datetime.fromisoformat(record.get("WARC-Date").replace("Z", "+00:00"))


# -- the WARC files -------------------------------------------------------------------------


def test_every_warc_passes_warcio_check_and_index(history):
    files = warc_files(history.warc)
    assert len(files) == 6  # one per crawl: none reached the rollover size
    assert_warcio_valid(*files)
    assert not list(history.warc.glob("*.open"))


def test_each_file_starts_with_warcinfo(history):
    for path in warc_files(history.warc):
        first = read_records(path)[0]
        assert first.rec_type == "warcinfo", path.name
        assert b"software: swampcrawl/" in first.raw


def test_every_response_has_its_request_with_the_same_date(history):
    for path in warc_files(history.warc):
        records = read_records(path)
        by_id = {record.get("WARC-Record-ID"): record for record in records}
        answers = [r for r in records if r.rec_type in ("response", "revisit")]
        assert answers, path.name
        for answer in answers:
            request = by_id[answer.get("WARC-Concurrent-To")]
            assert request.rec_type == "request"
            assert request.get("WARC-Date") == answer.get("WARC-Date")
            assert request.get("WARC-Target-URI") == answer.get("WARC-Target-URI")
            assert request.get("WARC-Concurrent-To") == answer.get("WARC-Record-ID")
            assert records.index(request) < records.index(answer)


def test_redirects_and_removals_are_archived(history):
    base, truth = history.replica.base_url, history.replica.truth
    statuses = {(record.get("WARC-Target-URI"), record.http_status.split()[0])
                for _, record in all_records(history.warc) if record.rec_type == "response"}
    for old, new in truth["redirects"].items():
        assert (base + old, "301") in statuses and (base + new, "200") in statuses
    for path in truth["removed"]:
        assert (base + path, "404") in statuses


def test_query_strings_are_kept_in_request_records(history):
    requested = [r.http_status for _, r in all_records(history.warc) if r.rec_type == "request"]
    # warcio splits "GET /latest-stories?page=2 HTTP/1.1" into the method and the rest
    assert any(line.startswith("/") and line.endswith("?page=2 HTTP/1.1") for line in requested)
    targets = [r.get("WARC-Target-URI") for _, r in all_records(history.warc) if r.rec_type == "request"]
    assert any(url.endswith("?page=2") for url in targets)


def test_bodies_are_the_bytes_the_replica_sent(history):
    """The second epoch's responses, fetched again from its replica: same gzip bytes, same encoding."""
    compared = 0
    for _, record in all_records(history.warc):
        if record.rec_type != "response" or warc_date(record) < history.second_started:
            continue
        if not record.http_status.startswith("200 "):
            continue
        headers = {key.lower(): value for key, value in record.http_headers}
        if not headers.get("content-type", "").startswith("text/html"):
            continue
        sent = fetch_raw(record.get("WARC-Target-URI"))
        assert record.raw == sent, record.get("WARC-Target-URI")  # read_records: the body as stored
        assert headers.get("content-encoding") == "gzip"
        assert int(headers["content-length"]) == len(sent)
        compared += 1
    assert compared > 50


def fetch_raw(url: str) -> bytes:
    """The body as sent (urllib does not decode gzip)."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip, deflate"})
    with urllib.request.urlopen(request, timeout=20) as response:
        return response.read()


# -- reparse gives the crawl's database --------------------------------------------------------

# Columns that may differ between the crawl's database and reparse's, and why. Every other
# column of every table must be equal.
EXCLUDED = {
    # SQLite numbers captures in insertion order; rows are matched by warc_record_id instead.
    ("captures", "id"): "row number",
    # Each database points at its own crawl_runs rows (six crawls; one reparse run).
    ("captures", "run_id"): "own runs",
    # The stories spider fetches community pages without extracting them (it only follows
    # their links); reparse extracts every capture, so it first sees a community earlier.
    # Checked below: reparse's is the earlier one.
    ("communities", "first_seen_at"): "earlier in reparse",
    # errors rows are numbered by SQLite and point at their own runs, as captures do.
    ("errors", "id"): "row number",
    ("errors", "run_id"): "own runs",
    # When a migration ran.
    ("schema_migrations", "applied_at"): "when created",
}
# crawl_runs is the bookkeeping of the processes that wrote the database, not of the site.
SKIPPED_TABLES = {"crawl_runs", "sqlite_sequence"}


def plain_tables(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        names = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE '%VIRTUAL%'")]
    return sorted(n for n in names if n not in SKIPPED_TABLES and not n.startswith("stories_fts"))


def table_differences(crawled: Path, rebuilt: Path, table: str) -> list[tuple]:
    ours, theirs = rows_by_key(crawled, table), rows_by_key(rebuilt, table)
    differences: list[tuple] = [(table, key, "only in the crawl") for key in ours.keys() - theirs.keys()]
    differences += [(table, key, "only in reparse") for key in theirs.keys() - ours.keys()]
    for key in ours.keys() & theirs.keys():
        for column, value in ours[key].items():
            if (table, column) not in EXCLUDED and theirs[key][column] != value:
                differences.append((table, key, column, value, theirs[key][column]))
    return differences


def fts_matches(db: Path, word: str) -> list[str]:
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO stories_fts (stories_fts) VALUES ('integrity-check')")
        query = "SELECT s.url FROM stories_fts JOIN stories s ON s.rowid = stories_fts.rowid WHERE stories_fts MATCH ?"
        return sorted(row[0] for row in conn.execute(query, [word]))


def test_reparse_gives_the_crawls_database(history, tmp_path):
    crawled, rebuilt = history.data / "swamp.db", tmp_path / "rebuilt.db"
    result = run_reparse(str(history.warc), "--db", str(rebuilt), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["errors"] == [] and summary["unresolved"] == 0 and summary["files"] == 6
    assert plain_tables(rebuilt) == plain_tables(crawled)
    differences = [d for table in plain_tables(crawled) for d in table_differences(crawled, rebuilt, table)]
    assert differences == []
    assert_excluded_columns_are_close(crawled, rebuilt)
    word = history.replica.truth["stories"][0]["title"].split()[0]
    assert fts_matches(rebuilt, word) == fts_matches(crawled, word) != []


def assert_excluded_columns_are_close(crawled: Path, rebuilt: Path) -> None:
    ours, theirs = rows_by_key(crawled, "communities"), rows_by_key(rebuilt, "communities")
    assert all(theirs[k]["first_seen_at"] <= ours[k]["first_seen_at"] for k in ours if ours[k]["first_seen_at"])
    ours, theirs = rows_by_key(crawled, "stories"), rows_by_key(rebuilt, "stories")
    # Removals happened (and, compared above, at the same WARC-Dates in both).
    assert [k for k in ours if ours[k]["removed_at"]]


def test_reparse_of_the_files_in_any_order_gives_the_same_stories(history, tmp_path):
    """Newest capture wins whatever the order of the inputs: files given newest first."""
    forward, backward = tmp_path / "forward.db", tmp_path / "backward.db"
    files = [str(p) for p in warc_files(history.warc)]
    assert run_reparse(*files, "--db", str(forward)).returncode == 0
    assert run_reparse(*reversed(files), "--db", str(backward)).returncode == 0
    for table in ("stories", "story_versions", "story_tags", "creators", "communities", "creator_stories"):
        assert rows_by_key(backward, table) == rows_by_key(forward, table), table
    counts = Counter(row["kind"] for row in rows_by_key(forward, "captures").values())
    assert counts["story"] and counts["creator"] and counts["community"] and counts["listing"]


# -- a second crawl of an unchanged site: revisits ------------------------------------------------


@dataclass
class Repeated:
    data: Path
    truth: dict[str, Any]
    base_url: str
    second_started: datetime


@pytest.fixture(scope="module")
def repeated(tmp_path_factory):
    """The stories spider twice over the same site (replica restarted on the same port)."""
    data = tmp_path_factory.mktemp("repeated")
    with ReplicaProcess(stories=30, seed=12) as first:
        crawl_all(first.base_url, data, ("stories",))
        port = urlsplit(first.base_url).port
    # WARC-Dates have whole seconds: let the second run start in a later second than the
    # first one ended, so "before/after the second run" and first_seen < last_seen are exact.
    time.sleep(1.1)
    with ReplicaProcess(stories=30, seed=12, port=port) as second:
        started = datetime.now(UTC).replace(microsecond=0)
        crawl_all(second.base_url, data, ("stories",), *SNAPSHOT)
        return Repeated(data, second.truth, second.base_url, started)


def test_unchanged_pages_are_revisits_of_the_first_crawl(repeated):
    records = [record for _, record in all_records(repeated.data / "warc")]
    first = {r.get("WARC-Payload-Digest"): r for r in records
             if r.rec_type == "response" and warc_date(r) < repeated.second_started}
    later = [r for r in records if r.rec_type in ("response", "revisit") and warc_date(r) >= repeated.second_started]
    stories = {repeated.base_url + s["path"] for s in repeated.truth["stories"]}
    revisited = set()
    for record in later:
        original = first.get(record.get("WARC-Payload-Digest"))
        if original is None or not record.http_status.startswith("200 "):
            continue
        assert record.rec_type == "revisit", record.get("WARC-Target-URI")  # no second full copy
        assert record.get("WARC-Profile") == REVISIT_PROFILE
        assert record.get("WARC-Refers-To-Target-URI") == original.get("WARC-Target-URI")
        assert record.get("WARC-Refers-To-Date") == original.get("WARC-Date")
        assert not record.raw  # headers only
        revisited.add(record.get("WARC-Target-URI"))
    assert stories <= revisited


def test_reparse_of_both_runs_gives_the_stories(repeated, tmp_path):
    rebuilt = tmp_path / "rebuilt.db"
    result = run_reparse(str(repeated.data / "warc"), "--db", str(rebuilt), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["unresolved"] == 0
    rows = rows_by_key(rebuilt, "stories")
    tags = Counter((row["story_url"], row["tag_slug"]) for row in rows_by_key(rebuilt, "story_tags").values())
    assert {key[0] for key in rows} == {repeated.base_url + s["path"] for s in repeated.truth["stories"]}
    revisits = {r.get("WARC-Record-ID") for _, r in all_records(repeated.data / "warc") if r.rec_type == "revisit"}
    for story in repeated.truth["stories"]:
        row = rows[(repeated.base_url + story["path"],)]
        assert story_mismatches(story, row, tags) == []
        assert row["warc_record_id"] in revisits  # the newest capture, the second run's revisit
        assert row["first_seen_at"] < row["last_seen_at"]  # seen in the first run, last in the second
    assert len(rows_by_key(rebuilt, "story_versions")) == len(rows)  # same content: one version each


# -- replay and packaging -----------------------------------------------------------------------


def test_pywb_replays_a_crawled_story_with_its_original_bytes(history, tmp_path):
    story = history.replica.truth["stories"][0]
    url = history.replica.base_url + story["path"]
    [original] = [r for _, r in all_records(history.warc)
                  if r.rec_type == "response" and r.get("WARC-Target-URI") == url and warc_date(r) >= history.second_started]
    (tmp_path / "config.yaml").write_text(
        f"collections:\n  vocal:\n    index_paths: {history.warc / 'index.cdxj'}\n    archive_paths: {history.warc}/\n"
    )
    port = free_port()
    process = subprocess.Popen([str(PYWB_BIN / "wayback"), "-p", str(port), "-b", "127.0.0.1"], cwd=tmp_path,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        timestamp = warc_date(original).strftime("%Y%m%d%H%M%S")
        status, body = replay(f"http://127.0.0.1:{port}/vocal", timestamp, url)
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert status == 200 and body == gzip.decompress(original.raw)
    assert story["title"].encode() in body or story["title"].replace("&", "&amp;").encode() in body


def test_wacz_of_a_crawl_validates_and_lists_its_pages(history, tmp_path):
    wacz = tmp_path / "vocal.wacz"
    made = subprocess.run([str(SWAMPCRAWL), "wacz", str(history.warc), "-o", str(wacz)], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    check = subprocess.run([str(SWAMPCRAWL.parent / "wacz"), "validate", "-f", str(wacz)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    with zipfile.ZipFile(wacz) as archive:
        lines = archive.read("pages/pages.jsonl").decode().splitlines()
    pages = {page["url"]: page for page in map(json.loads, lines[1:])}
    base, truth = history.replica.base_url, history.replica.truth
    for path in [truth["stories"][0]["path"], truth["creators"][0]["path"], truth["communities"][0]["path"]]:
        assert pages[base + path]["title"], path
    assert pages[base + truth["stories"][0]["path"]]["title"].startswith(truth["stories"][0]["title"][:20])
