"""WarcCapture in a real crawl: a Scrapy process against a tiny local server, then the WARC."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from archive.reader import iter_captures
from archive_support import assert_folder_valid, read_records, warc_files
from archive_support import every_written_warc_is_valid  # noqa: F401 (autouse: warcio checks)

STORY = b"<html><head><title>Story</title></head><body><p>swamp</p></body></html>"
HOME = b'<html><body><a href="/old">old</a> <a href="/missing">x</a> <a href="/story?x=1">q</a></body></html>'

CRAWL_SCRIPT = r'''
import json, sys
import scrapy
from scrapy.crawler import CrawlerProcess

from archive.capture import WarcCapture
from swampcrawl.signals import response_archived

class ItemMetadata:
    """A pipeline that finds the capture (get_extension) and records an item beside its response."""
    def __init__(self, crawler):
        self.capture = crawler.get_extension(WarcCapture)
        crawler.signals.connect(self.archived, signal=response_archived)
    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)
    def archived(self, response, request, ref, spider):
        ARCHIVED.append({"url": response.url, "record_id": ref.record_id, "meta": request.meta["warc"].record_id})
    def process_item(self, item):
        warc = item["warc"]
        self.capture.write_metadata(item["url"], warc.record_id, {"title": item["title"]})
        ITEMS.append({"url": item["url"], "title": item["title"], "warc": warc.as_dict()})
        return item

class TinySpider(scrapy.Spider):
    name = "tiny"
    async def start(self):
        yield scrapy.Request(BASE + "/")
    def parse(self, response):
        for href in response.css("a::attr(href)").getall():
            yield response.follow(href)
        if response.css("title"):
            yield {"url": response.url, "title": response.css("title::text").get(), "warc": response.meta["warc"]}

BASE, WARC_DIR = sys.argv[1], sys.argv[2]
ITEMS = []
ARCHIVED = []
process = CrawlerProcess({
    "EXTENSIONS": {"archive.capture.WarcCapture": 500},
    "ITEM_PIPELINES": {ItemMetadata: 300},
    "SWAMPCRAWL_WARC_DIR": WARC_DIR,
    "SWAMPCRAWL_WARC_PREFIX": "tiny",
    "ROBOTSTXT_OBEY": True,
    "COOKIES_ENABLED": False,  # offline: the cookie middleware would download a suffix list
    "DEFAULT_REQUEST_HEADERS": {"Accept-Encoding": "gzip, deflate", "Accept": "text/html"},
    "HTTPERROR_ALLOW_ALL": True,
    "TELNETCONSOLE_ENABLED": False,
    "LOG_LEVEL": "INFO",
})
crawler = process.create_crawler(TinySpider)
process.crawl(crawler)
process.start()
print(json.dumps({"stats": {k: v for k, v in crawler.stats.get_stats().items() if k.startswith("swampcrawl/")},
                  "items": ITEMS, "archived": ARCHIVED}))
'''


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path == "/robots.txt":
            return self.reply(200, b"User-agent: *\nAllow: /\n", [("Content-Type", "text/plain")])
        if self.path == "/old":
            return self.reply(301, b"", [("Location", "/story")])
        if self.path == "/missing":
            return self.reply(404, b"not found", [("Content-Type", "text/plain")])
        body = HOME if self.path == "/" else STORY
        headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip"),
                   ("Set-Cookie", "session=abc; Path=/"), ("Set-Cookie", "theme=dark; Path=/")]
        self.reply(200, gzip.compress(body, mtime=0), headers)

    def reply(self, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
        self.send_response(status)
        for name, value in headers + [("Content-Length", str(len(body)))]:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_crawl_archives_every_exchange(site, tmp_path):
    script = tmp_path / "crawl.py"
    script.write_text(CRAWL_SCRIPT)
    warc_dir = tmp_path / "warc"
    run = subprocess.run([sys.executable, str(script), site, str(warc_dir)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    stats, items = result["stats"], result["items"]
    # each written response announced once, with the reference the spider finds in meta
    assert sorted(a["url"].removeprefix(site) for a in result["archived"]) == sorted(
        ["/robots.txt", "/", "/old", "/missing", "/story", "/story?x=1"])
    assert all(a["record_id"] == a["meta"] for a in result["archived"])
    assert stats["swampcrawl/warc/errors"] == 0, run.stderr[-3000:]
    assert_folder_valid(warc_dir)
    assert (warc_dir / "index.cdxj").exists() and not list(warc_dir.glob("*.open"))

    records = [r for path in warc_files(warc_dir) for r in read_records(path)]
    responses = {r.get("WARC-Target-URI").removeprefix(site): r for r in records if r.rec_type in ("response", "revisit")}
    assert set(responses) == {"/robots.txt", "/", "/old", "/missing", "/story", "/story?x=1"}
    assert responses["/old"].http_status == "301 Moved Permanently"
    assert responses["/missing"].http_status == "404 Not Found"
    home = responses["/"]
    assert ("Content-Encoding", "gzip") in home.http_headers and gzip.decompress(home.raw) == HOME
    assert [v for k, v in home.http_headers if k.lower() == "set-cookie"] == ["session=abc; Path=/", "theme=dark; Path=/"]
    assert {responses["/story"].rec_type, responses["/story?x=1"].rec_type} == {"response", "revisit"}
    requests = [r for r in records if r.rec_type == "request"]
    assert any(r.http_status.startswith("/story?x=1 ") for r in requests)
    assert all(("Accept-Encoding", "gzip, deflate") in r.http_headers for r in requests if "robots" not in r.http_status)
    assert stats["swampcrawl/warc/revisits"] == 1

    # items carry the location of their response; metadata records refer to it
    by_id = {r.get("WARC-Record-ID"): r for r in records}
    for item in items:
        assert by_id[item["warc"]["record_id"]].get("WARC-Target-URI") == item["url"]
    metadata = [r for r in records if r.rec_type == "metadata"]
    assert {m.get("WARC-Refers-To") for m in metadata} == {item["warc"]["record_id"] for item in items}
    assert stats["swampcrawl/warc/records_written"] == 2 * 6 + len(items)

    bodies = {c.url.removeprefix(site): c.body for c in iter_captures([warc_dir])}
    assert bodies["/story?x=1"] == bodies["/story"] == STORY
