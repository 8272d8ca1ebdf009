"""A crawl of the fault replica, killed at random moments, then resumed: what was lost?

    .venv/bin/python scripts/fault_run.py [--stories 60] [--seed 7] [--kills 3] [--keep DIR]

Starts `swampcrawl replica --faults all` (rate limits, 5xx bursts, timeouts, resets, short
bodies, a gzip bomb, a 30 MiB page, maintenance pages, broken data, redirect loops, an
endless listing, foreign links, long URLs; docs/faults.md), runs `scrapy crawl stories`
against it, SIGKILLs it ``--kills`` times at seeded moments, lets a last run finish, and
prints one line from the replica's ground truth, its request log, the database and the WARCs:

    fault run: 60 stories expected, 41 stored, 19 in errors, 0 lost; 0 requests out of scope;
    3 kills; WARCs valid; database ok; last exit status 4; peak RSS of a process 112 MB

Exit status 0 when nothing was lost, nothing out of scope was asked for, and the WARCs and the
database are sound; else 1. Nothing here contacts a real site.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# A test-sized crawl: the replica's slow pages take 2 s, the crawl waits 1 s for one; a
# Retry-After or a backoff waits at most 2 s.
FAST = ("-s", "DOWNLOAD_TIMEOUT=1", "-s", "SWAMPCRAWL_RETRY_AFTER_MAX=2", "-L", "WARNING")


def start_replica(folder: Path, stories: int, seed: int) -> tuple[subprocess.Popen, str]:
    command = [str(BIN / "swampcrawl"), "replica", "--port", "0", "--stories", str(stories), "--seed", str(seed),
               "--faults", "all", "--slow-seconds", "2", "--truth", str(folder / "truth.json"),
               "--log", str(folder / "requests.jsonl")]
    out = (folder / "replica.out").open("w")
    process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    for _ in range(600):
        text = (folder / "replica.out").read_text()
        if "serving " in text:
            return process, text.split("serving ", 1)[1].split()[0]
        if process.poll() is not None:
            raise SystemExit(f"fault run: the replica did not start: {text.strip()[-300:]}")
        time.sleep(0.1)
    raise SystemExit("fault run: the replica did not start within 60 s")


def crawl_command(base_url: str, data: Path) -> list[str]:
    return [str(BIN / "scrapy"), "crawl", "stories", *FAST, "-s", f"SWAMPCRAWL_BASE_URL={base_url}",
            "-s", f"SWAMPCRAWL_DB={data / 'swamp.db'}", "-s", f"SWAMPCRAWL_WARC_DIR={data / 'warc'}"]


def crawl(base_url: str, data: Path, kills: int, seed: int) -> int:
    """``kills`` runs killed at seeded moments, then one run to its end: its exit status."""
    moments = random.Random(seed).sample([0.8, 1.2, 1.7, 2.3, 3.1, 4.0, 5.2], min(kills, 7))
    for moment in moments:
        process = subprocess.Popen(crawl_command(base_url, data), cwd=ROOT, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        time.sleep(moment)
        process.send_signal(signal.SIGKILL)
        process.wait()
    last = subprocess.run(crawl_command(base_url, data), cwd=ROOT, capture_output=True, text=True)
    if "Traceback" in last.stderr:
        print(last.stderr[-3000:], file=sys.stderr)
    return last.returncode


def outcome(folder: Path, data: Path) -> dict[str, int | bool]:
    truth = json.loads((folder / "truth.json").read_text())
    removed = {item if isinstance(item, str) else item.get("path") for item in truth.get("removed", [])}
    expected = {story["path"] for story in truth["stories"]} - removed
    with sqlite3.connect(data / "swamp.db") as db:
        stored = {urlsplit(url).path for (url,) in db.execute("SELECT url FROM stories WHERE body_text IS NOT NULL")}
        failed = {urlsplit(url).path for (url,) in db.execute("SELECT url FROM errors")}
        sound = db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    log = [json.loads(line) for line in (folder / "requests.jsonl").read_text().splitlines() if line.strip()]
    asked = {f"http://{entry['host']}{entry['path']}" for entry in log}
    never = {url for fault in truth["faults"].values() for url in fault["never_requested"]}
    warcs = sorted(str(path) for path in (data / "warc").glob("*.warc.gz"))
    check = subprocess.run([str(BIN / "warcio"), "check", *warcs], capture_output=True, text=True)
    return {"expected": len(expected), "stored": len(expected & stored), "errors": len((expected & failed) - stored),
            "lost": len(expected - stored - failed), "out_of_scope": len(never & asked),
            "warcs_valid": bool(warcs) and check.returncode == 0, "database_ok": sound}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stories", type=int, default=60, help="stories of the replica (at least 59)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--kills", type=int, default=3, help="runs killed with SIGKILL before the last one")
    parser.add_argument("--keep", type=Path, default=None, help="keep the database and WARCs in this folder")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="swampcrawl-fault-run-"))
    data = args.keep or folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    replica, base_url = start_replica(folder, args.stories, args.seed)
    try:
        status = crawl(base_url, data, args.kills, args.seed)
    finally:
        replica.terminate()
        replica.wait()
    found = outcome(folder, data)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    print(f"fault run: {found['expected']} stories expected, {found['stored']} stored, {found['errors']} in errors, "
          f"{found['lost']} lost; {found['out_of_scope']} requests out of scope; {args.kills} kills; "
          f"WARCs {'valid' if found['warcs_valid'] else 'INVALID'}; database {'ok' if found['database_ok'] else 'DAMAGED'}; "
          f"last exit status {status}; peak RSS of a process {peak} MB")
    good = not found["lost"] and not found["out_of_scope"] and found["warcs_valid"] and found["database_ok"]
    return 0 if good and status in (0, 4) else 1


if __name__ == "__main__":
    sys.exit(main())
