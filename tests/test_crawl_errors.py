"""Bad input to `scrapy crawl` is one readable line and a non-zero exit, never a traceback,
and a database that cannot be used is left exactly as it was.

Real `scrapy crawl` subprocesses against the replica; the read-only and full disks are small
tmpfs mounts (the tests run as root, as CI does).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest
from crawl_support import error_lines, scrapy_crawl, small_disk, table
from replica_process import ReplicaProcess


@pytest.fixture(scope="module")
def replica():
    with ReplicaProcess(stories=60, seed=23) as running:
        yield running


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("setting, message", [
    ("DOWNLOAD_DELAY=abc", "DOWNLOAD_DELAY must be a number, not 'abc'"),
    ("DOWNLOAD_TIMEOUT=0", "DOWNLOAD_TIMEOUT must be more than 0, not '0'"),
    ("CONCURRENT_REQUESTS=many", "CONCURRENT_REQUESTS must be a whole number, not 'many'"),
    ("CONCURRENT_REQUESTS_PER_DOMAIN=0", "CONCURRENT_REQUESTS_PER_DOMAIN must be at least 1, not '0'"),
    ("RETRY_TIMES=-1", "RETRY_TIMES must be at least 0, not '-1'"),
    ("DOWNLOAD_MAXSIZE=1MB", "DOWNLOAD_MAXSIZE must be a whole number, not '1MB'"),
    ("CLOSESPIDER_PAGECOUNT=ten", "CLOSESPIDER_PAGECOUNT must be a whole number, not 'ten'"),
    ("AUTOTHROTTLE_START_DELAY=soon", "AUTOTHROTTLE_START_DELAY must be a number, not 'soon'"),
    ("ROBOTSTXT_OBEY=maybe", "ROBOTSTXT_OBEY must be True or False, not 'maybe'"),
])  # fmt: skip
def test_a_bad_scrapy_setting_is_one_line_and_exit_2(replica, tmp_path, setting, message):
    result = scrapy_crawl("stories", "-s", setting, base_url=replica.base_url, data=tmp_path)
    assert result.returncode == 2
    assert error_lines(result) == [f"scrapy crawl: error: {message}"]
    assert not (tmp_path / "swamp.db").exists() and not list(tmp_path.glob("warc/*.warc.gz*"))


def test_a_bad_log_level_is_one_line_and_exit_2(replica, tmp_path):
    """Scrapy sets up logging before any command runs: a bad level is caught before that."""
    result = scrapy_crawl("stories", "-L", "LOUD", base_url=replica.base_url, data=tmp_path)
    message = "LOG_LEVEL must be one of CRITICAL, ERROR, WARNING, INFO, DEBUG, not 'LOUD'"
    assert result.returncode == 2
    assert error_lines(result) == [f"scrapy crawl: error: {message}"]
    assert not (tmp_path / "swamp.db").exists() and not list(tmp_path.glob("warc/*.warc.gz*"))


def test_a_file_that_is_not_a_database_is_one_line_and_left_alone(replica, tmp_path):
    db = tmp_path / "swamp.db"
    db.write_bytes(os.urandom(8192))
    before = digest(db)
    result = scrapy_crawl("stories", base_url=replica.base_url, data=tmp_path)
    assert result.returncode == 1
    assert error_lines(result) == [f"scrapy crawl: error: cannot open the database {db}: file is not a database"]
    assert digest(db) == before and not list(tmp_path.glob("warc/*.warc.gz*"))


def test_a_damaged_database_is_one_line_and_left_alone(replica, tmp_path):
    first = scrapy_crawl("stories", "-s", "CLOSESPIDER_ITEMCOUNT=20", base_url=replica.base_url, data=tmp_path)
    assert first.returncode == 0, first.stderr
    db = tmp_path / "swamp.db"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    with db.open("r+b") as handle:  # garbage over the last third of the pages, header kept
        handle.seek(page_size * (pages * 2 // 3))
        handle.write(b"\xa5" * page_size * (pages // 3))
    before = digest(db)
    result = scrapy_crawl("stories", base_url=replica.base_url, data=tmp_path)
    assert result.returncode == 1
    [line] = error_lines(result)
    assert line.startswith("scrapy crawl: error: ") and str(db) in line
    assert "damaged" in line or "malformed" in line, line
    assert digest(db) == before


@pytest.fixture
def small_mount(tmp_path):
    """A tmpfs of 1 MB at tmp_path/disk."""
    with small_disk(tmp_path / "disk", "1m") as folder:
        yield folder


def test_a_read_only_database_is_one_line_and_left_alone(replica, tmp_path, small_mount):
    first = scrapy_crawl("stories", "-s", "CLOSESPIDER_ITEMCOUNT=5", "-s", f"SWAMPCRAWL_DB={small_mount / 'swamp.db'}",
                         base_url=replica.base_url, data=tmp_path)
    assert first.returncode == 0, first.stderr
    before = {path.name: digest(path) for path in small_mount.iterdir()}
    remount = subprocess.run(["mount", "-o", "remount,ro", str(small_mount)], capture_output=True, text=True)
    assert remount.returncode == 0, remount.stderr
    result = scrapy_crawl("stories", "-s", f"SWAMPCRAWL_DB={small_mount / 'swamp.db'}",
                          base_url=replica.base_url, data=tmp_path)
    assert result.returncode in (1, 2)
    [line] = error_lines(result)
    assert line.startswith("scrapy crawl: error: ") and str(small_mount) in line, line
    assert {path.name: digest(path) for path in small_mount.iterdir()} == before


def test_a_database_disk_that_fills_stops_the_crawl_and_the_next_run_finishes(replica, tmp_path, small_mount):
    """The database fills its 1 MB disk mid-crawl: the run stops with exit 1 and one error line,
    the database is not corrupted, and a run with room stores every story of the site."""
    db = small_mount / "swamp.db"
    full = scrapy_crawl("stories", "-s", f"SWAMPCRAWL_DB={db}", "-s", "SWAMPCRAWL_STORE_BATCH=20",
                        base_url=replica.base_url, data=tmp_path)
    assert full.returncode == 1, full.stderr[-3000:]
    assert "Traceback" not in full.stderr
    assert "stories failed in" in full.stdout
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored_before = conn.execute("SELECT count(*) FROM stories").fetchone()[0]
    assert stored_before < len(replica.truth["stories"])
    moved = tmp_path / "room"
    moved.mkdir()
    for path in small_mount.iterdir():
        (moved / path.name).write_bytes(path.read_bytes())
    again = scrapy_crawl("stories", "-s", f"SWAMPCRAWL_DB={moved / 'swamp.db'}", base_url=replica.base_url, data=tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    stored = {row["url"].split("/", 3)[3] for row in table(moved / "swamp.db", "stories")}
    assert stored == {story["path"].lstrip("/") for story in replica.truth["stories"]}
