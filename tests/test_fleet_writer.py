"""The fleet's single writer: FleetPipeline's messages, and `swampcrawl ingest`, on a real Redis.

The same crawl events (archived responses, extracted records from the saved pages of
tests/fixtures, failed requests) are driven through StorePipeline into one database and
through FleetPipeline + `swampcrawl ingest` into another: the two must be equal (bookkeeping
aside: run ids). A writer killed with SIGKILL in the middle of a drain loses no message and
stores none twice; bad input is one line and the crawl's exit codes.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
import redis
import scrapy
from click.testing import CliRunner
from scrapy.exceptions import DropItem
from scrapy.http import Request, Response
from scrapy.utils.test import get_crawler

from pipelines.fleet import FleetPipeline
from pipelines.store import StorePipeline
from redis_support import redis_url, server  # noqa: F401 (the fixtures)
from swampcrawl.cli import main
from swampcrawl.fleet.ingest import CrawlWriter, add_worker_stats, batch_marker
from swampcrawl.fleet.keys import CrawlKeys
from swampcrawl.fleet.messages import MessageError, closed_text, decode_rows, encode_row, parse_message, rows_text
from swampcrawl.lock import CrawlLock
from swampcrawl.pages import extract
from swampcrawl.pages.links import rules_for
from swampcrawl.records import Record
from swampcrawl.records.provenance import WarcRef, with_provenance
from swampcrawl.store import Store
from swampcrawl.store.ingest import Exchange, record_rows, response_rows
from swampcrawl.store.schema import TABLES

BASE = "http://127.0.0.1:48765"
FIXTURES = Path(__file__).parent / "fixtures"
T0 = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
KEYS = CrawlKeys("stories")
SWAMPCRAWL = Path(sys.executable).parent / "swampcrawl"
HTML = [("Content-Type", "text/html; charset=utf-8")]


class Stories(scrapy.Spider):
    name = "stories"


def ref(n: int) -> WarcRef:
    return WarcRef("swampcrawl-test-00001.warc.gz", 1000 * n, f"<urn:uuid:{n:08d}>", T0 + timedelta(minutes=n),
                   length=400 + n, revisit=n % 4 == 0, payload_digest=f"sha1:{n:032d}")


def saved_pages() -> list[tuple[str, bytes, str]]:
    """(url, body, kind) of the replica's saved pages: stories, creators, communities, listings."""
    pages = []
    for case in sorted(FIXTURES.glob("*/replica-*")):
        meta = json.loads((case / "meta.json").read_text())
        pages.append((meta["url"], (case / "body.html").read_bytes(), case.parent.name))
    return pages


def crawl_events() -> list[tuple]:
    """What a crawl's pipeline hears, in order: responses archived, records, failed requests."""
    events: list[tuple] = [("archived", f"{BASE}/robots.txt", 200, [("Content-Type", "text/plain")], ref(1))]
    stories = []
    for n, (url, body, kind) in enumerate(saved_pages(), start=2):
        headers = HTML + [("ETag", f'"v{n}"'), ("Last-Modified", "Tue, 24 Nov 2026 09:00:00 GMT")]
        events.append(("archived", url, 200, headers, ref(n)))
        events.append(("item", with_provenance(extract(body, url, ref(n).date), ref(n))))
        stories += [url] if kind == "story" else []
    n = len(events) + 100
    events += [
        ("archived", stories[0], 404, HTML, ref(n)),  # removed
        ("archived", stories[1], 304, [("ETag", '"v3"')], ref(n + 1)),  # seen again
        ("archived", f"{BASE}/img/missing.png", 404, [("Content-Type", "image/png")], ref(n + 2)),
        ("archived", f"{BASE}/old-story", 301, [("Location", "/theSwamp")], ref(n + 3)),
        # a maintenance page where a story should be: an errors row, dropped
        ("item", with_provenance(extract(b"<html><body>Down for maintenance</body></html>",
                                         f"{BASE}/theSwamp/gone", ref(n + 4).date), ref(n + 4))),
        # a record whose response could not be archived: dropped
        ("item", extract(b"<html><body>x</body></html>", f"{BASE}/theSwamp/unarchived", T0)
         .model_copy(update={"warc_record_id": None})),
        ("failed", f"{BASE}/theSwamp/broken", "story", "HTTP 500", 3, 500),
        ("failed", f"{BASE}/authors/nobody", "creator", "TCP connection refused", 3, None),
    ]
    return events


def drive(pipeline, crawler, events: list[tuple]) -> None:
    pipeline.open_spider()
    for kind, *args in events:
        if kind == "archived":
            url, status, headers, warc = args
            pipeline.response_archived(Response(url, status=status, headers=headers), Request(url), warc)
        elif kind == "item":
            try:
                pipeline.process_item(args[0])
            except DropItem:
                pass
        else:
            pipeline.request_failed(*args)
    if hasattr(pipeline, "close_spider"):  # as Scrapy calls it
        pipeline.close_spider()
    pipeline.spider_closed(crawler.spider, "finished")


def crawler_for(tmp_path: Path, **settings):
    crawler = get_crawler(Stories, {
        "SWAMPCRAWL_BASE_URL": BASE, "SWAMPCRAWL_WARC_DIR": str(tmp_path / "warc"),
        "EXTENSIONS": {"archive.capture.WarcCapture": 100, "swampcrawl.fleet.worker.FleetWorker": 200},
        **settings})
    crawler.spider = Stories.from_crawler(crawler)
    return crawler


def table_rows(db_path: Path) -> dict[str, list[dict]]:
    """Every row of every table but crawl_runs, in insertion order, without run ids."""
    with sqlite3.connect(db_path) as db:
        db.row_factory = sqlite3.Row
        return {table: [{k: row[k] for k in row.keys() if k != "run_id"}
                        for row in db.execute(f"SELECT * FROM {table} ORDER BY rowid")]
                for table in TABLES if table != "crawl_runs"}


def runs(db_path: Path) -> list[dict]:
    with Store(db_path) as store:
        ids = [row[0] for row in store.db.execute("SELECT id FROM crawl_runs ORDER BY id")]
        return [store.run(run_id) for run_id in ids]


def ingest(url: str, db: Path, *args: str):
    return CliRunner().invoke(main, ["ingest", "--redis", url, "--db", str(db), *args])



@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    """A failed request's ``at`` is the moment it is reported: the same in both databases."""
    monkeypatch.setattr("pipelines.rows.now_iso", lambda: "2026-11-24T12:00:00Z")


# -- messages: every row value comes back exactly ----------------------------------------------


def every_row() -> list:
    rules = rules_for(BASE)
    rows = []
    for kind, *args in crawl_events():
        if kind == "archived":
            url, status, headers, warc = args
            rows += response_rows(Exchange(url, status, headers, ref=warc), rules, None)
        elif kind == "item":
            rows += record_rows(args[0], rules, None)
    return rows


def same_types(a, b) -> bool:
    if isinstance(a, dict):
        return type(b) is dict and a.keys() == b.keys() and all(same_types(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return type(b) is list and len(a) == len(b) and all(map(same_types, a, b))
    if isinstance(a, Record):
        return type(a) is type(b) and same_types(dict(a), dict(b))
    if isinstance(a, datetime):
        return type(b) is datetime and a.tzinfo == b.tzinfo and a.utcoffset() == b.utcoffset()
    return type(a) is type(b) or (isinstance(a, str) and type(b) is str)  # a page kind's StrEnum: its text


def test_every_row_survives_the_json_round_trip_exactly():
    rows = every_row()
    assert {table for table, _ in rows} >= {"stories", "creators", "communities", "captures", "removed", "seen",
                                            "errors", "creators_minimal", "communities_minimal"}
    decoded = decode_rows(json.loads(json.dumps([[table, encode_row(row)] for table, row in rows])))
    assert decoded == rows
    assert all(same_types(a, b) for (_, a), (_, b) in zip(rows, decoded))


def test_datetimes_keep_their_microseconds_and_zone():
    moments = [datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC), datetime(2026, 1, 2, 3, 4, 5),
               datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-5)))]
    row = {"url": "u", "captured_at": moments[0], "at": moments[1], "other": moments[2], "flag": True, "n": 0.5}
    back = decode_rows(json.loads(json.dumps([["captures", encode_row(row)]])))[0][1]
    assert back == row and same_types(row, back)


@pytest.mark.parametrize("value", [("a", "b"), b"bytes", {"a"}, {"nested": 1}, object()])
def test_a_value_json_would_change_is_refused(value):
    with pytest.raises(TypeError):
        encode_row({"url": "u", "value": value})


@pytest.mark.parametrize("text", ["not json", "[]", '{"worker": "w", "seq": 0}', '{"worker": "w", "seq": 1, "rows": '
                                  '[["nowhere", {}]]}', '{"worker": "w", "seq": 2, "rows": [["captures", '
                                  '{"at": {"$datetime": "yesterday"}}]]}', '{"worker": "w", "seq": 3, "closed": 1}'])
def test_a_message_no_worker_wrote_is_refused(text):
    with pytest.raises(MessageError):
        parse_message(text)


# -- the same database as a single crawl's -------------------------------------------------------


def test_fleet_pipeline_and_ingest_build_the_store_pipelines_database(tmp_path, server, redis_url):  # noqa: F811
    events = crawl_events()
    single = crawler_for(tmp_path, SWAMPCRAWL_DB=str(tmp_path / "single.db"))
    drive(StorePipeline.from_crawler(single), single, events)

    worker = crawler_for(tmp_path, SWAMPCRAWL_DB=str(tmp_path / "fleet.db"), SWAMPCRAWL_REDIS_URL=redis_url)
    drive(FleetPipeline.from_crawler(worker), worker, events)
    assert not (tmp_path / "fleet.db").exists()  # a worker never writes the database
    messages = [parse_message(text) for text in server.lrange(KEYS.rows, 0, -1)]
    assert [m.kind for m in messages[:1] + messages[-1:]] == ["opened", "closed"]
    assert all(m.worker == messages[0].worker for m in messages) and [m.seq for m in messages] == list(range(len(messages)))
    assert all(row.get("run_id", None) is None for m in messages if m.kind == "rows" for _, row in m.body
               if isinstance(row, dict))
    server.set(KEYS.done, "2026-11-24T12:00:00Z")  # what the last worker does when the frontier is empty

    result = ingest(redis_url, tmp_path / "fleet.db", "--spider", "stories")
    assert result.exit_code == 4, result.output  # finished, with URLs that failed (as the single crawl)
    assert result.stdout.startswith("swampcrawl: stories finished in "), result.output
    assert table_rows(tmp_path / "fleet.db") == table_rows(tmp_path / "single.db")
    [store_run], [fleet_run] = runs(tmp_path / "single.db"), runs(tmp_path / "fleet.db")
    figures = ("spider", "status", "requests", "responses", "new", "changed", "unchanged", "removed", "renamed",
               "errors", "exit_status")
    assert {k: fleet_run[k] for k in figures} == {k: store_run[k] for k in figures}
    assert fleet_run["settings"]["SWAMPCRAWL_BASE_URL"] == BASE
    same_stats = [k for k in store_run["stats"] if k.startswith(("swampcrawl/store/", "swampcrawl/stories/",
                  "swampcrawl/requests/", "swampcrawl/pages/", "swampcrawl/items/", "swampcrawl/warc/"))]
    assert {k: fleet_run["stats"].get(k) for k in same_stats} == {k: store_run["stats"][k] for k in same_stats}
    assert store_run["stats"]["swampcrawl/items/not_archived"] == 1 and store_run["stats"]["swampcrawl/pages/unusable"] == 1
    assert fleet_run["stats"]["swampcrawl/fleet/workers/finished"] == 1
    assert server.keys(f"{KEYS.prefix}:*") == []  # the crawl's keys are gone: the next one starts afresh


def test_a_failed_push_stops_the_worker_and_its_messages_go_later_in_order(tmp_path, server, redis_url):  # noqa: F811
    worker = crawler_for(tmp_path, SWAMPCRAWL_REDIS_URL=redis_url)
    pipeline = FleetPipeline.from_crawler(worker)
    rpush, calls = server.rpush, []

    def flaky_rpush(key, *values):  # Redis away for the second and third pushes
        calls.append(len(values))
        if len(calls) in (2, 3):
            raise redis.ConnectionError("Connection refused")
        return rpush(key, *values)

    pipeline.server = SimpleNamespace(rpush=flaky_rpush)
    worker.engine = SimpleNamespace(spider=None)  # no crawl running to stop
    drive(pipeline, worker, crawl_events()[:4])
    messages = [parse_message(text) for text in server.lrange(KEYS.rows, 0, -1)]
    # opened, 4 events, closed: the 2nd and 3rd pushes failed, the 4th sent all three in order
    assert [m.seq for m in messages] == list(range(6)) and calls == [1, 1, 2, 3, 1, 1]
    assert messages[-1].body["status"] == "failed"
    assert worker.stats.get_value("swampcrawl/run/status") == "failed"
    assert worker.stats.get_value("swampcrawl/store/error") == "ConnectionError: Connection refused"


# -- a writer killed mid-drain ----------------------------------------------------------------


def requisite_404_messages(count: int) -> list[str]:
    """Messages of `count` images that answered 404: a captures row and an errors row each
    (errors rows are never merged: a message stored twice would show)."""
    rules = rules_for(BASE)
    return [rows_text("w1", n, response_rows(Exchange(f"{BASE}/img/{n}.png", 404, [("Content-Type", "image/png")],
                                                      ref=ref(n)), rules, None)) for n in range(count)]


def test_a_writer_killed_mid_drain_loses_nothing_and_stores_nothing_twice(tmp_path, server, redis_url):  # noqa: F811
    def unstored() -> int:  # messages still in Redis, taken (processing) or not
        return server.llen(KEYS.rows) + server.llen(f"{KEYS.rows}:processing")

    count = 3000
    server.rpush(KEYS.rows, *requisite_404_messages(count))
    server.set(KEYS.done, "2026-11-24T12:00:00Z")
    db = tmp_path / "fleet.db"
    command = [str(SWAMPCRAWL), "ingest", "--redis", redis_url, "--db", str(db), "--spider", "stories", "--batch", "1"]
    writer = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    while unstored() == count and writer.poll() is None:  # until its first batch is committed
        time.sleep(0.01)
    writer.send_signal(signal.SIGKILL)
    writer.communicate(timeout=60)
    assert 0 < unstored() < count  # killed in the middle of the drain

    again = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert again.returncode == 4, again.stderr  # finished; the images that answered 404 are errors
    assert again.stdout.startswith("swampcrawl: stories finished"), again.stdout
    with sqlite3.connect(db) as conn:
        urls = [row[0] for row in conn.execute("SELECT url FROM errors ORDER BY id")]
        captures = conn.execute("SELECT count(*) FROM captures").fetchone()[0]
        statuses = conn.execute("SELECT status FROM crawl_runs").fetchall()
    assert sorted(urls) == sorted(f"{BASE}/img/{n}.png" for n in range(count))  # each once
    assert captures == count and statuses == [("finished",)]  # one run: the killed writer's, continued
    assert server.keys(f"{KEYS.prefix}:*") == []


def test_a_batch_committed_just_before_the_writer_died_is_not_written_again(tmp_path, server):
    messages = requisite_404_messages(5)
    server.rpush(KEYS.rows, *messages)
    with Store(tmp_path / "fleet.db") as store:
        writer = CrawlWriter(server, store, "stories", batch=100, warn=pytest.fail)
        writer.begin()
        server.delete = lambda *names: 0  # the writer dies between its commit and the delete
        assert writer.take()
        del server.delete
        assert server.lrange(f"{KEYS.rows}:processing", 0, -1) == [m.encode() for m in messages]
        assert writer.stats["swampcrawl/fleet/committed_batch"] == batch_marker([m.encode() for m in messages])

        again = CrawlWriter(server, store, "stories", batch=100, warn=pytest.fail)
        again.begin()  # the run continued, the committed batch dropped
        assert again.run_id == writer.run_id and not again.take()
        assert store.db.execute("SELECT count(*) FROM errors").fetchone()[0] == 5


def test_a_batch_taken_but_not_committed_is_written_by_the_next_writer(tmp_path, server):
    messages = requisite_404_messages(4)
    server.rpush(f"{KEYS.rows}:processing", *messages[:3])  # moved by a writer killed before its commit
    server.rpush(KEYS.rows, messages[3])
    with Store(tmp_path / "fleet.db") as store:
        writer = CrawlWriter(server, store, "stories", batch=100, warn=pytest.fail)
        writer.begin()
        assert writer.take() and not writer.take()
        urls = [row[0] for row in store.db.execute("SELECT url FROM errors ORDER BY id")]
    assert urls == [f"{BASE}/img/{n}.png" for n in range(4)]
    assert server.llen(f"{KEYS.rows}:processing") == 0


def test_the_workers_stats_are_summed_into_the_run():
    total = {}
    add_worker_stats(total, {"status": "finished", "stats": {"item_scraped_count": 3, "memusage/max": 10, "x": True,
                                                              "start_time": "2026-11-24T09:30:00Z"}})
    add_worker_stats(total, {"status": "shutdown", "stats": {"item_scraped_count": 4, "memusage/max": 7,
                                                              "elapsed_time_seconds": 5.5}})
    assert total == {"item_scraped_count": 7, "memusage/max": 10, "swampcrawl/fleet/workers": 2,
                     "swampcrawl/fleet/workers/finished": 1, "swampcrawl/fleet/workers/shutdown": 1}


def test_every_crawl_in_redis_gets_its_run_and_a_bad_message_is_skipped(tmp_path, server, redis_url):  # noqa: F811
    creators = CrawlKeys("creators")
    server.rpush(KEYS.rows, *requisite_404_messages(3))
    server.rpush(creators.rows, "not a message", closed_text("w2", 0, "finished", {"item_scraped_count": 2}))
    for keys in (KEYS, creators):
        server.set(keys.done, "2026-11-24T12:00:00Z")
    result = ingest(redis_url, tmp_path / "fleet.db")
    assert result.exit_code == 4, result.output
    assert [line.split(" in ")[0] for line in result.stdout.splitlines()] == [
        "swampcrawl: stories finished", "swampcrawl: creators finished"]
    assert result.stderr.startswith("swampcrawl ingest: warning: skipped a message of the creators crawl")
    stories, creators_run = runs(tmp_path / "fleet.db")
    assert (stories["spider"], stories["errors"], creators_run["spider"]) == ("stories", 3, "creators")
    assert creators_run["stats"]["item_scraped_count"] == 2 and creators_run["stats"]["swampcrawl/fleet/bad_messages"] == 1
    assert server.keys("swampcrawl:*") == []


# -- --no-wait, interrupts, dead workers ----------------------------------------------------------


def test_no_wait_stores_what_is_queued_and_the_next_ingest_continues_the_run(tmp_path, server, redis_url):  # noqa: F811
    messages = requisite_404_messages(6)
    db = tmp_path / "fleet.db"
    server.rpush(KEYS.rows, *messages[:4])
    server.sadd(KEYS.workers, "w1")
    server.set(KEYS.heartbeat("w1"), "alive", ex=300)
    first = ingest(redis_url, db, "--no-wait")
    assert first.exit_code == 4, first.output  # stored as asked; the images that answered 404 are errors
    assert first.stdout.startswith("swampcrawl: stories incomplete in "), first.output
    [run] = runs(db)
    assert run["status"] == "incomplete" and run["exit_status"] == 4
    server.rpush(KEYS.rows, *messages[4:])
    server.delete(KEYS.workers, KEYS.heartbeat("w1"))
    server.set(KEYS.done, "2026-11-24T12:00:00Z")
    second = ingest(redis_url, db)
    assert second.exit_code == 4, second.output
    [run] = runs(db)
    assert run["status"] == "finished"
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*), min(run_id), max(run_id) FROM errors").fetchone() == (6, run["id"], run["id"])


def test_a_dead_workers_requests_go_back_to_the_frontier(tmp_path, server, redis_url):  # noqa: F811
    server.sadd(KEYS.workers, "dead")  # no heartbeat
    server.hset(KEYS.leases("dead"), "lease-1", json.dumps({"score": -5, "data": "the request"}))
    result = ingest(redis_url, tmp_path / "fleet.db", "--no-wait")
    assert result.exit_code == 0, result.output
    assert "fleet worker dead stopped beating" in result.stderr
    assert server.zrange(KEYS.requests, 0, -1, withscores=True) == [(b"the request", -5.0)]
    assert server.smembers(KEYS.workers) == set()


def test_an_interrupted_writer_exits_130_and_leaves_the_rest_in_redis(tmp_path, server, redis_url):  # noqa: F811
    server.rpush(KEYS.rows, *requisite_404_messages(2))  # no done: the writer waits for the crawl
    db = tmp_path / "fleet.db"
    writer = subprocess.Popen([str(SWAMPCRAWL), "ingest", "--redis", redis_url, "--db", str(db)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while server.llen(KEYS.rows) and writer.poll() is None:
        time.sleep(0.01)
    writer.send_signal(signal.SIGINT)
    out, err = writer.communicate(timeout=60)
    assert writer.returncode == 130, err
    assert out.startswith("swampcrawl: stories shutdown in "), out
    [run] = runs(db)
    assert run["status"] == "shutdown" and run["exit_status"] == 130
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM errors").fetchone()[0] == 2  # taken, so stored
    assert server.get(f"{KEYS.prefix}:run") == f"{run['id']} {run['started_at']}".encode()  # for the next ingest


def test_nothing_queued_is_said_in_one_line(tmp_path, server, redis_url):  # noqa: F811
    result = ingest(redis_url, tmp_path / "fleet.db", "--no-wait")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [f"swampcrawl ingest: nothing queued: no fleet crawl of stories or "
                                          f"creators or communities in Redis at {redis_url}"]


# -- bad input: one line, the crawl's exit codes ----------------------------------------------------


@pytest.mark.parametrize("args, code, start", [
    (["--redis", "redis://127.0.0.1:1/0"], 1, "cannot reach Redis at redis://127.0.0.1:1/0"),
    (["--redis", "http://127.0.0.1/0"], 2, "--redis must be a Redis URL"),
    (["--redis", ""], 2, "give the fleet's Redis"),
    (["--spider", "nobody"], 2, "no spider named 'nobody'"),
    (["--batch", "0"], 2, "--batch must be at least 1"),
    (["--batch", "many"], 2, "--batch must be a whole number"),
])
def test_bad_options_are_one_line(tmp_path, server, redis_url, monkeypatch, args, code, start):  # noqa: F811
    monkeypatch.delenv("SWAMPCRAWL_REDIS_URL", raising=False)
    result = CliRunner().invoke(main, ["ingest", "--redis", redis_url, "--db", str(tmp_path / "x.db"), *args])
    assert result.exit_code == code
    assert result.stderr.startswith(f"swampcrawl ingest: error: {start}") and len(result.stderr.splitlines()) == 1


def test_a_locked_database_is_one_line_and_exit_3(tmp_path, server, redis_url):  # noqa: F811
    with CrawlLock(tmp_path / "x.db"):
        result = ingest(redis_url, tmp_path / "x.db")
    assert result.exit_code == 3
    assert result.stderr.startswith("swampcrawl ingest: error: database") and len(result.stderr.splitlines()) == 1


def test_a_damaged_database_is_one_line_and_exit_1(tmp_path, server, redis_url):  # noqa: F811
    (tmp_path / "x.db").write_bytes(b"not a database at all" * 100)
    result = ingest(redis_url, tmp_path / "x.db")
    assert result.exit_code == 1
    assert result.stderr.startswith("swampcrawl ingest: error: ") and len(result.stderr.splitlines()) == 1
