"""A fleet crawl end to end (issue 14): three `scrapy crawl stories` workers on one Redis frontier,
`swampcrawl ingest` beside them as the single database writer, against a real replica.

Everything is real: redis-server (tests/redis_support.py), the replica over HTTP on 127.0.0.1
(tests/replica_process.py, whose request log says what was fetched), the workers and the writer
as the subprocesses a user starts, SQLite and WARC files.

Nothing here waits for a time to pass before asserting: the test only orchestrates. Where a
moment of the crawl must be caught (all three workers joined; the crawl done but its keys not
yet deleted; the victim holding leases), the test holds it with Redis itself: a *gate*, a
member of the crawl's ``workers`` set with a live heartbeat that stands for a worker still at
work. While the gate holds a lease the crawl cannot be done (``finish_if_drained``); while it is
a member, `swampcrawl ingest` cannot end the crawl nor delete its keys (``crawl_over``,
``clean_up``). The gate fetches nothing and sends nothing; removing it is what a worker's
``leases.leave`` does.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import sqlite3
import subprocess
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis
from archive_support import assert_warcio_valid, every_written_warc_is_valid  # noqa: F401 (autouse)
from crawl_support import ROOT, scrapy_command, story_mismatches, story_rows, table
from redis_support import redis_url, server  # noqa: F401 (the fixtures)
from replica_process import ReplicaProcess, swampcrawl_script
from warcio.archiveiterator import ArchiveIterator

from swampcrawl.fleet import leases
from swampcrawl.fleet.keys import CrawlKeys, host_robots
from swampcrawl.store.schema import TABLES

KEYS = CrawlKeys("stories")
GATE = "test-gate"
TIMEOUT = 600  # seconds a worker or the writer may take on a loaded 2-core machine (the crawl: a few)
# Small WARC files: every worker rolls over many times, so three of them name files in one
# folder within the same second, again and again.
WARC_MAX_SIZE = "SWAMPCRAWL_WARC_MAX_SIZE=100000"

# What "bookkeeping" is, table by table: the columns that say *when* and *where in the archive*
# a page was captured (a capture time, a WARC file, an offset, a record id, a record's length:
# the fleet's records are other bytes in other files than a single crawl's), and the ids the
# database gives rows (captures.id, errors.id) and runs (run_id). Everything the pages said,
# every row, every status, kind, validator and revisit flag, must be the same. crawl_runs is
# compared by its figures, not its row (times, settings and stats of a different run).
CAPTURED = ("first_seen_at", "last_seen_at", "captured_at", "warc_filename", "warc_offset", "warc_record_id")
BOOKKEEPING = {
    "stories": CAPTURED,
    "creators": CAPTURED,
    "communities": CAPTURED,
    "story_versions": ("captured_at", "warc_filename", "warc_offset", "warc_record_id"),
    "captures": ("id", "run_id", "captured_at", "warc_filename", "warc_offset", "warc_record_id", "warc_length"),
    "creator_stories": ("captured_at",),
    "errors": ("id", "run_id", "at"),
    "tags": (),
    "story_tags": (),
}
RUN_FIGURES = ("spider", "status", "pages", "items", "requests", "responses", "new", "changed", "unchanged",
               "removed", "renamed", "errors", "exit_status")


@pytest.fixture(scope="module")
def replica():
    with ReplicaProcess(stories=60, seed=1414) as running:
        yield running


@pytest.fixture(scope="module")
def single(replica, tmp_path_factory):
    """A single crawl (no Redis) of the replica: (its data folder, the requests it made)."""
    data = tmp_path_factory.mktemp("single")
    before = len(replica.requests())
    result = subprocess.run(scrapy_command("stories", "-s", WARC_MAX_SIZE, base_url=replica.base_url, data=data),
                            cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("swampcrawl: stories finished in "), result.stdout
    return data, replica.requests()[before:]


class Process:
    """A subprocess whose output goes to files (a chatty one never blocks on a full pipe)."""

    def __init__(self, command: list[str], logs: Path, name: str) -> None:
        logs.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.out, self.err = logs / f"{name}.out", logs / f"{name}.err"
        with self.out.open("w") as out, self.err.open("w") as err:
            self.proc = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=err, stdin=subprocess.DEVNULL)

    def wait(self, timeout: float = TIMEOUT) -> tuple[int, list[str], str]:
        """(exit status, stdout lines, stderr)."""
        code = self.proc.wait(timeout=timeout)
        return code, self.out.read_text().splitlines(), self.err.read_text()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def worker(replica, data: Path, redis_url: str, name: str, *args: str) -> Process:  # noqa: F811
    """``scrapy crawl stories`` as a fleet worker: the shared database path and WARC folder of ``data``."""
    command = scrapy_command("stories", "-s", f"SWAMPCRAWL_REDIS_URL={redis_url}", *args,
                             base_url=replica.base_url, data=data)
    return Process(command, data.parent / "logs", name)


def writer(data: Path, redis_url: str) -> Process:  # noqa: F811
    command = [str(swampcrawl_script()), "ingest", "--redis", redis_url, "--db", str(data / "swamp.db"),
               "--spider", "stories"]
    return Process(command, data.parent / "logs", "ingest")


@pytest.fixture
def processes():
    """Every process a test starts, killed if the test fails before they exit."""
    started: list[Process] = []
    yield started
    for process in started:
        process.stop()


# -- the gate ------------------------------------------------------------------------------------


def close_gate(server) -> None:
    """A member of ``workers``, alive, holding one lease: the crawl cannot be done."""
    lease = json.dumps({"score": "0", "data": json.dumps({"url": "gate:"})})
    with server.pipeline(transaction=True) as pipe:
        pipe.set(KEYS.heartbeat(GATE), "alive").hset(KEYS.leases(GATE), "gate", lease).sadd(KEYS.workers, GATE)
        pipe.execute()


def release_lease(server) -> None:
    """The gate holds nothing now: the crawl can be done, but the writer cannot end it."""
    server.delete(KEYS.leases(GATE))


def open_gate(server) -> None:
    """The gate leaves, as a worker does."""
    with server.pipeline(transaction=True) as pipe:
        pipe.delete(KEYS.leases(GATE), KEYS.heartbeat(GATE)).srem(KEYS.workers, GATE).execute()


def worker_id(server, process: Process) -> str | None:
    ids = [w.decode() for w in server.smembers(KEYS.workers) if f"-{process.proc.pid}-" in w.decode()]
    return ids[0] if ids else None


def wait_until_joined(server, workers: list[Process], timeout: float = TIMEOUT) -> dict[str, Process]:
    """Worker id -> process, once every one of ``workers`` is a member of ``workers``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ids = {worker_id(server, process): process for process in workers}
        if None not in ids:
            return ids
        for process in workers:
            assert process.proc.poll() is None, f"worker {process.name} exited: {process.err.read_text()}"
        time.sleep(0.05)
    raise AssertionError("the workers never all joined")


# -- reading what the crawl left -------------------------------------------------------------------


def comparable(db: Path) -> dict[str, list[tuple]]:
    """Every table but crawl_runs, bookkeeping columns left out, as sorted rows."""
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        out = {}
        for name in TABLES:
            if name == "crawl_runs":
                continue
            rows = [tuple((k, row[k]) for k in row.keys() if k not in BOOKKEEPING[name])
                    for row in conn.execute(f"SELECT * FROM {name}")]
            out[name] = sorted(rows, key=repr)
    return out


def the_run(db: Path) -> dict:
    [run] = table(db, "crawl_runs")
    return run


def fetched(entries: list[dict]) -> Counter:
    return Counter((e["host"], e["path"], e["query"]) for e in entries)


def records(folder: Path) -> dict[str, dict]:
    """Every record of the folder's sealed WARCs by record id: type, URI, file, offset."""
    found: dict[str, dict] = {}
    for path in sorted(folder.glob("*.warc.gz")):
        with open(path, "rb") as stream:
            iterator = ArchiveIterator(stream)
            for record in iterator:
                headers = record.rec_headers
                record_id = headers.get_header("WARC-Record-ID")
                assert record_id not in found, f"record {record_id} twice: {path.name}, {found.get(record_id)}"
                found[record_id] = {"type": record.rec_type, "uri": headers.get_header("WARC-Target-URI"),
                                    "file": path.name, "offset": iterator.get_record_offset(),
                                    "filename": headers.get_header("WARC-Filename")}
    return found


def assert_archive_consistent(db: Path, folder: Path) -> dict[str, dict]:
    """Each sealed WARC names itself; every capture, story, creator, community and version
    points at a record of its URL that is in the folder, at its offset."""
    found = records(folder)
    for record in found.values():
        if record["type"] == "warcinfo":
            assert record["filename"] == record["file"]
    for name in ("captures", "stories", "creators", "communities", "story_versions"):
        for row in table(db, name):
            if row["warc_record_id"] is None:  # a creator or community a story names, not crawled
                continue
            record = found.get(row["warc_record_id"])
            url = row.get("url") or row.get("story_url")
            assert record is not None, f"{name} row of {url}: record {row['warc_record_id']} is in no WARC"
            assert (record["file"], record["offset"]) == (row["warc_filename"], row["warc_offset"]), (name, url)
            assert record["uri"] == url and record["type"] in ("response", "revisit"), (name, url, record)
    return found


def assert_stored_truth(db: Path, replica) -> None:
    """Every story of the replica stored as the truth has it, and nothing else."""
    rows = story_rows(db)
    assert set(rows) == {replica.base_url + story["path"] for story in replica.truth["stories"]}
    tags = Counter((link["story_url"], link["tag_slug"]) for link in table(db, "story_tags"))
    mismatches = [m for story in replica.truth["stories"]
                  for m in story_mismatches(story, rows[replica.base_url + story["path"]], tags)]
    assert mismatches == []


def writers_of(folder: Path, pattern: str = "*.warc.gz") -> set[str]:
    """The process ids the folder's files are named after (``<prefix>-<time>-<serial>-<host>-<pid>``)."""
    host = re.escape(socket.gethostname())
    pids = set()
    for path in folder.glob(pattern):
        named = re.fullmatch(rf"swampcrawl-\d{{14}}-\d{{5,}}-{host}-(\d+)\.warc\.gz(\.open)?", path.name)
        assert named, f"{path.name} is not named after its host and process"
        pids.add(named.group(1))
    return pids


def hosts(replica) -> set[str]:
    return {urlsplit(replica.base_url).netloc, urlsplit(replica.image_base).netloc}


# -- three workers and the writer -------------------------------------------------------------------


def test_three_workers_and_the_writer_store_what_a_single_crawl_stores(replica, single, server, redis_url,  # noqa: F811
                                                                          tmp_path, processes):
    """Three workers start together with `swampcrawl ingest` beside them, sharing one database
    path and one WARC folder (small files: many names taken in the same seconds). The gate keeps
    the crawl open until all three have joined (a worker starting after the crawl ended would
    rightly exit at once), then keeps the writer from ending it while a fourth worker starts:
    the crawl is done, so that worker exits at once, fetching nothing (docs/fleet.md: a worker
    started while ``done`` is set; once the writer has deleted the crawl's keys, the next worker
    starts a new crawl instead). Then everything exits 0 by itself with its summary line, and:

    - the database holds every story of the replica's truth, and equals the single crawl's table
      by table, bookkeeping aside (see BOOKKEEPING: capture times, WARC pointers, record ids and
      lengths, row and run ids); the run's figures (pages, items, requests, responses, new...)
      are the single crawl's too;
    - no URL was fetched twice, robots.txt once per host (by the first worker's middleware,
      archived), and the fleet fetched exactly what the single crawl fetched but for the single
      crawl's reachability check (a second robots.txt; a fleet worker's opens a connection only);
    - every WARC is valid (warcio), is named after its worker's host and process and names
      itself, no record id twice, no ``.open`` left; every database pointer finds its record,
      and the WARC records (type and URL) are the single crawl's;
    - the crawl's keys are gone from Redis.
    """
    single_data, single_requests = single
    data = tmp_path / "fleet"
    before = len(replica.requests())
    close_gate(server)
    processes.append(ingest := writer(data, redis_url))
    workers = [worker(replica, data, redis_url, name, "-s", WARC_MAX_SIZE) for name in ("w1", "w2", "w3")]
    processes.extend(workers)
    joined = wait_until_joined(server, workers)
    release_lease(server)  # the crawl runs to its end; the writer cannot end it yet

    for process in workers:
        code, out, err = process.wait()
        assert code == 0, err
        assert len(out) == 1 and out[0].startswith("swampcrawl: stories finished in "), out
        assert "Traceback" not in err and "ERROR" not in err, err
    assert leases.is_finished(server, KEYS)
    assert server.smembers(KEYS.workers) == {GATE.encode()}  # the three left; the writer waits

    after_crawl = len(replica.requests())
    processes.append(late := worker(replica, data, redis_url, "late", "-s", WARC_MAX_SIZE))
    code, out, err = late.wait()
    assert code == 0, err
    assert out == ["swampcrawl: stories: the fleet crawl in Redis was already finished; nothing to do"]
    assert "Traceback" not in err
    assert len(replica.requests()) == after_crawl  # nothing fetched, robots.txt included (the fleet's copy)
    assert ingest.proc.poll() is None

    open_gate(server)
    code, out, err = ingest.wait()
    assert code == 0, err
    assert len(out) == 1 and out[0].startswith("swampcrawl: stories finished in "), out
    assert "Traceback" not in err
    assert server.keys(f"{KEYS.prefix}:*") == []  # the crawl's keys, deleted once stored

    # fetched: each URL once, robots.txt once per host, the very URLs of the single crawl
    log = replica.requests()[before:]
    counts = fetched(log)
    assert [key for key, n in counts.items() if n > 1] == []
    assert {host for host, path, _ in counts if path == "/robots.txt"} == hosts(replica)
    single_counts = fetched(single_requests)
    single_counts[(urlsplit(replica.base_url).netloc, "/robots.txt", "")] -= 1  # its reachability check
    assert counts == +single_counts

    # stored: the truth, and the single crawl's database
    db = data / "swamp.db"
    assert_stored_truth(db, replica)
    fleet_tables, single_tables = comparable(db), comparable(single_data / "swamp.db")
    for name in fleet_tables:
        assert fleet_tables[name] == single_tables[name], name
    fleet_run, single_run = the_run(db), the_run(single_data / "swamp.db")
    assert {k: fleet_run[k] for k in RUN_FIGURES} == {k: single_run[k] for k in RUN_FIGURES}
    assert fleet_run["status"] == "finished" and fleet_run["exit_status"] == 0
    stats = json.loads(fleet_run["stats"])
    assert stats["swampcrawl/fleet/workers"] == 3 and stats["swampcrawl/fleet/workers/finished"] == 3

    # archived: valid files, every worker's own, every pointer good
    folder = data / "warc"
    assert not list(folder.glob("*.open"))
    assert_warcio_valid(*sorted(folder.glob("*.warc.gz")))
    assert writers_of(folder) <= {str(process.proc.pid) for process in workers}  # each worker's own files
    found = assert_archive_consistent(db, folder)
    single_found = records(single_data / "warc")
    assert Counter((r["type"], r["uri"]) for r in found.values() if r["type"] != "warcinfo") == \
        Counter((r["type"], r["uri"]) for r in single_found.values() if r["type"] != "warcinfo")
    assert len(joined) == 3


# -- a worker killed -----------------------------------------------------------------------------------


def leased_urls(server, worker: str) -> list[str]:
    return [json.loads(json.loads(entry)["data"])["url"] for entry in server.hvals(KEYS.leases(worker))]


def stopped(process: Process) -> bool:
    """Whether the kernel has stopped the process (SIGSTOP is delivered asynchronously)."""
    stat = Path(f"/proc/{process.proc.pid}/stat").read_text()
    return stat.rsplit(")", 1)[1].split()[0] == "T"


def stop_holding_leases(server, victim: Process, worker: str, folder: Path, replica, after: int,
                        timeout: float = TIMEOUT) -> list[str]:
    """SIGSTOP the victim once the replica answered ``after`` requests, the fleet has both hosts'
    robots.txt (the victim may not be the one fetching it), the victim holds leases and has a
    WARC file open (it is let go on when, stopped, it holds none); the URLs it holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert victim.proc.poll() is None, f"the victim exited: {victim.err.read_text()}"
        if (len(replica.requests()) > after and server.hlen(KEYS.leases(worker))
                and list(folder.glob(f"*-{victim.proc.pid}.warc.gz.open"))
                and server.exists(*[host_robots(netloc) for netloc in hosts(replica)]) == 2):
            victim.proc.send_signal(signal.SIGSTOP)
            while not stopped(victim):
                time.sleep(0.01)
            held = leased_urls(server, worker)
            if held:
                return held
            victim.proc.send_signal(signal.SIGCONT)
        time.sleep(0.02)
    raise AssertionError("the victim never held a lease mid-crawl")


def test_a_worker_killed_mid_crawl_loses_nothing(replica, server, redis_url, tmp_path, processes):  # noqa: F811
    """One of three workers is SIGKILLed while it holds leases (frozen with SIGSTOP first, so the
    test knows which) and never restarted. Its heartbeat expires (3 s), its leases go back to
    the frontier once (one reaper says so), the two others fetch them and end the crawl, and the
    writer, beside them, stores everything and exits by itself. Nothing is lost: every story of
    the truth is stored; a page is fetched at most twice, and only one the victim held; every
    database pointer finds its record once the victim's ``.open`` file is sealed by
    `swampcrawl archive repair`, as a single killed crawl's is (tests/test_archive_crawl_kill.py).
    A small request delay (shared by the fleet) keeps requests leased while they wait; WARC files
    of the default size keep the victim's first file open until it is killed."""
    data = tmp_path / "fleet"
    before = len(replica.requests())
    close_gate(server)
    processes.append(ingest := writer(data, redis_url))
    options = ("-s", "SWAMPCRAWL_REDIS_LEASE_SECONDS=3", "-s", "DOWNLOAD_DELAY=0.02")
    workers = [worker(replica, data, redis_url, name, *options) for name in ("victim", "w2", "w3")]
    processes.extend(workers)
    joined = wait_until_joined(server, workers)
    victim_id = next(worker for worker, process in joined.items() if process is workers[0])
    open_gate(server)

    folder = data / "warc"
    held = stop_holding_leases(server, workers[0], victim_id, folder, replica, after=before + 60)
    workers[0].proc.send_signal(signal.SIGKILL)
    assert workers[0].wait()[0] == -signal.SIGKILL

    errs = ""
    for process in workers[1:]:
        code, out, err = process.wait()
        assert code == 0, err
        assert len(out) == 1 and out[0].startswith("swampcrawl: stories finished in "), out
        assert "Traceback" not in err
        errs += err
    code, out, err = ingest.wait()
    assert code == 0, err
    assert len(out) == 1 and out[0].startswith("swampcrawl: stories finished in "), out
    errs += err
    # reaped once, by a worker or the writer: what it held went back into the frontier (as it held
    # it in Redis once killed: a command it sent just before it stopped may have counted still)
    reaped = re.findall(rf"fleet worker {re.escape(victim_id)} stopped beating: (\d+) of its requests", errs)
    assert len(reaped) == 1, errs
    assert server.keys(f"{KEYS.prefix}:*") == []

    counts = fetched(replica.requests()[before:])
    twice = {f"http://{host}{path}" + (f"?{query}" if query else "") for (host, path, query), n in counts.items()
             if n == 2}
    assert max(counts.values()) <= 2
    assert twice <= set(held)
    assert {host for host, path, _ in counts if path == "/robots.txt"} == hosts(replica)

    db = data / "swamp.db"
    assert_stored_truth(db, replica)
    run = the_run(db)
    assert run["status"] == "finished"
    stats = json.loads(run["stats"])
    assert stats["swampcrawl/fleet/workers"] == 2  # the victim never said it closed

    [left_open] = list(folder.glob("*.warc.gz.open"))  # the victim's, left as a killed crawl leaves it
    assert writers_of(folder, "*.open") == {str(workers[0].proc.pid)}
    repair = subprocess.run([str(swampcrawl_script()), "archive", "repair", str(folder)], cwd=ROOT,
                            capture_output=True, text=True, timeout=TIMEOUT)
    assert repair.returncode == 0, repair.stdout + repair.stderr
    assert not list(folder.glob("*.open")) and (folder / left_open.name.removesuffix(".open")).exists()
    assert_archive_consistent(db, folder)
