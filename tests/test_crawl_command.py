"""`scrapy crawl` as a user runs it: scrapy.cfg wiring, feeds, exit status and one-line errors."""

from __future__ import annotations

import csv
import json
import socket
import subprocess

import pytest
import sqlite_utils
from crawl_support import ROOT, error_lines, scrapy_command, scrapy_crawl
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


def test_a_crawl_locked_by_another_exits_3(tmp_path):
    with CrawlLock(tmp_path / "swamp.db"):
        result = scrapy_crawl("stories", base_url="http://127.0.0.1:9", data=tmp_path)
    assert result.returncode == 3
    lines = error_lines(result)
    assert len(lines) == 1 and "locked by another crawl" in lines[0] and "database" in lines[0]


def test_a_warc_folder_locked_by_another_crawl_exits_3(tmp_path):
    """Another crawl writing the same WARC folder, into another database, is refused too."""
    (tmp_path / "warc").mkdir()
    with CrawlLock.for_folder(tmp_path / "warc"):
        result = scrapy_crawl("stories", base_url="http://127.0.0.1:9", data=tmp_path)
    assert result.returncode == 3
    lines = error_lines(result)
    assert len(lines) == 1 and "WARC folder" in lines[0] and "locked by another crawl" in lines[0]


def test_unknown_spider_is_one_line(tmp_path):
    result = scrapy_crawl("poems", base_url="http://127.0.0.1:9", data=tmp_path)
    assert result.returncode == 2
    assert error_lines(result) == ["scrapy crawl: error: no spider named 'poems': use stories, creators or communities"]


# -- feeds hold the database's values ---------------------------------------------------------------


def database_story_values(db_path) -> dict[str, dict]:
    """Per story URL: its tags (slugs in page order) and times, as the database holds them."""
    db = sqlite_utils.Database(db_path)
    stories = {row["url"]: row for row in db["stories"].rows}
    tags: dict[str, list[str]] = {url: [] for url in stories}
    for link in db.query("SELECT story_url, tag_slug FROM story_tags ORDER BY story_url, position"):
        tags[link["story_url"]].append(link["tag_slug"])
    return {url: {"tags": tags[url], "published_at": row["published_at"], "captured_at": row["captured_at"],
                  "updated_at": row["updated_at"]} for url, row in stories.items()}


def test_csv_and_jsonl_feeds_hold_the_databases_values(replica, tmp_path):
    csv_feed, jsonl_feed = tmp_path / "stories.csv", tmp_path / "stories.jsonl"
    result = scrapy_crawl("stories", "-O", str(csv_feed), "-O", str(jsonl_feed), base_url=replica.base_url, data=tmp_path)
    assert result.returncode == 0, result.stderr
    stored = database_story_values(tmp_path / "swamp.db")
    assert any(values["tags"] for values in stored.values())
    with open(csv_feed, newline="", encoding="utf-8") as handle:
        rows = {row["url"]: row for row in csv.DictReader(handle)}
    items = {item["url"]: item for item in map(json.loads, jsonl_feed.read_text().splitlines())}
    assert rows.keys() == items.keys() == stored.keys()
    for url, values in stored.items():
        assert rows[url]["tags"] == ",".join(values["tags"])  # slugs, not Tag(slug=...) reprs
        assert items[url]["tags"] == values["tags"]
        for column in ("published_at", "captured_at", "updated_at"):
            assert items[url][column] == values[column]  # 2026-11-24T09:30:00Z, not +00:00
            assert rows[url][column] == (values[column] or "")


# -- scrapy shell and scrapy parse are no crawls ---------------------------------------------------------


def test_scrapy_parse_archives_and_stores_nothing(replica, tmp_path):
    story = replica.base_url + replica.truth["stories"][0]["path"]
    command = scrapy_command("stories", "--callback", "route", base_url=replica.base_url, data=tmp_path, command="parse")
    command[2] = story  # scrapy parse URL --spider stories
    command[3:3] = ["--spider", "stories"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert replica.truth["stories"][0]["title"] in result.stdout
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "swamp.db").exists() and not list(tmp_path.glob("warc/*.warc.gz*"))


def test_scrapy_shell_archives_and_stores_nothing(replica, tmp_path):
    story = replica.base_url + replica.truth["stories"][0]["path"]
    command = scrapy_command("stories", "-c", "(response.status, len(response.body) > 0)", base_url=replica.base_url,
                             data=tmp_path, command="shell")
    command[2] = story
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "(200, True)"
    assert "Traceback" not in result.stderr and "ERROR" not in result.stderr
    assert not (tmp_path / "swamp.db").exists() and not list(tmp_path.glob("warc/*.warc.gz*"))
