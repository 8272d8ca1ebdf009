"""Crawl benchmark: `scrapy crawl stories` against a replica on loopback.

    .venv/bin/python benchmarks/crawl_bench.py [--stories 5000] [--spider stories]
    .venv/bin/python benchmarks/crawl_bench.py --sizes 1500,5000   # memory growth

Starts a replica in a subprocess, runs the spider in another (as users run it),
and prints pages per second, stories per second, the crawler's CPU time and its
peak memory (max RSS), read from the OS for the crawl process alone. With
``--sizes``, one crawl per replica size, then the peak RSS growth per 100,000
responses between the sizes. Prints figures only; it asserts nothing about speed.

The crawl is started by a small launcher process, which reads the crawl's rusage: a child
this process started itself would report this process's own peak too (a child started by
vfork inherits its parent's high-water mark, and this process holds the replica's truth,
280 MB at 5,000 stories).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import replica_process  # noqa: E402
from replica_process import ReplicaProcess  # noqa: E402

BIN = Path(sys.executable).parent

# Runs the command given as its arguments (stdout to /dev/null, stderr inherited); prints its
# wall time, exit code, CPU and peak RSS (Linux: ru_maxrss in KB) as one JSON line.
LAUNCHER = """
import json, os, subprocess, sys, time
started = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
print(json.dumps({"wall": time.perf_counter() - started, "code": os.waitstatus_to_exitcode(status),
                  "cpu": usage.ru_utime + usage.ru_stime, "max_rss_kb": usage.ru_maxrss}))
"""


def crawl_with_usage(spider: str, base_url: str, data: Path, extra: list[str]) -> dict:
    """One crawl in a grandchild process: its wall time, and CPU and peak RSS from wait4."""
    command = [
        str(BIN / "scrapy"), "crawl", spider, "-L", "WARNING",
        "-s", f"SWAMPCRAWL_BASE_URL={base_url}", "-s", f"SWAMPCRAWL_DB={data / 'swamp.db'}",
        "-s", f"SWAMPCRAWL_WARC_DIR={data / 'warc'}", *extra,
    ]  # fmt: skip
    done = subprocess.run([sys.executable, "-c", LAUNCHER, *command], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0 or not done.stdout.strip():
        raise SystemExit(f"launcher failed: {done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["code"] != 0:
        raise SystemExit(f"crawl failed: {done.stderr[-2000:]}")
    return {"wall": result["wall"], "cpu": result["cpu"], "max_rss_mb": result["max_rss_kb"] / 1024}


def last_run_stats(db: Path) -> dict:
    with sqlite3.connect(db) as conn:
        (stats,) = conn.execute("select stats from crawl_runs order by id desc limit 1").fetchone()
    return json.loads(stats)


def measure(stories: int, seed: int, spider: str, extra: list[str]) -> dict:
    """One crawl of a fresh replica of ``stories`` stories into an empty folder."""
    # Building a replica takes longer than the tests' 60 s from about 30,000 stories on.
    replica_process.START_TIMEOUT = max(replica_process.START_TIMEOUT, stories / 100)
    with ReplicaProcess(stories=stories, seed=seed) as replica, tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        result = crawl_with_usage(spider, replica.base_url, data, extra)
        stats = last_run_stats(data / "swamp.db")
        warc_bytes = sum(f.stat().st_size for f in (data / "warc").glob("*.warc.gz"))
    return {**result, "stories": stories, "pages": stats.get("downloader/response_count", 0),
            "items": stats.get("item_scraped_count", 0), "warc_bytes": warc_bytes}


def report(run: dict, seed: int, spider: str) -> None:
    pages, items = run["pages"], run["items"]
    print(f"replica: {run['stories']} stories (seed {seed}); spider: {spider}")
    print(f"responses: {pages:,}   items: {items:,}   WARC: {run['warc_bytes'] / 1e6:,.1f} MB")
    print(f"wall: {run['wall']:.1f} s   crawler CPU: {run['cpu']:.1f} s   peak RSS: {run['max_rss_mb']:.0f} MB")
    print(f"pages/s (wall): {pages / run['wall']:.0f}   items/s (wall): {items / run['wall']:.0f}")
    print(f"CPU per page: {1000 * run['cpu'] / max(pages, 1):.2f} ms")


def report_growth(runs: list[dict]) -> None:
    """Peak RSS by size, and its growth per 100,000 responses from each size to the next."""
    print(f"{'stories':>8} {'responses':>10} {'peak RSS MB':>12} {'CPU ms/resp':>12} {'growth MB/100k resp':>20}")
    for previous, run in zip([None, *runs], runs):
        growth = ""
        if previous is not None and run["pages"] != previous["pages"]:
            per = (run["max_rss_mb"] - previous["max_rss_mb"]) / (run["pages"] - previous["pages"]) * 100_000
            growth = f"{per:.1f}"
        cpu = 1000 * run["cpu"] / max(run["pages"], 1)
        print(f"{run['stories']:>8,} {run['pages']:>10,} {run['max_rss_mb']:>12.1f} {cpu:>12.2f} {growth:>20}")
    if len(runs) > 2:
        first, last = runs[0], runs[-1]
        per = (last["max_rss_mb"] - first["max_rss_mb"]) / max(last["pages"] - first["pages"], 1) * 100_000
        print(f"from {first['stories']:,} to {last['stories']:,} stories: {per:.1f} MB per 100,000 responses")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=5000)
    parser.add_argument("--sizes", help="replica sizes, comma-separated (e.g. 1500,5000): peak RSS growth")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--spider", default="stories")
    args, extra = parser.parse_known_args()
    if not args.sizes:
        report(measure(args.stories, args.seed, args.spider, extra), args.seed, args.spider)
        return
    runs = []
    for size in sorted(int(size) for size in args.sizes.split(",")):
        runs.append(measure(size, args.seed, args.spider, extra))
        report(runs[-1], args.seed, args.spider)
        print()
    report_growth(runs)


if __name__ == "__main__":
    main()
