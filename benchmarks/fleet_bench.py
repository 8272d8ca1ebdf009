"""Fleet benchmark: pages/s of 1, 2 and 3 workers on one shared frontier, against a replica.

    .venv/bin/python benchmarks/fleet_bench.py [--stories 1500] [--workers single,1,2,3] [--rounds 3]
    (arguments it does not know are passed on to every worker, e.g. -s SWAMPCRAWL_REQUISITES=none)

Starts a replica (`swampcrawl replica`) and a redis-server of its own on free ports of
127.0.0.1, then runs the fleet once per worker count in each round, alternating the order from
round to round (1, 2, 3 then 3, 2, 1) so that the machine's drift touches every count alike.
``single`` is the baseline: one `scrapy crawl stories` without Redis, writing the database
itself. A fleet run, in a fresh folder and on a flushed Redis, starts together:

  - `swampcrawl ingest --redis URL --db DB`: the single writer;
  - N workers `scrapy crawl stories -s SWAMPCRAWL_REDIS_URL=URL -s SWAMPCRAWL_DB=DB
    -s SWAMPCRAWL_WARC_DIR=DIR` (one WARC folder and one database for all, as on one machine).

It prints, per run: wall time (from the start to the last process's exit), pages (requests the
replica answered, from its own log: pages, requisites, robots.txt), pages/s, CPU per page
split into the workers', the writer's and redis-server's (user + system, from wait4 and
/proc) and the rest of the machine's (busy CPU from /proc/stat less those: mostly the
replica's, which serves every page on the same cores), how many cores were busy meanwhile,
Redis's peak memory (INFO, sampled every 0.1 s), and the stories stored against the replica's
truth. Then, per worker count, the median pages/s of the rounds and its ratio to one worker's
(the median of the rounds' ratios). Prints figures only; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import redis_support  # noqa: E402
import replica_process  # noqa: E402
from replica_process import ReplicaProcess  # noqa: E402

BIN = Path(sys.executable).parent
TICKS = os.sysconf("SC_CLK_TCK")

# Runs the command given as its arguments (stdout to /dev/null, stderr to its own); prints its
# exit code and CPU (user + system, from wait4) as one JSON line.
LAUNCHER = """
import json, os, subprocess, sys
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
print(json.dumps({"code": os.waitstatus_to_exitcode(status), "cpu": usage.ru_utime + usage.ru_stime}))
"""


class RedisServer(redis_support.RedisServer):
    """The tests' redis-server (127.0.0.1, a free port, nothing saved), measured as well."""

    def __enter__(self) -> RedisServer:
        super().__enter__()
        self.client = redis.Redis.from_url(self.url)
        return self

    def peak_memory_while(self, procs: list[subprocess.Popen]) -> int:
        """The most memory Redis used (INFO used_memory, read every 0.1 s) until ``procs`` exit."""
        peak = 0
        while any(proc.poll() is None for proc in procs):
            peak = max(peak, self.client.info("memory")["used_memory"])
            time.sleep(0.1)
        return peak

    def cpu(self) -> float:
        """Its CPU seconds so far (user + system)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        super().__exit__(*exc)


def busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy since boot (all cores, /proc/stat)."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / TICKS


def launch(command: list[str], log: Path) -> tuple[subprocess.Popen, Path]:
    with open(log, "wb") as err:
        proc = subprocess.Popen([sys.executable, "-c", LAUNCHER, *command], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=err, text=True)
    return proc, log


def finish(proc: subprocess.Popen, log: Path, what: str) -> float:
    """Wait for a launched process; its CPU seconds, or stop here with its stderr."""
    out, _ = proc.communicate()
    lines = out.strip().splitlines()
    result = json.loads(lines[-1]) if lines else {"code": None}
    if result["code"] != 0:
        raise SystemExit(f"{what} failed (exit {result['code']}):\n{log.read_text()[-3000:]}")
    return result["cpu"]


def crawl_command(replica: ReplicaProcess, db: Path, warc: Path, redis_url: str, extra: list[str]) -> list[str]:
    fleet = ["-s", f"SWAMPCRAWL_REDIS_URL={redis_url}"] if redis_url else []
    return [str(BIN / "scrapy"), "crawl", "stories", "-L", "WARNING", "-s", f"SWAMPCRAWL_BASE_URL={replica.base_url}",
            *fleet, "-s", f"SWAMPCRAWL_DB={db}", "-s", f"SWAMPCRAWL_WARC_DIR={warc}", *extra]


def fleet_run(workers: int, replica: ReplicaProcess, server: RedisServer, data: Path, extra: list[str]) -> dict:
    """One fleet crawl of the replica into ``data`` (``workers`` 0: a single crawl): its figures."""
    db, warc = data / "swamp.db", data / "warc"
    server.client.flushall()  # robots.txt included: every run fetches it once
    answered, redis_cpu, busy = len(replica.requests()), server.cpu(), busy_seconds()
    started = time.perf_counter()
    if workers:
        writer = [launch([str(BIN / "swampcrawl"), "ingest", "--redis", server.url, "--db", str(db),
                          "--spider", "stories"], data / "ingest.log")]
        crawls = [launch(crawl_command(replica, db, warc, server.url, extra), data / f"worker-{n}.log")
                  for n in range(workers)]
    else:
        writer, crawls = [], [launch(crawl_command(replica, db, warc, "", extra), data / "single.log")]
    peak_memory = server.peak_memory_while([proc for proc, _ in writer + crawls])
    worker_cpu = sum(finish(*crawl, f"worker {n}") for n, crawl in enumerate(crawls))
    writer_cpu = sum(finish(*run, "swampcrawl ingest") for run in writer)
    wall = time.perf_counter() - started
    with sqlite3.connect(db) as conn:
        (stories,) = conn.execute("select count(*) from stories").fetchone()
    run = {"workers": workers, "wall": wall, "pages": len(replica.requests()) - answered,
           "worker_cpu": worker_cpu, "writer_cpu": writer_cpu, "redis_cpu": server.cpu() - redis_cpu,
           "busy_cores": (busy_seconds() - busy) / wall, "stories": stories, "redis_mb": peak_memory / 1e6}
    run["rest_cpu"] = run["busy_cores"] * wall - worker_cpu - writer_cpu - run["redis_cpu"]
    return run


def label(workers: int) -> str:
    return str(workers) if workers else "single"


def print_run(run: dict, round_no: int, truth_stories: int) -> None:
    pages = max(run["pages"], 1)
    per_page = {part: 1000 * run[f"{part}_cpu"] / pages for part in ("worker", "writer", "redis", "rest")}
    crawl = per_page["worker"] + per_page["writer"] + per_page["redis"]
    print(f"{label(run['workers']):>7} {round_no:>5} {run['wall']:>7.1f} {run['pages']:>7,}"
          f" {run['pages'] / run['wall']:>8.1f} {crawl:>9.2f} {per_page['worker']:>8.2f} {per_page['writer']:>7.2f}"
          f" {per_page['redis']:>6.2f} {per_page['rest']:>6.2f} {run['busy_cores']:>6.2f} {run['redis_mb']:>9.1f}"
          f" {run['stories']:>6}/{truth_stories}", flush=True)


def print_summary(runs: list[dict]) -> None:
    """Median pages/s per worker count, and the median over rounds of its ratio to one worker's."""
    counts = sorted({run["workers"] for run in runs})
    rounds: dict[int, dict[int, float]] = {}
    for run in runs:
        rounds.setdefault(run["round"], {})[run["workers"]] = run["pages"] / run["wall"]
    print(f"\n{'workers':>7} {'pages/s':>8} {'vs 1':>6}")
    for count in counts:
        rates = [by_count[count] for by_count in rounds.values() if count in by_count]
        ratios = [by_count[count] / by_count[1] for by_count in rounds.values() if 1 in by_count and count in by_count]
        ratio = f"{statistics.median(ratios):.2f}" if ratios else "-"
        print(f"{label(count):>7} {statistics.median(rates):>8.1f} {ratio:>6}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", default="single,1,2,3",
                        help="worker counts, comma-separated; single: one crawl without Redis")
    parser.add_argument("--rounds", type=int, default=3)
    args, extra = parser.parse_known_args()
    counts = [0 if count == "single" else int(count) for count in args.workers.split(",")]
    replica_process.START_TIMEOUT = max(replica_process.START_TIMEOUT, args.stories / 100)
    print(f"replica: {args.stories} stories (seed {args.seed}); spider: stories; {os.cpu_count()} cores")
    print("CPU ms/page: crawl = workers + writer (swampcrawl ingest) + redis-server; rest: the rest of the machine"
          " (mostly the replica); busy: cores in use, all processes")
    print(f"{'workers':>7} {'round':>5} {'wall s':>7} {'pages':>7} {'pages/s':>8} {'CPU crawl':>9} {'workers':>8}"
          f" {'writer':>7} {'redis':>6} {'rest':>6} {'busy':>6} {'redis MB':>9} {'stories':>10}")
    runs = []
    with tempfile.TemporaryDirectory() as tmp, RedisServer(Path(tmp)) as server, \
            ReplicaProcess(stories=args.stories, seed=args.seed) as replica:
        truth_stories = len(replica.truth["stories"])
        for round_no in range(1, args.rounds + 1):
            for count in counts if round_no % 2 else counts[::-1]:
                with tempfile.TemporaryDirectory(dir=tmp) as data:
                    run = {**fleet_run(count, replica, server, Path(data), extra), "round": round_no}
                print_run(run, round_no, truth_stories)
                runs.append(run)
    print_summary(runs)


if __name__ == "__main__":
    main()
