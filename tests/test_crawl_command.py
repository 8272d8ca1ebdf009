"""`scrapy crawl` as a user runs it: scrapy.cfg wiring, feeds, exit status and one-line errors."""

from __future__ import annotations

import json
import socket

import pytest
import sqlite_utils
from crawl_support import error_lines, scrapy_crawl
from replica_process import ReplicaProcess

from swampcrawl.lock import CrawlLock


@pytest.fixture(scope="module")
def replica():
    with ReplicaProcess(stories=30, seed=8) as running:
        yield running


def test_scrapy_crawl_fills_the_database_and_writes_a_feed(replica, tmp_path):
    feed = tmp_path / "stories.jsonl"
    result = scrapy_crawl("stories", "-O", str(feed), base_url=replica.base_url, data=tmp_path)
    assert result.returncode == 0, result.stderr
    expected = {replica.base_url + s["path"] for s in replica.truth["stories"]}
    db = sqlite_utils.Database(tmp_path / "swamp.db")
    assert {row["url"] for row in db["stories"].rows} == expected
    items = [json.loads(line) for line in feed.read_text().splitlines()]
    assert {item["url"] for item in items} == expected
    assert all(item["title"] and item["warc_record_id"] for item in items)
    assert list((tmp_path / "warc").glob("*.warc.gz"))


def test_unreachable_base_url_exits_non_zero_with_one_line(tmp_path):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = scrapy_crawl("stories", "-s", "RETRY_TIMES=0", base_url=f"http://127.0.0.1:{port}", data=tmp_path)
    assert result.returncode == 1
    assert error_lines(result) == [f"scrapy crawl: error: could not reach http://127.0.0.1:{port}: [Errno 111] Connection refused"]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "setting, message",
    [
        ("SWAMPCRAWL_BASE_URL=ftp://vocal.media", "SWAMPCRAWL_BASE_URL must be an http(s) URL"),
        ("SWAMPCRAWL_BASE_URL=https://vocal.media/fiction", "SWAMPCRAWL_BASE_URL must name a site"),
        ("SWAMPCRAWL_WARC_MAX_SIZE=big", "SWAMPCRAWL_WARC_MAX_SIZE must be a whole number"),
        ("SWAMPCRAWL_STORE_BATCH=0", "SWAMPCRAWL_STORE_BATCH must be at least 1"),
        # checked by the capture extension's own from_crawler too (test_crawl_records)
        ("SWAMPCRAWL_WARC_GZIP_LEVEL=42", "SWAMPCRAWL_WARC_GZIP_LEVEL must be from 0 to 9, not 42"),
        ("SWAMPCRAWL_WARC_PREFIX=runs/a", "SWAMPCRAWL_WARC_PREFIX must be a file name prefix without '/'"),
    ],
)
def test_malformed_setting_is_one_line_and_exit_2(tmp_path, setting, message):
    # scrapy_crawl puts extra arguments last, and the last -s of a name wins.
    result = scrapy_crawl("stories", "-s", setting, base_url="http://127.0.0.1:9", data=tmp_path)
    assert result.returncode == 2
    lines = error_lines(result)
    assert len(lines) == 1 and lines[0].startswith("scrapy crawl: error: " + message)
    assert not (tmp_path / "swamp.db").exists()


def test_unwritable_database_path_is_one_line_and_exit_2(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the database folder should be")
    result = scrapy_crawl("stories", "-s", f"SWAMPCRAWL_DB={blocker / 'swamp.db'}", base_url="http://127.0.0.1:9", data=tmp_path)
    assert result.returncode == 2
    lines = error_lines(result)
    assert len(lines) == 1 and "SWAMPCRAWL_DB" in lines[0] and "not-a-folder" in lines[0]


def test_bad_community_argument_is_one_line_and_exit_2(tmp_path):
    result = scrapy_crawl("stories", "-a", "community=,", base_url="http://127.0.0.1:9", data=tmp_path)
    assert result.returncode == 2
    assert len(error_lines(result)) == 1 and "-a community" in result.stderr


def test_a_crawl_locked_by_another_exits_2(tmp_path):
    with CrawlLock(tmp_path / "swamp.db"):
        result = scrapy_crawl("stories", base_url="http://127.0.0.1:9", data=tmp_path)
    assert result.returncode == 2
    lines = error_lines(result)
    assert len(lines) == 1 and "locked by another crawl" in lines[0]


def test_unknown_spider_is_one_line(tmp_path):
    result = scrapy_crawl("poems", base_url="http://127.0.0.1:9", data=tmp_path)
    assert result.returncode == 2
    assert error_lines(result) == ["scrapy crawl: error: no spider named 'poems': use stories, creators or communities"]
