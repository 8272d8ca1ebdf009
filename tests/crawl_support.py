"""Running the project's spiders in-process against a replica, and reading what they left."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from pathlib import Path
from collections import Counter
from typing import Any, Iterator

import sqlite_utils
from scrapy.crawler import AsyncCrawlerRunner
from scrapy.settings import Settings
from scrapy.utils.defer import deferred_from_coro


def crawl_settings(base_url: str, data: Path, **overrides: Any) -> Settings:
    settings = Settings()
    settings.setmodule("swampcrawl.settings", priority="project")
    settings.setdict(
        {
            "SWAMPCRAWL_BASE_URL": base_url,
            "SWAMPCRAWL_DB": str(data / "swamp.db"),
            "SWAMPCRAWL_WARC_DIR": str(data / "warc"),
            "LOG_LEVEL": "WARNING",
            **overrides,
        },
        priority="cmdline",
    )
    return settings


async def run_crawl(spider: str, base_url: str, data: Path, spargs: dict[str, str] | None = None, **overrides: Any) -> dict[str, Any]:
    """Crawl in this process (the reactor is pytest-twisted's); return Scrapy's stats."""
    runner = AsyncCrawlerRunner(crawl_settings(base_url, data, **overrides))
    crawler = runner.create_crawler(spider)
    await crawler.crawl_async(**(spargs or {}))
    return crawler.stats.get_stats()


def table(db_path: Path, name: str) -> list[dict[str, Any]]:
    return list(sqlite_utils.Database(db_path)[name].rows)


def story_rows(db_path: Path) -> dict[str, dict[str, Any]]:
    return {row["url"]: row for row in table(db_path, "stories")}


def load_truth(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def story_mismatches(story: dict[str, Any], row: dict[str, Any], tags: Counter) -> list[tuple]:
    """Fields of a ground-truth story that its row does not hold (every field is compared)."""
    found = []
    for field, value in story.items():
        if field == "path":
            continue
        if field == "tags":
            got, value = sorted(slug for (url, slug) in tags if url == row["url"]), sorted(t["slug"] for t in value)
        else:
            got, value = row[field], int(value) if isinstance(value, bool) else value
        if got != value:
            found.append((story["path"], field, value, got))
    return found


def crawl(spider: str, base_url: str, data: Path, spargs: dict[str, str] | None = None, **overrides: Any):
    """A Deferred of an in-process crawl's stats.

    Tests that crawl are ``@pytest_twisted.inlineCallbacks`` generators and
    ``stats = yield crawl(...)``: pytest-twisted runs them in its reactor, and
    the crawl runs as an asyncio task, as Scrapy's coroutines expect.
    """
    return deferred_from_coro(run_crawl(spider, base_url, data, spargs, **overrides))


ROOT = Path(__file__).resolve().parent.parent
SCRAPY = Path(sys.executable).parent / "scrapy"


def scrapy_command(spider: str, *args: str, base_url: str, data: Path, command: str = "crawl") -> list[str]:
    """``scrapy crawl SPIDER`` as a user types it, into ``data`` (extra arguments last: the
    last ``-s`` of a name wins)."""
    return [
        str(SCRAPY), command, spider, "-L", "WARNING",
        "-s", f"SWAMPCRAWL_BASE_URL={base_url}",
        "-s", f"SWAMPCRAWL_DB={data / 'swamp.db'}",
        "-s", f"SWAMPCRAWL_WARC_DIR={data / 'warc'}",
        *args,
    ]  # fmt: skip


def scrapy_crawl(spider: str, *args: str, base_url: str, data: Path, timeout: int = 240) -> subprocess.CompletedProcess:
    command = scrapy_command(spider, *args, base_url=base_url, data=data)
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def error_lines(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def crawl_twice(replica: Any, data: Path, spider: str = "stories") -> tuple[int, Any, Any]:
    """Two `scrapy crawl` runs of an unchanged replica into ``data``, a second apart (WARC-Dates
    have whole seconds): (requests the replica had answered after the first, first, second)."""
    first = scrapy_crawl(spider, base_url=replica.base_url, data=data)
    assert first.returncode == 0, first.stderr
    after_first = len(replica.requests())
    time.sleep(1.1)
    second = scrapy_crawl(spider, base_url=replica.base_url, data=data)
    assert second.returncode == 0, second.stderr
    return after_first, first, second


@contextlib.contextmanager
def small_disk(folder: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` (``512k``, ``1m``) mounted at ``folder``: a disk that fills up, or
    (remounted ``ro``) a read-only one. The tests run as root, as CI does."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                             capture_output=True, text=True)
    assert mounted.returncode == 0, f"cannot mount a tmpfs (the tests run as root, as CI does): {mounted.stderr}"
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)
