"""Crawl benchmark: `scrapy crawl stories` against a replica on loopback.

    .venv/bin/python benchmarks/crawl_bench.py [--stories 5000] [--spider stories]

Starts a replica in a subprocess, runs the spider in another (as users run it),
and prints pages per second, stories per second, the crawler's CPU time and its
peak memory (max RSS), read from the OS for the crawl process alone. Prints
figures only; it asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from replica_process import ReplicaProcess  # noqa: E402

BIN = Path(sys.executable).parent


def crawl_with_usage(spider: str, base_url: str, data: Path, extra: list[str]) -> dict:
    """One crawl in a child process: its wall time, and CPU and peak RSS from wait4."""
    command = [
        str(BIN / "scrapy"), "crawl", spider, "-L", "WARNING",
        "-s", f"SWAMPCRAWL_BASE_URL={base_url}", "-s", f"SWAMPCRAWL_DB={data / 'swamp.db'}",
        "-s", f"SWAMPCRAWL_WARC_DIR={data / 'warc'}", *extra,
    ]  # fmt: skip
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"crawl failed: {child.stderr.read().decode()[-2000:]}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "max_rss_mb": usage.ru_maxrss / 1024}


def last_run_stats(db: Path) -> dict:
    with sqlite3.connect(db) as conn:
        (stats,) = conn.execute("select stats from crawl_runs order by id desc limit 1").fetchone()
    return json.loads(stats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--spider", default="stories")
    args, extra = parser.parse_known_args()
    with ReplicaProcess(stories=args.stories, seed=args.seed) as replica, tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        result = crawl_with_usage(args.spider, replica.base_url, data, extra)
        stats = last_run_stats(data / "swamp.db")
        warc_bytes = sum(f.stat().st_size for f in (data / "warc").glob("*.warc.gz"))
    pages = stats.get("downloader/response_count", 0)
    items = stats.get("item_scraped_count", 0)
    print(f"replica: {args.stories} stories (seed {args.seed}); spider: {args.spider}")
    print(f"responses: {pages:,}   items: {items:,}   WARC: {warc_bytes / 1e6:,.1f} MB")
    print(f"wall: {result['wall']:.1f} s   crawler CPU: {result['cpu']:.1f} s   peak RSS: {result['max_rss_mb']:.0f} MB")
    print(f"pages/s (wall): {pages / result['wall']:.0f}   items/s (wall): {items / result['wall']:.0f}")
    print(f"CPU per page: {1000 * result['cpu'] / max(pages, 1):.2f} ms")


if __name__ == "__main__":
    main()
