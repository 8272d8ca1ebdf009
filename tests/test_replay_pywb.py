"""A real crawl replays in pywb, set up as pywb's docs tell users to (wb-manager init/add, wayback).

Two `scrapy crawl stories` (the second writes revisits) and a `scrapy crawl creators` of a small
replica; then, for a story and a creator page, every capture pywb's CDX API lists, and the moment
of each metadata record written for the page, must replay as the page itself: status 200,
text/html, the archived bytes. A metadata record whose WARC-Target-URI were the page URL would be
indexed by pywb under that URL and served (JSON) instead of the page.
"""

from __future__ import annotations

import html
import json
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime

import pytest

from archive_support import PYWB_BIN, assert_folder_valid, free_port, wait_for_port
from replay_support import PAGEINFO, CrawledReplica, captures_of, crawl_replica, decode_body, metadata_of, read_warcs

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def crawled(tmp_path_factory) -> CrawledReplica:
    data = tmp_path_factory.mktemp("replay-pywb")
    crawled = crawl_replica(data, ["stories", "stories", "creators"], stories=20, seed=4)
    assert_folder_valid(crawled.warc_dir)
    return crawled


@pytest.fixture(scope="module")
def pywb(crawled, tmp_path_factory):
    """Collection ``c`` of every WARC of the crawls, served by ``wayback`` on 127.0.0.1."""
    root = tmp_path_factory.mktemp("pywb")
    warcs = sorted(str(path) for path in crawled.warc_dir.glob("*.warc.gz"))
    for command in (["init", "c"], ["add", "c", *warcs]):
        run = subprocess.run([str(PYWB_BIN / "wb-manager"), *command], cwd=root, capture_output=True, text=True,
                             timeout=120)
        assert run.returncode == 0, run.stdout + run.stderr
    port = free_port()
    with open(root / "wayback.log", "wb") as log:
        process = subprocess.Popen([str(PYWB_BIN / "wayback"), "-p", str(port), "-b", "127.0.0.1"], cwd=root,
                                   stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        try:
            wait_for_port(port, timeout=60)
        except TimeoutError:
            raise AssertionError((root / "wayback.log").read_text(errors="replace")[-3000:]) from None
        yield f"http://127.0.0.1:{port}/c"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def get(url: str) -> tuple[int, str, bytes]:
    """(status, Content-Type, body with content-encoding undone)."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": "identity"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            body = decode_body(response.read(), response.headers.get("Content-Encoding"))
            return response.status, response.headers.get("Content-Type", ""), body
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers.get("Content-Type", ""), error.read()


def cdx(pywb: str, url: str) -> list[dict]:
    status, _, body = get(f"{pywb}/cdx?" + urllib.parse.urlencode({"url": url, "output": "json"}))
    assert status == 200, body
    return [json.loads(line) for line in body.splitlines() if line.strip()]


def distance(ts: str, other: str) -> float:
    """Seconds between two 14-digit timestamps."""
    parse = lambda stamp: datetime.strptime(stamp, "%Y%m%d%H%M%S")  # noqa: E731
    return abs((parse(ts) - parse(other)).total_seconds())


def page_url(crawled: CrawledReplica, kind: str) -> tuple[str, str]:
    """(URL, text the page must hold) of a story or a creator of the replica's truth."""
    if kind == "story":
        story = crawled.truth["stories"][0]
        return crawled.base_url + story["path"], story["title"]
    creator = max(crawled.truth["creators"], key=lambda c: c["story_count"])
    return crawled.base_url + creator["path"], creator["name"]


@pytest.mark.parametrize("kind", ["story", "creator"])
def test_every_capture_and_metadata_moment_replays_the_page(crawled, pywb, kind):
    url, text = page_url(crawled, kind)
    records = read_warcs(crawled.warc_dir)
    captures = captures_of(records, url)
    assert captures, f"{url} is not in the WARCs"
    listed = cdx(pywb, url)
    assert listed and {entry["url"] for entry in listed} == {url}
    metadata = metadata_of(records, url)
    assert metadata, f"no metadata record refers to a capture of {url}"
    if kind == "story":  # crawled twice: the second time as a revisit
        assert len(captures) >= 2 and any(entry["mime"] == "warc/revisit" for entry in listed), listed

    moments = sorted({entry["timestamp"] for entry in listed} | {record.timestamp for record in metadata})
    for moment in moments:
        status, content_type, body = get(f"{pywb}/{moment}id_/{url}")
        assert status == 200, (moment, status, body[:300])
        assert content_type.split(";")[0].strip() == "text/html", (moment, content_type, body[:300])
        # pywb serves the capture closest in time: the page as archived then.
        nearest = min(distance(ts, moment) for ts, _ in captures)
        expected = [payload for ts, payload in captures if distance(ts, moment) == nearest]
        assert body in expected, (moment, body[:300])
        assert text in html.unescape(body.decode("utf-8")), (moment, text)

    # Neither the CDX API nor the index lists anything but the page's captures under its URL.
    assert {entry["mime"] for entry in listed} <= {"text/html", "warc/revisit"}, listed
    # What keeps the metadata apart: its own target URI, which no browser asks for.
    assert {record.target for record in metadata} == {PAGEINFO + url}
    status, content_type, body = get(f"{pywb}/{metadata[0].timestamp}id_/{PAGEINFO}{url}")
    assert status == 200 and content_type.startswith("application/json") and json.loads(body)


def test_every_requisite_of_a_story_replays_from_the_archive(crawled, pywb):
    """What the page loads (stylesheets, font, scripts, images on the image host) is in the
    collection: pywb answers each from the archive at the page's capture moment."""
    story = next(s for s in crawled.truth["stories"] if s["hero_image_url"])
    url = crawled.base_url + story["path"]
    requisites = crawled.truth["requisites"][story["path"]]
    assert any(r.startswith(crawled.truth["image_base"]) for r in requisites)
    moment = cdx(pywb, url)[0]["timestamp"]
    for requisite in requisites:
        status, content_type, body = get(f"{pywb}/{moment}id_/{requisite}")
        assert status == 200 and body, (requisite, status, body[:200])
        assert not content_type.startswith("text/html"), (requisite, content_type)
