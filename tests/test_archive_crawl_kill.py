"""A crawl killed with SIGKILL mid-file: the next crawl seals what it left, losing no complete record."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlite_utils
from warcio.archiveiterator import ArchiveIterator

from archive_support import assert_warcio_valid, warc_files
from replica_process import ReplicaProcess
from crawl_support import ROOT, scrapy_crawl

SCRAPY = Path(sys.executable).parent / "scrapy"
ROLLOVER = "SWAMPCRAWL_WARC_MAX_SIZE=200000"


def complete_record_ids(path: Path) -> list[str]:
    """Ids of the records read whole (Content-Length bytes), up to the first cut or broken one."""
    ids = []
    with open(path, "rb") as stream:
        try:
            for record in ArchiveIterator(stream):
                length = int(record.rec_headers.get_header("Content-Length"))
                head = len(record.http_headers.to_bytes()) if record.http_headers else 0
                if head + len(record.raw_stream.read()) != length:
                    break
                ids.append(record.rec_headers.get_header("WARC-Record-ID"))
        except Exception:  # the member cut by the kill
            pass
    return ids


def all_record_ids(folder: Path) -> set[str]:
    ids = set()
    for path in warc_files(folder):
        with open(path, "rb") as stream:
            ids |= {record.rec_headers.get_header("WARC-Record-ID") for record in ArchiveIterator(stream)}
    return ids


def start_crawl(base_url: str, data: Path) -> subprocess.Popen:
    command = [str(SCRAPY), "crawl", "stories", "-L", "WARNING", "-s", f"SWAMPCRAWL_BASE_URL={base_url}",
               "-s", f"SWAMPCRAWL_DB={data / 'swamp.db'}", "-s", f"SWAMPCRAWL_WARC_DIR={data / 'warc'}", "-s", ROLLOVER]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def kill_mid_file(process: subprocess.Popen, folder: Path, timeout: float = 120) -> None:
    """SIGKILL once a file is complete, another open, and a few seconds have passed."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        assert process.poll() is None, "the crawl ended before it could be killed"
        if warc_files(folder) and list(folder.glob("*.open")) and time.monotonic() - started > 3:
            process.send_signal(signal.SIGKILL)
            process.wait()
            return
        time.sleep(0.05)
    raise AssertionError("no sealed file and open file to kill the crawl between")


def test_a_killed_crawl_is_repaired_and_completed(tmp_path):
    folder = tmp_path / "warc"
    with ReplicaProcess(stories=1500, seed=21) as replica:
        kill_mid_file(start_crawl(replica.base_url, tmp_path), folder)
        [left_open] = list(folder.glob("*.open"))
        copy = tmp_path / "copy-of-open.warc.gz"
        shutil.copyfile(left_open, copy)
        sealed_before = {path.name: complete_record_ids(path) for path in warc_files(folder)}
        complete = complete_record_ids(copy)
        assert complete and os.path.getsize(copy) > 0

        result = scrapy_crawl("stories", "-s", ROLLOVER, base_url=replica.base_url, data=tmp_path, timeout=600)
        assert result.returncode == 0, result.stderr
        truth = replica.truth

    assert not list(folder.glob("*.open"))
    assert_warcio_valid(*warc_files(folder))
    repaired = folder / left_open.name.removesuffix(".open")
    assert complete_record_ids(repaired) == complete  # every complete record kept, in order
    for name, ids in sealed_before.items():
        assert complete_record_ids(folder / name) == ids  # sealed files untouched
    assert set(complete) <= all_record_ids(folder)
    stored = {row["url"] for row in sqlite_utils.Database(tmp_path / "swamp.db")["stories"].rows}
    assert stored == {replica.base_url + story["path"] for story in truth["stories"]}
    copy.unlink()  # not a file of the archive (the autouse checks do not run here, but be tidy)
