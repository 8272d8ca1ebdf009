"""`swampcrawl runs` and the figures of crawl_runs: against the database of real crawls of a
small replica (``scrapy crawl`` subprocesses), and databases made by hand for the edge cases."""

from __future__ import annotations

import http.server
import json
import sqlite3
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from crawl_support import scrapy_crawl, table
from replica_process import ReplicaProcess

from swampcrawl.runs import runs
from swampcrawl.store import Store, schema
from swampcrawl.store.runs import exit_code, run_figures, set_exit_status

FIGURES = ("requests", "responses", "new", "changed", "unchanged", "removed", "renamed", "errors", "exit_status")


def invoke(*args: str):
    return CliRunner().invoke(runs, list(args))


def listed(db: Path, *args: str) -> list[dict]:
    result = invoke("--db", str(db), "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# -- real crawls ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """Three runs into one database: stories, communities, then stories stopped at 5 pages.
    Returns (database, replica truth)."""
    data = tmp_path_factory.mktemp("runs")
    with ReplicaProcess(stories=12, seed=21) as replica:
        for spider, *args in (("stories",), ("communities",), ("stories", "-s", "CLOSESPIDER_PAGECOUNT=5")):
            result = scrapy_crawl(spider, *args, base_url=replica.base_url, data=data)
            assert result.returncode == 0, result.stderr[-3000:]
        return data / "swamp.db", replica.truth


def test_the_columns_hold_what_the_stats_say(crawled):
    db, truth = crawled
    rows = table(db, "crawl_runs")
    assert [(row["spider"], row["status"]) for row in rows] == [
        ("stories", "finished"), ("communities", "finished"), ("stories", "closespider_pagecount")]
    for row in rows:
        stats = json.loads(row["stats"])
        assert row["requests"] == stats["downloader/request_count"] > 0
        assert row["responses"] == stats["downloader/response_count"] > 0
        for name in ("new", "changed", "unchanged", "removed", "renamed"):
            assert row[name] == stats.get(f"swampcrawl/stories/{name}", 0)
        errors = sqlite3.connect(db).execute("SELECT count(*) FROM errors WHERE run_id = ?", [row["id"]]).fetchone()[0]
        assert row["errors"] == errors
        assert row["exit_status"] == 0
    # the first crawl stored every story of the replica, each one new
    assert rows[0]["new"] == len(truth["stories"]) == len(table(db, "stories"))
    assert rows[1]["new"] == 0


def test_the_table_lists_runs_newest_first_aligned(crawled):
    db, _ = crawled
    result = invoke("--db", str(db))
    assert result.exit_code == 0, result.output
    heading, *lines = result.stdout.splitlines()
    assert heading.split() == ["id", "spider", "status", "exit", "started", "duration", "requests",
                               "new", "changed", "unchanged", "removed", "renamed", "errors"]
    assert [line.split()[:3] for line in lines] == [
        ["3", "stories", "closespider_pagecount"], ["2", "communities", "finished"], ["1", "stories", "finished"]]
    # numbers are right-aligned under their heading: every column ends where its heading ends
    for name in ("exit", "requests", "new", "errors"):
        end = heading.index(name) + len(name)
        assert all(line[end - 1] != " " and (len(line) == end or line[end] == " ") for line in lines), name
    requests = {row["id"]: row["requests"] for row in table(db, "crawl_runs")}
    end = heading.index("requests") + len("requests")
    assert [line[:end].split()[-1] for line in lines] == [f"{requests[n]:,}" for n in (3, 2, 1)]


def test_json_limit_and_spider(crawled):
    db, _ = crawled
    every = listed(db)
    assert [run["id"] for run in every] == [3, 2, 1]
    stored = {row["id"]: row for row in table(db, "crawl_runs")}
    for run in every:
        assert {name: run[name] for name in FIGURES} == {name: stored[run["id"]][name] for name in FIGURES}
        assert run["started_at"].endswith("Z") and run["finished_at"] >= run["started_at"]
        assert run["duration_seconds"] == round(json.loads(stored[run["id"]]["stats"])["elapsed_time_seconds"], 1)
    assert [run["id"] for run in listed(db, "--limit", "1")] == [3]
    assert [run["id"] for run in listed(db, "--spider", "stories")] == [3, 1]
    assert listed(db, "--spider", "creators") == []
    assert invoke("--db", str(db), "--spider", "creators").stdout.strip() == f"no runs of creators in {db}"


def test_the_database_defaults_to_the_environment(crawled, monkeypatch):
    db, _ = crawled
    monkeypatch.setenv("SWAMPCRAWL_DB", str(db))
    result = CliRunner().invoke(runs, ["--json"])
    assert result.exit_code == 0 and len(json.loads(result.stdout)) == 3


class OneAnswer(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_a_site_that_never_answers_the_crawl_records_exit_1(tmp_path):
    """The base URL answers the command's first check, then nothing: the crawl finishes
    without a response, the store records exit status 0 for "finished", the command exits
    1 and records that."""
    server = http.server.HTTPServer(("127.0.0.1", 0), OneAnswer)
    base = f"http://127.0.0.1:{server.server_address[1]}"

    def answer_once() -> None:
        server.handle_request()
        server.server_close()

    thread = threading.Thread(target=answer_once, daemon=True)
    thread.start()
    result = scrapy_crawl("communities", base_url=base, data=tmp_path, timeout=120)
    thread.join(timeout=10)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "no response to any request" in result.stderr
    [run] = table(tmp_path / "swamp.db", "crawl_runs")
    assert (run["status"], run["exit_status"], run["responses"]) == ("finished", 1, 0)
    assert run["requests"] > 0 and run["errors"] > 0
    [shown] = listed(tmp_path / "swamp.db")
    assert shown["exit_status"] == 1


# -- by hand --------------------------------------------------------------------------------------


def test_exit_codes_by_status():
    assert [exit_code(s) for s in ("finished", "closespider_itemcount", "closespider_pagecount",
                                   "closespider_timeout")] == [0, 0, 0, 0]
    assert [exit_code(s) for s in ("failed", "closespider_errorcount", "store_failed")] == [1, 1, 1]
    assert exit_code("shutdown") == 130
    assert exit_code("running") is None and exit_code("killed") is None


def test_figures_count_missing_stats_as_0():
    figures = run_figures({"downloader/request_count": 7, "swampcrawl/stories/new": 3,
                           "swampcrawl/requests/failed": 2, "swampcrawl/stories/changed": "x"}, "finished", 1)
    assert figures == {"requests": 7, "responses": 0, "new": 3, "changed": 0, "unchanged": 0,
                       "removed": 0, "renamed": 0, "errors": 2, "exit_status": 4}
    assert run_figures({}, "finished", error_rows=4)["errors"] == 4
    assert run_figures({}, "finished")["exit_status"] == 0  # no errors: success


def test_running_and_killed_runs_have_no_figures(tmp_path):
    with Store(tmp_path / "swamp.db") as store:
        first = store.start_run("stories")
        store.mark_dead_runs()
        store.start_run("creators")
    killed, running = listed(tmp_path / "swamp.db")[::-1]
    assert (killed["id"], killed["status"], running["status"]) == (first, "killed", "running")
    assert all(run[name] is None for run in (killed, running) for name in FIGURES)
    assert running["duration_seconds"] is not None and killed["duration_seconds"] is None
    heading, *lines = invoke("--db", str(tmp_path / "swamp.db")).stdout.splitlines()
    assert lines[0].split()[:4] == ["2", "creators", "running", "-"] and lines[0].split()[-1] == "-"
    assert lines[1].split()[:4] == ["1", "stories", "killed", "-"]


def test_set_exit_status_finds_only_a_run_of_this_crawl(tmp_path):
    with Store(tmp_path / "swamp.db") as store:
        run_id = store.start_run("stories")
        store.finish_run(run_id, "finished", {"downloader/request_count": 3})
        assert store.run(run_id)["exit_status"] == 0
        assert set_exit_status(store.db, "stories", "2999-01-01T00:00:00Z", 1) is None  # started before
        assert set_exit_status(store.db, "creators", "2000-01-01T00:00:00Z", 1) is None  # another spider
        assert set_exit_status(store.db, "stories", "2000-01-01T00:00:00Z", 1) == run_id
        assert store.run(run_id)["exit_status"] == 1


def figures_version() -> int:
    [migration] = [m for m in schema.MIGRATIONS if m.name == "crawl_runs figures"]
    return migration.version


def test_runs_recorded_before_the_columns_are_read_from_their_stats(tmp_path, monkeypatch):
    db = tmp_path / "old.db"
    older = [m for m in schema.MIGRATIONS if m.version < figures_version()]
    with monkeypatch.context() as patched:
        patched.setattr(schema, "MIGRATIONS", older)
        Store(db).close()
    stats = {"downloader/request_count": 40, "downloader/response_count": 39, "swampcrawl/stories/new": 12,
             "swampcrawl/stories/unchanged": 5, "swampcrawl/requests/failed": 1, "elapsed_time_seconds": 65.0}
    with sqlite3.connect(db) as old:
        old.execute("INSERT INTO crawl_runs (spider, started_at, finished_at, status, stats) VALUES "
                    "('stories', '2026-11-24T09:30:00Z', '2026-11-24T09:31:05Z', 'shutdown', ?)", [json.dumps(stats)])
    [run] = listed(db)  # read only: the database stays as it was
    assert {name: run[name] for name in FIGURES} == {
        "requests": 40, "responses": 39, "new": 12, "changed": 0, "unchanged": 5, "removed": 0,
        "renamed": 0, "errors": 1, "exit_status": 130}
    assert "1 min 05 s" in invoke("--db", str(db)).stdout
    assert "requests" not in {row[1] for row in sqlite3.connect(db).execute("PRAGMA table_info(crawl_runs)")}
    with Store(db) as store:  # the migration fills the new columns from the stats
        assert {name: store.run(1)[name] for name in FIGURES} == {name: run[name] for name in FIGURES}


@pytest.mark.parametrize("content, message", [
    (None, "no database at"),
    (b"this is not a database, just some text " * 100, "file is not a database"),
    (b"", "has no crawl_runs table: not a swampcrawl database"),
])
def test_a_missing_or_unusable_database_is_one_line_and_exit_1(tmp_path, content, message):
    db = tmp_path / "swamp.db"
    if content is not None:
        db.write_bytes(content)
    result = invoke("--db", str(db))
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr
    assert "Traceback" not in result.output and result.stdout == ""
    assert content is not None or not db.exists()  # nothing created


def test_no_runs_yet(tmp_path):
    Store(tmp_path / "swamp.db").close()
    assert invoke("--db", str(tmp_path / "swamp.db")).stdout.strip() == f"no runs in {tmp_path / 'swamp.db'}"
    assert listed(tmp_path / "swamp.db") == []
