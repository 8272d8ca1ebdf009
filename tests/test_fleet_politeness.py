"""Shared politeness in a fleet: one request rate per host, robots.txt fetched once.

Three crawlers in this process stand for three workers: each builds its own middlewares and
its own Redis client, on one real redis-server, against a LocalSite on 127.0.0.1 whose log
says when each request arrived (the server's clock, not the test's).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from itertools import pairwise
from typing import Any
from urllib.parse import urlsplit

import pytest
import pytest_twisted
import redis
import scrapy
from local_site import LocalSite, SiteHandler, answers, html, too_many
from redis_support import redis_url  # noqa: F401 (a fixture)
from scrapy.crawler import AsyncCrawlerRunner, Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from scrapy.settings import Settings
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.test import get_crawler

from swampcrawl.fleet import keys
from swampcrawl.fleet.politeness import SharedRateLimit, delay_jitter
from swampcrawl.fleet.robots import SharedRobotsTxt

RATE_LIMIT = "swampcrawl.fleet.politeness.SharedRateLimit"
ROBOTS = "swampcrawl.fleet.robots.SharedRobotsTxt"
DELAY = 0.5
# A request leaves the middleware at its slot and reaches the server's log a moment later
# (a few ms: one process, one GIL); at most this much of the delay may be lost on the way.
SLACK = 0.1
WORKERS = 3
ROBOTS_TXT = "User-agent: *\nDisallow: /private\n"


class PagesSpider(scrapy.Spider):
    """Asks for ``urls`` (a spider argument), nothing else."""

    name = "fleet-pages"
    urls: Sequence[str] = ()

    async def start(self) -> AsyncIterator[Request]:
        for url in self.urls:
            yield Request(url, dont_filter=True)

    def parse(self, response: Response) -> None:
        return None


def worker_settings(redis_url: str, **overrides: Any) -> Settings:
    return Settings({
        "SWAMPCRAWL_REDIS_URL": redis_url,
        "LOG_LEVEL": "WARNING",
        "TELNETCONSOLE_ENABLED": False,
        "COOKIES_ENABLED": False,
        "RETRY_ENABLED": False,
        **overrides,
    })


async def crawl_together(settings: Settings, url_lists: list[list[str]],
                         started: Callable[[list[Crawler]], Awaitable[None]] | None = None) -> list[dict[str, Any]]:
    """A crawler (a worker) for each list of URLs, all running at once; their stats.
    ``started(crawlers)`` is awaited while they run."""
    runner = AsyncCrawlerRunner(settings)
    crawlers = [runner.create_crawler(PagesSpider) for _ in url_lists]
    runs = [asyncio.ensure_future(c.crawl_async(urls=urls)) for c, urls in zip(crawlers, url_lists)]
    if started is not None:
        await started(crawlers)
    await asyncio.gather(*runs)
    return [crawler.stats.get_stats() for crawler in crawlers]


def flush(redis_url: str) -> redis.Redis:
    server = redis.Redis.from_url(redis_url)
    server.flushdb()
    return server


# -- one request rate per host ---------------------------------------------------------------------

def rate_limit(redis_url: str, **settings: Any) -> SharedRateLimit:
    values = {"SWAMPCRAWL_REDIS_URL": redis_url, "DOWNLOAD_DELAY": 1000, "DOWNLOAD_DELAY_JITTER": 0, **settings}
    return SharedRateLimit.from_crawler(get_crawler(settings_dict=values))


def test_each_reservation_takes_the_next_slot_of_the_host(redis_url):
    flush(redis_url)
    first, second = rate_limit(redis_url), rate_limit(redis_url)  # two workers
    waits = [first.reserve("site.test"), second.reserve("site.test"), first.reserve("site.test")]
    # Each waits one delay (1000 s) more than the last, less the moments between the calls.
    assert waits[0] == 0 and 990 < waits[1] <= 1000 and 1990 < waits[2] <= 2000
    assert first.reserve("other.test") == 0  # hosts are apart


def test_jitter_varies_each_gap_as_a_download_slot_does(redis_url):
    flush(redis_url)
    worker = rate_limit(redis_url, DOWNLOAD_DELAY_JITTER=0.5)
    waits = [worker.reserve("site.test") for _ in range(20)]
    gaps = [later - earlier for earlier, later in pairwise(waits)]
    assert all(490 < gap <= 1500 for gap in gaps) and len({round(gap) for gap in gaps}) > 1


def test_the_jitter_is_read_as_scrapy_reads_it():
    assert delay_jitter(Settings()) == 0.5
    assert delay_jitter(Settings({"DOWNLOAD_DELAY_JITTER": 0.2})) == 0.2
    assert delay_jitter(Settings({"RANDOMIZE_DOWNLOAD_DELAY": False})) == 0.0  # deprecated, still honoured
    both = Settings({"RANDOMIZE_DOWNLOAD_DELAY": False})
    both.set("DOWNLOAD_DELAY_JITTER", 0.3, priority="cmdline")
    assert delay_jitter(both) == 0.3


def test_a_429_holds_the_host_for_every_worker(redis_url):
    flush(redis_url)
    told, other = rate_limit(redis_url, DOWNLOAD_DELAY=1), rate_limit(redis_url, DOWNLOAD_DELAY=1)
    request = Request("http://site.test/a")
    told.process_response(request, Response(request.url, status=429, headers={"Retry-After": "100"}))
    assert 90 < other.reserve("site.test") <= 100
    told.process_response(request, Response(request.url, status=503, headers={"Retry-After": "10"}))
    assert 90 < other.reserve("site.test") <= 102  # a shorter wait asked later does not shorten it
    told.process_response(request, Response(request.url, status=429, headers={"Retry-After": "3600"}))
    assert 110 < other.reserve("site.test") <= 120  # at most SWAMPCRAWL_RETRY_AFTER_MAX


@pytest.mark.parametrize("settings", [{"SWAMPCRAWL_REDIS_URL": ""}, {"DOWNLOAD_DELAY": 0}])
def test_no_redis_call_outside_a_fleet_or_without_a_delay(settings):
    # Port 9 (discard) has no Redis: a client built for it would fail its PING.
    values = {"SWAMPCRAWL_REDIS_URL": "redis://127.0.0.1:9/0", "DOWNLOAD_DELAY": 1, **settings}
    with pytest.raises(NotConfigured):
        SharedRateLimit.from_crawler(get_crawler(settings_dict=values))


@pytest_twisted.inlineCallbacks
def test_three_workers_leave_one_delay_between_requests_to_a_host(redis_url):
    flush(redis_url)
    with LocalSite() as site:
        site.before = html("<p>a page</p>")
        url_lists = [[f"{site.base_url}/w{w}/p{p}" for p in range(3)] for w in range(WORKERS)]
        settings = worker_settings(redis_url, DOWNLOAD_DELAY=DELAY, DOWNLOAD_DELAY_JITTER=0, ROBOTSTXT_OBEY=False,
                                   DOWNLOADER_MIDDLEWARES={RATE_LIMIT: 950})
        stats = yield deferred_from_coro(crawl_together(settings, url_lists))
        log = sorted(site.log)
    assert sorted(path for _, path in log) == sorted(urlsplit(url).path for urls in url_lists for url in urls)
    assert all(run["finish_reason"] == "finished" and run["downloader/response_count"] == 3 for run in stats)
    # Each worker's own downloader spaces its requests too: the waits are the fleet's.
    assert sum(run.get("swampcrawl/fleet/rate_limit/waits", 0) for run in stats) >= len(log) - 1
    gaps = [round(later - earlier, 3) for (earlier, _), (later, _) in pairwise(log)]
    assert min(gaps) >= DELAY - SLACK, list(zip(gaps, [path for _, path in log[1:]]))


@pytest_twisted.inlineCallbacks
def test_a_429_holds_every_worker_until_its_retry_after(redis_url):
    flush(redis_url)
    hold = 2.0
    with LocalSite() as site:
        site.before = answers(too_many(str(int(hold))))  # the first request of all, whichever it is
        url_lists = [[f"{site.base_url}/w{w}/p{p}" for p in range(3)] for w in range(WORKERS)]
        for url in (url for urls in url_lists for url in urls):
            site.route(urlsplit(url).path, html("<p>a page</p>"))
        settings = worker_settings(redis_url, DOWNLOAD_DELAY=DELAY, DOWNLOAD_DELAY_JITTER=0, ROBOTSTXT_OBEY=False,
                                   DOWNLOADER_MIDDLEWARES={RATE_LIMIT: 950})
        stats = yield deferred_from_coro(crawl_together(settings, url_lists))
        log = sorted(site.log)
    assert len(log) == WORKERS * 3  # the 429 is not retried here (no RetryAfterMiddleware)
    # Requests that had their slots within the hold already took new ones after it.
    assert sum(run.get("swampcrawl/fleet/rate_limit/slots_held", 0) for run in stats) > 0
    gaps = [round(later - earlier, 3) for (earlier, _), (later, _) in pairwise(log)]
    assert gaps[0] >= hold - SLACK and min(gaps[1:]) >= DELAY - SLACK, gaps


# -- robots.txt fetched once for the fleet --------------------------------------------------------

def slowly(answer):
    """``answer``, a moment late: the other workers are meanwhile waiting for the fleet's copy."""
    def late(handler: SiteHandler) -> Any:
        time.sleep(0.3)
        return answer(handler)
    return late


def not_found(handler: SiteHandler) -> None:
    handler.answer(404, b"<html><body>not here</body></html>", {"Content-Type": "text/html"})


def hang_up(handler: SiteHandler) -> None:
    """Close the connection without an answer: the fetch fails."""
    handler.close_connection = True


def robots_settings(redis_url: str) -> Settings:
    return worker_settings(redis_url, ROBOTSTXT_OBEY=True, DOWNLOADER_MIDDLEWARES={
        "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None, ROBOTS: 100})


def open_and_private(site: LocalSite) -> list[list[str]]:
    return [[f"{site.base_url}/open/w{w}", f"{site.base_url}/private/w{w}"] for w in range(WORKERS)]


@pytest.mark.parametrize(("robots", "obeyed"), [
    (html(ROBOTS_TXT), True),
    (not_found, False),  # no robots.txt: everything allowed, as in Scrapy
    (hang_up, False),  # the fetch failed: everything allowed, as in Scrapy
], ids=["rules", "404", "failed"])
@pytest_twisted.inlineCallbacks
def test_robots_txt_is_fetched_once_and_obeyed_by_every_worker(redis_url, robots, obeyed):
    flush(redis_url)
    with LocalSite() as site:
        site.route("/robots.txt", slowly(robots))
        site.before = lambda handler: False if handler.path == "/robots.txt" else html("<p>a page</p>")(handler)
        stats = yield deferred_from_coro(crawl_together(robots_settings(redis_url), open_and_private(site)))
        paths = site.paths()
    assert paths.count("/robots.txt") == 1
    assert sorted(p for p in paths if p.startswith("/open/")) == [f"/open/w{w}" for w in range(WORKERS)]
    private = sorted(p for p in paths if p.startswith("/private/"))
    assert private == ([] if obeyed else [f"/private/w{w}" for w in range(WORKERS)])
    assert [run.get("robotstxt/forbidden", 0) for run in stats] == [int(obeyed)] * WORKERS
    assert sorted(run.get("robotstxt/request_count", 0) for run in stats) == [0, 0, 1]
    assert sorted(run.get("swampcrawl/fleet/robotstxt/shared", 0) for run in stats) == [0, 1, 1]


@pytest_twisted.inlineCallbacks
def test_a_stored_robots_txt_is_obeyed_without_fetching_it(redis_url):
    server = flush(redis_url)
    with LocalSite() as site:
        site.before = html("<p>a page</p>")
        netloc = urlsplit(site.base_url).netloc
        server.hset(keys.host_robots(netloc), mapping={"status": "200", "body": ROBOTS_TXT})
        stats = yield deferred_from_coro(crawl_together(robots_settings(redis_url), open_and_private(site)[:1]))
        paths = site.paths()
    assert paths == ["/open/w0"] and stats[0]["robotstxt/forbidden"] == 1


def polls(crawler: Crawler) -> int:
    """How often the crawler found robots.txt being fetched by another worker, so far."""
    try:
        return crawler.stats.get_value("swampcrawl/fleet/robotstxt/polls", 0)
    except RuntimeError:  # its crawl has not started yet
        return 0


@pytest_twisted.inlineCallbacks
def test_a_worker_takes_over_from_one_that_died_fetching_robots_txt(redis_url):
    server = flush(redis_url)
    with LocalSite() as site:
        site.route("/robots.txt", html(ROBOTS_TXT))
        site.before = lambda handler: False if handler.path == "/robots.txt" else html("<p>a page</p>")(handler)
        lock = keys.host_robots_lock(urlsplit(site.base_url).netloc)
        server.set(lock, "a-worker-that-died", ex=600)

        async def lock_expires_once_waited_for(crawlers):
            for _ in range(3000):  # a minute at most: a worker that never waits fails the test below
                if any(polls(crawler) for crawler in crawlers):
                    break
                await asyncio.sleep(0.02)
            server.delete(lock)  # its TTL ran out

        stats = yield deferred_from_coro(
            crawl_together(robots_settings(redis_url), open_and_private(site), lock_expires_once_waited_for))
        paths = site.paths()
    assert paths.count("/robots.txt") == 1 and not [p for p in paths if p.startswith("/private/")]
    assert [run.get("robotstxt/forbidden", 0) for run in stats] == [1] * WORKERS
    assert sum(run.get("swampcrawl/fleet/robotstxt/polls", 0) for run in stats) > 0  # they did wait
    assert server.exists(lock) == 0  # let go once stored


def test_without_redis_it_is_scrapys_middleware():
    middleware = SharedRobotsTxt.from_crawler(get_crawler(settings_dict={"ROBOTSTXT_OBEY": True}))
    assert middleware.server is None
