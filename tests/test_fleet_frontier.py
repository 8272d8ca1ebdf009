"""The fleet's shared frontier (swampcrawl.fleet): JSON requests, leases, acks, reaping, and
workers that stop by themselves, against a real redis-server (tests/redis_support.py)."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from collections import Counter
from datetime import UTC, datetime

import pytest
import redis
import scrapy
from crawl_support import ROOT, scrapy_command
from redis_support import free_port, redis_url, server  # noqa: F401 (the fixtures)
from replica_process import ReplicaProcess
from scrapy import FormRequest, Request
from scrapy.settings import Settings
from scrapy.utils.request import request_from_dict

from swampcrawl.config import SettingsError
from swampcrawl.fleet import leases, serializer
from swampcrawl.fleet.connection import RedisUnreachable, redacted, redis_from_settings, warn_if_exposed
from swampcrawl.fleet.keys import CrawlKeys
from swampcrawl.fleet.queue import LEASE_META, LeasedPriorityQueue
from swampcrawl.records.provenance import WarcRef

from spiders.stories import StoriesSpider

KEYS = CrawlKeys("frontier-test")


class FrontierSpider(scrapy.Spider):
    """Callbacks for requests to name (a queued request names its callback by method name)."""

    name = KEYS.spider

    def route(self, response):  # pragma: no cover (never called: requests are only queued)
        return []

    def failed(self, failure):  # pragma: no cover
        return None



def queue_of(server, worker: str) -> LeasedPriorityQueue:
    return LeasedPriorityQueue(server, FrontierSpider(), KEYS.requests, serializer, worker=worker)


def urls(requests) -> list[str]:
    return [request.url for request in requests]


# -- the JSON serializer -----------------------------------------------------------------------


def real_requests(spider: FrontierSpider) -> list[Request]:
    ref = WarcRef("swampcrawl-20260102030405-00000-host.warc.gz", 1234, "<urn:uuid:5b6c>",
                  datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC), length=987, revisit=True,
                  payload_digest="sha1:ABCDEF")
    return [
        Request("http://127.0.0.1:8765/fiction/a-story?page=2", callback=spider.route, errback=spider.failed,
                priority=7, headers={"If-None-Match": '"abc"', "Accept": ["text/html", "*/*"]},
                meta={"previous_cards": frozenset({"http://x/a", "http://x/b"}), "listing_page": 2,
                      "declared_count": None, "warc": ref, "redirect_urls": ["http://x/old"], "pair": (1, "b"),
                      "seen": {3, 4}, "raw": b"\xff\x00\x80", "latency": 0.25, "flag": True,
                      "lookalike": {"$bytes": "a dict, not a tag"}, "by_number": {1: "one", b"k": (2,)}},
                cb_kwargs={"kind": "story"}, flags=["cached"], dont_filter=True),
        Request("http://127.0.0.1:8765/upload", method="POST", body=bytes(range(256)), callback=spider.route),
        FormRequest("http://127.0.0.1:8765/search", formdata={"q": "über", "page": "1"}, callback=spider.route),
    ]


def test_json_serializer_round_trips_real_requests():
    spider = FrontierSpider()
    for request in real_requests(spider):
        text = serializer.dumps(request.to_dict(spider=spider))
        assert isinstance(json.loads(text), dict)  # plain JSON text: nothing to unpickle
        back = request_from_dict(serializer.loads(text.encode()), spider=spider)
        assert type(back) is type(request)
        assert back.to_dict(spider=spider) == request.to_dict(spider=spider)
        assert back.callback == spider.route


def test_serializer_refuses_foreign_classes_and_unknown_values():
    with pytest.raises(ValueError, match="subprocess.Popen"):
        serializer.loads(json.dumps({"_class": "subprocess.Popen", "url": "http://x/", "args": ["true"]}))
    with pytest.raises(TypeError, match="cannot queue a object"):
        serializer.dumps({"meta": {"thing": object()}})


def test_queued_requests_come_back_equal_with_a_lease(server):
    spider = FrontierSpider()
    queue = LeasedPriorityQueue(server, spider, KEYS.requests, serializer, worker="a")
    request = real_requests(spider)[0]
    queue.push(request)
    back = queue.pop()
    assert back.meta.pop(LEASE_META) == "1"
    assert back.to_dict(spider=spider) == request.to_dict(spider=spider)
    # the queued text is JSON, and a lease it was popped under never goes back into the queue
    queue.push(back.replace(meta={**back.meta, LEASE_META: "1"}))
    data = server.zrange(KEYS.requests, 0, 0)[0]
    assert LEASE_META not in json.loads(data)["meta"]


# -- leases, acks, reaping ------------------------------------------------------------------------


def test_a_pop_is_a_lease_until_acknowledged(server):
    queue = queue_of(server, "a")
    for path, priority in [("low", 0), ("high", 10), ("mid", 5)]:
        queue.push(Request(f"http://x/{path}", priority=priority))
    first = queue.pop()
    assert first.url == "http://x/high"
    assert server.zcard(KEYS.requests) == 2
    held = server.hgetall(KEYS.leases("a"))
    assert list(held) == [first.meta[LEASE_META].encode()]
    assert json.loads(held[first.meta[LEASE_META].encode()])["score"] == "-10"
    assert server.sismember(KEYS.workers, "a")
    assert queue.ack(first) is True
    assert server.exists(KEYS.leases("a")) == 0
    assert queue.ack(first) is False  # once
    assert queue.ack(Request("http://x/never-popped")) is False


def test_a_dead_workers_leases_return_to_the_frontier_exactly_once(server):
    """Two workers hold leases; one stops beating. Eight reapers racing put its two requests
    back once, with their priorities; the live worker's lease is untouched."""
    a, b = queue_of(server, "a"), queue_of(server, "b")
    assert leases.beat(server, KEYS, "a", 30) and leases.beat(server, KEYS, "b", 30)
    for path, priority in [("p1", 3), ("p2", 2), ("p3", 1)]:
        a.push(Request(f"http://x/{path}", priority=priority))
    held_by_a = [a.pop(), a.pop()]
    held_by_b = b.pop()
    assert urls(held_by_a) == ["http://x/p1", "http://x/p2"] and held_by_b.url == "http://x/p3"
    server.delete(KEYS.heartbeat("a"))  # its heartbeat expired: the worker is dead

    counts: list[int] = []

    def reap() -> None:
        client = redis.Redis(connection_pool=server.connection_pool)
        counts.append(leases.reap_dead_workers(client, KEYS))

    reapers = [threading.Thread(target=reap) for _ in range(8)]
    for thread in reapers:
        thread.start()
    for thread in reapers:
        thread.join()
    assert sorted(counts) == [0] * 7 + [2]
    assert server.smembers(KEYS.workers) == {b"b"}
    assert server.exists(KEYS.leases("a")) == 0
    assert server.hlen(KEYS.leases("b")) == 1
    # back with their priorities, for a live worker to take in order
    assert [b.pop().url, b.pop().url, b.pop()] == ["http://x/p1", "http://x/p2", None]
    # the dead worker's acks find nothing, and nothing is reaped twice
    assert [a.ack(request) for request in held_by_a] == [False, False]
    assert leases.reap_dead_workers(server, KEYS) == 0
    assert server.hlen(KEYS.leases("b")) == 3


def test_a_reaped_worker_that_beats_again_rejoins(server):
    assert leases.beat(server, KEYS, "slow", 30) is True  # joins
    assert leases.beat(server, KEYS, "slow", 30) is False
    server.delete(KEYS.heartbeat("slow"))
    leases.reap_dead_workers(server, KEYS)
    assert not server.sismember(KEYS.workers, "slow")
    assert leases.beat(server, KEYS, "slow", 30) is True
    assert server.ttl(KEYS.heartbeat("slow")) > 0


def test_a_stopping_worker_puts_its_leases_back_and_leaves(server):
    queue = queue_of(server, "a")
    leases.beat(server, KEYS, "a", 30)
    for path in ("p1", "p2"):
        queue.push(Request(f"http://x/{path}"))
    queue.pop(), queue.pop()
    assert leases.leave(server, KEYS, "a") == 2
    assert server.zcard(KEYS.requests) == 2
    assert not server.exists(KEYS.leases("a"), KEYS.heartbeat("a"))
    assert not server.sismember(KEYS.workers, "a")


def test_requests_are_marked_seen_only_with_their_push(server):
    queue = queue_of(server, "a")
    request = Request("http://x/story")
    assert queue.push_unseen(request, KEYS.dupefilter, "fp1", KEYS.scheduled) is True
    assert queue.push_unseen(request, KEYS.dupefilter, "fp1", KEYS.scheduled) is False
    assert server.zcard(KEYS.requests) == 1
    assert server.smembers(KEYS.scheduled) == {b"http://x/story"}


def test_the_crawl_is_done_when_the_frontier_and_every_lease_are_empty(server):
    a, b = queue_of(server, "a"), queue_of(server, "b")
    leases.beat(server, KEYS, "a", 30), leases.beat(server, KEYS, "b", 30)
    a.push(Request("http://x/p1"))
    assert leases.finish_if_drained(server, KEYS) is False  # queued
    held = b.pop()
    assert leases.finish_if_drained(server, KEYS) is False  # leased to b
    assert not leases.is_finished(server, KEYS)
    b.ack(held)
    assert leases.finish_if_drained(server, KEYS) is True
    assert leases.is_finished(server, KEYS)


# -- the connection -------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://127.0.0.1:6379/0", "redis://127.0.0.1:port/0", "redis:///0",
                                 "redis://127.0.0.1:6379/zero", "127.0.0.1:6379"])
def test_a_bad_redis_url_is_one_settings_error(url):
    with pytest.raises(SettingsError, match=r"^SWAMPCRAWL_REDIS_URL must be a Redis URL such as redis://"):
        redis_from_settings({"SWAMPCRAWL_REDIS_URL": url})


def test_an_unreachable_redis_is_one_line_without_the_password():
    url = f"redis://:secret@127.0.0.1:{free_port()}/0"
    with pytest.raises(RedisUnreachable) as raised:
        redis_from_settings({"SWAMPCRAWL_REDIS_URL": url})
    message = str(raised.value)
    assert message.startswith(f"cannot reach Redis at {redacted(url)}: ") and "\n" not in message
    assert "secret" not in message and ":***@" in message


def test_a_redis_on_the_network_without_a_password_is_warned_about(caplog):
    warn_if_exposed("redis://127.0.0.1:6379/0")
    warn_if_exposed("redis://:pw@10.1.2.3:6379/0")
    assert not caplog.records
    warn_if_exposed("redis://10.1.2.3:6379/0")
    warn_if_exposed("redis://10.1.2.3:6379/0")  # once
    assert [record.levelname for record in caplog.records] == ["WARNING"]
    assert "10.1.2.3" in caplog.records[0].getMessage()


# -- fleet mode by settings alone ---------------------------------------------------------------


def test_the_redis_url_alone_switches_a_spider_to_fleet_mode():
    single, fleet = Settings(), Settings()
    for settings in (single, fleet):
        settings.setmodule("swampcrawl.settings", priority="project")
    fleet.set("SWAMPCRAWL_REDIS_URL", "redis://127.0.0.1:6379/3", priority="cmdline")
    StoriesSpider.update_settings(single)
    StoriesSpider.update_settings(fleet)
    assert single["SCHEDULER"] == "scrapy.core.scheduler.Scheduler"
    assert single.getdict("ITEM_PIPELINES") == {"pipelines.store.StorePipeline": 300}
    assert fleet["SCHEDULER"] == "swampcrawl.fleet.scheduler.FleetScheduler"
    assert fleet["SCHEDULER_QUEUE_CLASS"] == "swampcrawl.fleet.queue.LeasedPriorityQueue"
    assert fleet["SCHEDULER_SERIALIZER"] == "swampcrawl.fleet.serializer"
    assert fleet["DUPEFILTER_CLASS"] == "swampcrawl.fleet.dupefilter.FleetDupeFilter"
    assert fleet.getbool("SCHEDULER_PERSIST") and fleet.getint("SCHEDULER_IDLE_BEFORE_CLOSE") == 0
    assert fleet["REDIS_URL"] == "redis://127.0.0.1:6379/3"
    pipelines = fleet.getwithbase("ITEM_PIPELINES")
    assert pipelines["pipelines.fleet.FleetPipeline"] and pipelines["pipelines.store.StorePipeline"] is None
    assert fleet.getwithbase("EXTENSIONS")["swampcrawl.fleet.worker.FleetWorker"]
    middlewares = fleet.getwithbase("DOWNLOADER_MIDDLEWARES")
    assert middlewares["scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware"] is None
    assert middlewares["swampcrawl.fleet.robots.SharedRobotsTxt"]
    assert middlewares["swampcrawl.fleet.politeness.SharedRateLimit"]


# -- workers of a real crawl (`scrapy crawl` against the replica) -------------------------------

STORIES = CrawlKeys("stories")


@pytest.fixture(scope="module")
def replica():
    with ReplicaProcess(stories=20, seed=14) as running:
        yield running


class Worker:
    """``scrapy crawl stories`` as one worker of a fleet crawl, output to files (no pipe fills)."""

    def __init__(self, replica, data, redis_url, name: str, *args: str) -> None:  # noqa: F811
        self.out, self.err = data / f"{name}.out", data / f"{name}.err"
        command = scrapy_command("stories", "-s", f"SWAMPCRAWL_REDIS_URL={redis_url}", *args,
                                 base_url=replica.base_url, data=data)
        with self.out.open("w") as out, self.err.open("w") as err:
            self.proc = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=err, text=True)

    def wait(self, timeout: int = 240) -> tuple[int, list[str], str]:
        """(exit status, stdout lines, stderr)."""
        code = self.proc.wait(timeout=timeout)
        return code, self.out.read_text().splitlines(), self.err.read_text()


def test_two_workers_crawl_the_replica_together_and_stop_by_themselves(replica, server, redis_url, tmp_path):  # noqa: F811
    before = len(replica.requests())
    workers = [Worker(replica, tmp_path, redis_url, name) for name in ("a", "b")]
    for code, out, err in [worker.wait() for worker in workers]:
        assert code == 0, err
        assert len(out) == 1 and out[0].startswith("swampcrawl: stories finished in "), out
        assert "Traceback" not in err
    # the frontier and every lease are empty, the workers gone, the crawl marked done
    assert server.zcard(STORIES.requests) == 0
    assert server.keys(STORIES.leases("*")) == []
    assert server.smembers(STORIES.workers) == set()
    assert leases.is_finished(server, STORIES)
    # every story fetched, no page twice (robots.txt: once per host, by the fleet)
    log = [entry for entry in replica.requests()[before:] if entry["path"] != "/robots.txt"]
    assert {story["path"] for story in replica.truth["stories"]} <= {entry["path"] for entry in log}
    repeated = [key for key, n in Counter((e["host"], e["path"], e["query"]) for e in log).items() if n > 1]
    assert repeated == []
    assert list((tmp_path / "warc").glob("*.warc.gz")) and not list((tmp_path / "warc").glob("*.open"))
    assert not (tmp_path / "swamp.db").exists()  # workers never write the database: ingest does


def test_a_killed_workers_requests_are_fetched_by_the_other_and_nothing_is_lost(server, redis_url, tmp_path):  # noqa: F811
    """SIGKILL one of two workers while it holds leases: once its heartbeat expires (3 s here),
    the other takes its requests back, fetches each again at most once, and ends the crawl."""
    with ReplicaProcess(stories=60, seed=15) as replica:
        # A delay shared by the fleet (swampcrawl.fleet.politeness): requests wait in their
        # leases, so the victim holds some whenever it is looked at, however fast the machine.
        lease = ("-s", "SWAMPCRAWL_REDIS_LEASE_SECONDS=3", "-s", "DOWNLOAD_DELAY=0.02")
        victim, survivor = (Worker(replica, tmp_path, redis_url, name, *lease) for name in ("victim", "survivor"))
        held = wait_for_leases(server, victim.proc, replica)
        victim.proc.kill()
        code, out, err = survivor.wait()
        assert victim.wait()[0] == -9
        assert code == 0, err
        assert out[0].startswith("swampcrawl: stories finished in ")
        log = [entry for entry in replica.requests() if entry["path"] != "/robots.txt"]
        assert {story["path"] for story in replica.truth["stories"]} <= {entry["path"] for entry in log}
    assert f"fleet worker {held} stopped beating" in err
    assert max(Counter((e["host"], e["path"], e["query"]) for e in log).values()) <= 2  # once more, at most
    assert server.zcard(STORIES.requests) == 0 and server.keys(STORIES.leases("*")) == []
    assert server.smembers(STORIES.workers) == set() and leases.is_finished(server, STORIES)


def test_an_interrupted_worker_leaves_the_rest_for_the_next(replica, server, redis_url, tmp_path):  # noqa: F811
    """Ctrl-C: the worker finishes what it holds, leaves, and exits 130; the frontier keeps the
    rest, the crawl is not done, and a worker started later finishes it."""
    before = len(replica.requests())
    first = Worker(replica, tmp_path, redis_url, "first", "-s", "DOWNLOAD_DELAY=0.02")  # (as above)
    wait_for_leases(server, first.proc, replica, after=before + 40)
    first.proc.send_signal(signal.SIGINT)
    code, out, err = first.wait()
    assert code == 130, err
    assert out[0].startswith("swampcrawl: stories shutdown in ")
    assert server.zcard(STORIES.requests) > 0 and server.keys(STORIES.leases("*")) == []
    assert server.smembers(STORIES.workers) == set() and not leases.is_finished(server, STORIES)
    code, out, err = Worker(replica, tmp_path, redis_url, "next").wait()
    assert code == 0, err
    assert server.zcard(STORIES.requests) == 0 and leases.is_finished(server, STORIES)
    log = [entry for entry in replica.requests()[before:] if entry["path"] != "/robots.txt"]
    assert {story["path"] for story in replica.truth["stories"]} <= {entry["path"] for entry in log}


def wait_for_leases(server, proc, replica, after: int = 100, timeout: float = 60) -> str:
    """The id of the worker running as ``proc``, once it holds leases and the replica has
    answered more than ``after`` requests."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ids = [w.decode() for w in server.smembers(STORIES.workers) if f"-{proc.pid}-" in w.decode()]
        if ids and server.hlen(STORIES.leases(ids[0])) and len(replica.requests()) > after:
            return ids[0]
        time.sleep(0.02)
    raise AssertionError(f"the worker never held a lease past the replica's request {after}")


def test_a_worker_joining_a_finished_crawl_exits_at_once(replica, server, redis_url, tmp_path):  # noqa: F811
    server.set(STORIES.done, "2026-01-02T03:04:05Z")
    before = len(replica.requests())
    code, out, err = Worker(replica, tmp_path, redis_url, "late").wait()
    assert code == 0, err
    assert out == ["swampcrawl: stories: the fleet crawl in Redis was already finished; nothing to do"]
    assert "Traceback" not in err
    assert replica.requests()[before:] == []  # nothing fetched (its reachability check opens a connection only)
    assert server.smembers(STORIES.workers) == set() and server.zcard(STORIES.requests) == 0


def test_an_unreachable_redis_is_one_line_and_exit_1(tmp_path):
    url = f"redis://127.0.0.1:{free_port()}/0"
    command = scrapy_command("stories", "-s", f"SWAMPCRAWL_REDIS_URL={url}", base_url="http://127.0.0.1:9",
                             data=tmp_path)
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"scrapy crawl: error: cannot reach Redis at {url}: ")


def test_a_bad_redis_url_is_one_line_and_exit_2(tmp_path):
    command = scrapy_command("stories", "-s", "SWAMPCRAWL_REDIS_URL=localhost:6379", base_url="http://127.0.0.1:9",
                             data=tmp_path)
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == ["scrapy crawl: error: SWAMPCRAWL_REDIS_URL must be a Redis URL such as redis://127.0.0.1:6379/0, "
                     "not 'localhost:6379'"]
