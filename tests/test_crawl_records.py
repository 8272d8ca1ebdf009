"""What a crawl records about itself: captures rows checked against the replica's request log
and the WARC bytes (read with warcio), and crawl_runs rows that say how each run ended."""

from __future__ import annotations

import gzip
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import pytest_twisted
from crawl_support import ROOT, crawl, error_lines, scrapy_command, scrapy_crawl, small_disk, table
from replica_process import ReplicaProcess
from warcio.archiveiterator import ArchiveIterator


@pytest.fixture(scope="module")
def two_epochs(tmp_path_factory):
    """A crawl of epoch 1, then of epoch 2 (edits, removals, renames) into the same folder;
    returns (data folder, epoch-2 replica truth, epoch-2 request log, base URL)."""
    data = tmp_path_factory.mktemp("epochs")
    with ReplicaProcess(stories=50, seed=6, epoch=1) as first:
        pytest_twisted.blockon(crawl("stories", first.base_url, data))
        port = urlsplit(first.base_url).port
    time.sleep(1.1)  # WARC-Dates have whole seconds: the second run's are later
    with ReplicaProcess(stories=50, seed=6, epoch=2, port=port) as second:
        pytest_twisted.blockon(crawl("stories", second.base_url, data, spargs={"recheck": "all"}))
        return data, second.truth, second.requests(), second.base_url


def warc_record(data: Path, filename: str, offset: int, length: int):
    """The record at (file, offset) read with warcio, and the raw bytes of its length."""
    path = data / "warc" / filename
    with open(path, "rb") as stream:
        stream.seek(offset)
        raw = stream.read(length)
        following = stream.read(2)
        stream.seek(offset)
        record = next(iter(ArchiveIterator(stream)))
        record.content_stream().read()
    return record, raw, following


def expected_page_kind(path: str, truth: dict) -> str | None:
    """The page kind of a path by the replica's own account of what it serves (None: a listing)."""
    stories = {s["path"] for s in truth["stories"]} | set(truth["removed"]) | set(truth["redirects"])
    if path in stories:
        return "resources_story" if path.startswith("/resources/") else "story"
    if path in {c["path"] for c in truth["creators"]}:
        return "creator"
    if path in {c["path"] for c in truth["communities"]}:
        return "community"
    if path in ("/robots.txt", "/"):  # the home page mixes every kind of card: no listing of its own
        return "other"
    return None


def expected_requisite_kind(url: str, truth: dict) -> str | None:
    """The kind of an asset the replica serves, by the file it is (None: no asset)."""
    if url not in set(truth["assets"]):
        return None
    path = urlsplit(url).path
    if path.endswith(".css"):
        return "stylesheet"
    if path.endswith(".js"):
        return "script"
    return "font" if path.endswith(".woff2") else "image"


def test_captures_match_the_request_log_and_the_warc(two_epochs):
    data, truth, requests, base = two_epochs
    runs = table(data / "swamp.db", "crawl_runs")
    assert [run["status"] for run in runs] == ["finished", "finished"]
    second = [row for row in table(data / "swamp.db", "captures") if row["run_id"] == runs[1]["id"]]

    # one captures row per request the servers (site and image host) answered, with its status
    served = Counter((f"http://{r['host']}{r['path']}" + (f"?{r['query']}" if r["query"] else ""), r["status"])
                     for r in requests)
    captured = Counter((row["url"], row["status"]) for row in second)
    assert captured == served

    for row in second:
        path = urlsplit(row["url"]).path
        expected = expected_page_kind(path, truth) if row["url"].startswith(base) else "other"
        if expected_requisite_kind(row["url"], truth):
            assert (row["kind"], row["page_kind"]) == ("requisite", expected_requisite_kind(row["url"], truth)), row
        elif expected is None:
            assert row["kind"] == "listing" and row["page_kind"].endswith("_listing"), row
        else:
            assert row["page_kind"] == expected, row
            assert row["kind"] == {"resources_story": "story"}.get(expected, expected)
        record, raw, following = warc_record(data, row["warc_filename"], row["warc_offset"], row["warc_length"])
        # warc_length is the whole gzip member of the record, and no more
        assert gzip.decompress(raw).startswith(b"WARC/1.1\r\n") and following in (b"", b"\x1f\x8b")
        assert record.rec_headers.get_header("WARC-Record-ID") == row["warc_record_id"]
        assert record.rec_headers.get_header("WARC-Target-URI") == row["url"]
        assert row["revisit"] == int(record.rec_type == "revisit")
        assert row["content_type"] == record.http_headers.get_header("Content-Type")
        location = record.http_headers.get_header("Location")
        assert row["location"] == (base + truth["redirects"][path] if row["status"] == 301 else None)
        if row["status"] == 301:
            assert location and location.endswith(truth["redirects"][path])
    assert {row["status"] for row in second} >= {200, 301, 404}
    # the replica's pages state their word counts, reading times and dates: nothing derived
    stories = table(data / "swamp.db", "stories")
    assert stories and all(row["derived"] == "[]" for row in stories)
    # payloads the first run archived (both hosts' robots.txt) are revisits in the second; its
    # requisites, archived then, are not fetched again
    assert sorted(row["url"] for row in second if row["revisit"]) == sorted(
        [base + "/robots.txt", truth["image_base"] + "/robots.txt"])
    assert all(row["content_type"].startswith("text/html") for row in second if row["kind"] == "story" and row["status"] == 200)


# -- how a run ended -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def replica():
    with ReplicaProcess(stories=120, seed=11) as running:
        yield running


def runs(data: Path) -> list[dict]:
    return table(data / "swamp.db", "crawl_runs")


def test_a_finished_crawl_is_finished_and_exits_0(replica, tmp_path):
    result = scrapy_crawl("communities", base_url=replica.base_url, data=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [run["status"] for run in runs(tmp_path)] == ["finished"]
    assert "swampcrawl: communities finished in" in result.stdout


def test_a_page_limit_is_recorded_as_such_and_exits_0(replica, tmp_path):
    result = scrapy_crawl("stories", "-s", "CLOSESPIDER_PAGECOUNT=5", base_url=replica.base_url, data=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [run["status"] for run in runs(tmp_path)] == ["closespider_pagecount"]
    assert "stories closespider_pagecount in" in result.stdout


def slow_crawl(replica, data: Path) -> subprocess.Popen:
    """A crawl one request at a time, a fifth of a second apart: slow enough to interrupt."""
    command = scrapy_command("stories", "-s", "DOWNLOAD_DELAY=0.2", "-s", "CONCURRENT_REQUESTS=1",
                             "-s", "SWAMPCRAWL_STORE_BATCH=1", base_url=replica.base_url, data=data)
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_captures(data: Path, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with sqlite3.connect(data / "swamp.db") as db:
                if db.execute("SELECT count(*) FROM captures").fetchone()[0] >= count:
                    return
        except sqlite3.Error:
            pass  # not created yet
        time.sleep(0.1)
    raise TimeoutError("the crawl stored no captures")


def test_ctrl_c_is_shutdown_and_exits_130(replica, tmp_path):
    process = slow_crawl(replica, tmp_path)
    wait_for_captures(tmp_path, 5)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    [run] = runs(tmp_path)
    assert run["status"] == "shutdown" and run["finished_at"]
    assert "stories shutdown in" in out


def test_a_killed_run_is_marked_killed_by_the_next(replica, tmp_path):
    process = slow_crawl(replica, tmp_path)
    wait_for_captures(tmp_path, 5)
    process.kill()
    process.communicate(timeout=30)
    assert [run["status"] for run in runs(tmp_path)] == ["running"]
    result = scrapy_crawl("communities", base_url=replica.base_url, data=tmp_path)
    assert result.returncode == 0, result.stderr
    killed, finished = runs(tmp_path)
    assert (killed["status"], finished["status"]) == ("killed", "finished")
    last_capture = max(row["captured_at"] for row in table(tmp_path / "swamp.db", "captures") if row["run_id"] == killed["id"])
    assert killed["finished_at"] == last_capture


def test_a_database_that_refuses_writes_fails_the_run_and_exits_1(replica, tmp_path):
    # The first crawl creates the schema; then SQLite is made to refuse every new capture.
    assert scrapy_crawl("communities", base_url=replica.base_url, data=tmp_path).returncode == 0
    with sqlite3.connect(tmp_path / "swamp.db") as db:
        db.execute("CREATE TRIGGER refuse BEFORE INSERT ON captures BEGIN SELECT RAISE(ABORT, 'refused by test'); END")
    result = scrapy_crawl("stories", base_url=replica.base_url, data=tmp_path)
    assert result.returncode == 1
    assert runs(tmp_path)[-1]["status"] == "failed"
    assert "refused by test" in result.stderr and "stories failed in" in result.stdout


@pytest.fixture
def tiny_disk(tmp_path):
    """A 512 KB tmpfs: a WARC folder that fills up mid-crawl."""
    with small_disk(tmp_path / "tiny", "512k") as folder:
        yield folder


def test_a_full_archive_disk_fails_the_run_and_exits_1(replica, tmp_path, tiny_disk):
    result = scrapy_crawl("stories", "-s", f"SWAMPCRAWL_WARC_DIR={tiny_disk}", base_url=replica.base_url, data=tmp_path)
    assert result.returncode == 1, result.stderr
    [run] = runs(tmp_path)
    assert run["status"] == "failed" and run["finished_at"]
    assert "No space left on device" in result.stderr and "stopping the crawl" in result.stderr
    assert "stories failed in" in result.stdout
    # every captures row points at a record that is in the archive
    rows = table(tmp_path / "swamp.db", "captures")
    assert rows and all((tiny_disk / row["warc_filename"]).exists() for row in rows), (sorted(p.name for p in tiny_disk.iterdir()), [line for line in result.stderr.splitlines() if "rror" in line])
    # and every story stored names its record in the archive: none was stored unarchived
    stories = table(tmp_path / "swamp.db", "stories")
    assert stories and all(row["warc_filename"] and row["warc_record_id"] for row in stories)
    archived = {row["warc_record_id"] for row in rows}
    assert {row["warc_record_id"] for row in stories} <= archived


# -- components check their own settings -----------------------------------------------------------


@pytest.mark.parametrize("setting, message", [
    ("SWAMPCRAWL_WARC_GZIP_LEVEL=42", "SWAMPCRAWL_WARC_GZIP_LEVEL must be from 0 to 9, not 42"),
    ("SWAMPCRAWL_WARC_PREFIX=../up", "SWAMPCRAWL_WARC_PREFIX must be a file name prefix without '/'"),
])
def test_the_capture_extension_refuses_bad_settings_in_from_crawler(replica, tmp_path, setting, message):
    """Run through Scrapy's own CrawlerProcess (not `scrapy crawl`'s checks): the extension's
    from_crawler stops the crawl before anything is fetched or archived."""
    name, value = setting.split("=")
    script = (
        "import sys\n"
        "from scrapy.crawler import CrawlerProcess\n"
        "from scrapy.utils.project import get_project_settings\n"
        "settings = get_project_settings()\n"
        f"settings.setdict({{'SWAMPCRAWL_BASE_URL': {replica.base_url!r}, 'SWAMPCRAWL_DB': {str(tmp_path / 'swamp.db')!r},\n"
        f"  'SWAMPCRAWL_WARC_DIR': {str(tmp_path / 'warc')!r}, {name!r}: {value!r}, 'LOG_LEVEL': 'CRITICAL'}}, priority='cmdline')\n"
        "process = CrawlerProcess(settings)\n"
        "errors = []\n"
        "process.crawl('communities').addErrback(lambda failure: errors.append(str(failure.value)))\n"
        "process.start()\n"
        "print(errors)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert message in result.stdout, result.stderr[-2000:]
    assert not list((tmp_path / "warc").glob("*.warc.gz*"))


def test_scrapy_crawl_reports_a_refused_setting_in_one_line(replica, tmp_path):
    result = scrapy_crawl("stories", "-s", "SWAMPCRAWL_WARC_GZIP_LEVEL=42", base_url=replica.base_url, data=tmp_path)
    assert result.returncode == 2
    assert error_lines(result) == ["scrapy crawl: error: SWAMPCRAWL_WARC_GZIP_LEVEL must be from 0 to 9, not 42"]
