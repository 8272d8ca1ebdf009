"""`swampcrawl replica --faults`: each fault is served as docs/replica.md says, over real HTTP,
and the truth's ``faults`` lists what was faulted, deterministically from --seed."""

from __future__ import annotations

import html
import http.client
import json
import re
import socket
import subprocess
import time
import zlib
from urllib.parse import urlsplit

import pytest
from replica_http import get, visible_lines
from replica_process import ReplicaProcess, swampcrawl_script

from swampcrawl.replica.faults import FAULTS
from swampcrawl.replica.site import build_site

SEED, STORIES = 3, 60
OUTCOMES = {"stored", "error", "stored-or-error", "stored-unchanged"}
NEXT_DATA = re.compile(rb'<script id="__NEXT_DATA__" type="application/json">(.*?)</script>', re.S)


@pytest.fixture(scope="module")
def replica():
    with ReplicaProcess(stories=STORIES, seed=SEED, faults="all", slow_seconds=1) as running:
        burst = running.truth["faults"]["rate-limit"]["burst"]
        for _ in range(burst["last"]):  # past the burst window, so each test sees its own faults
            get(running.base_url, "/robots.txt")
        yield running
        time.sleep(1.2)  # the slow story's answer to a client that timed out is due by then
        assert running.stderr() == "", "the replica reported an error"


@pytest.fixture(scope="module")
def clean(replica):
    """The same site without faults, in process, named as the running replica names itself."""
    site = build_site(seed=SEED, stories=STORIES)
    site.set_origin("127.0.0.1", urlsplit(replica.base_url).port, replica.image_base)
    return site


def stories(replica, fault, variant=None):
    return [s for s in replica.truth["faults"][fault]["stories"] if variant in (None, s["variant"])]


def logged(replica, path):
    """(status, fault) of each logged request for ``path`` on the site server."""
    host = urlsplit(replica.base_url).netloc
    return [(line["status"], line.get("fault")) for line in replica.requests()
            if line["path"] == path and line["host"] == host]


def raw_get(replica, path):
    """Head and body bytes as they arrive, and the error that ended the read (None at EOF)."""
    parts = urlsplit(replica.base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode())
        data, error = b"", None
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except OSError as found:
            error = found
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
    return head, body, length, error


def next_data(body: bytes, encoding: str = "utf-8"):
    return json.loads(NEXT_DATA.search(body).group(1).decode(encoding))


# -- the plan and its truth ----------------------------------------------------------------------

def test_truth_lists_every_fault_with_outcomes(replica):
    faults = replica.truth["faults"]
    assert list(faults) == list(FAULTS)
    all_paths = {story["path"] for story in replica.truth["stories"]}
    faulted = [story["path"] for entry in faults.values() for story in entry["stories"]]
    assert len(faulted) == len(set(faulted)), "a story in two faults"
    assert set(faulted) <= all_paths and 2 * len(faulted) < len(all_paths), "no clean majority"
    assert "/theSwamp/with-tensions-high-israel-and-iran-secretly-reassured-each-other-via-russia" not in faulted
    for name, entry in faults.items():
        assert isinstance(entry["never_requested"], list)
        if name != "endless":
            assert len(entry["stories"]) >= 2, name
        for story in entry["stories"]:
            assert story["outcome"] in OUTCOMES and story["variant"], story
    assert replica.fault_outcomes() == {path: outcome for path, outcome in (
        (s["path"], s["outcome"]) for entry in faults.values() for s in entry["stories"])}


def _choices(truth):
    return {name: [(s["path"], s["variant"], s["outcome"]) for s in entry["stories"]]
            for name, entry in truth["faults"].items()} | {"endless": truth["faults"]["endless"]["community"]}


def test_same_seed_gives_the_same_choices(replica):
    with ReplicaProcess(stories=STORIES, seed=SEED, faults=list(reversed(FAULTS))) as again:
        assert _choices(again.truth) == _choices(replica.truth)
    with ReplicaProcess(stories=STORIES, seed=SEED + 1, faults="all") as other:
        assert _choices(other.truth) != _choices(replica.truth)


def _run(*args):
    return subprocess.run([str(swampcrawl_script()), "replica", "--port", "0", *args],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("args, words", [
    (["--stories", "60", "--faults", "rate-limit,nonsense"], "'nonsense'"),
    (["--stories", "20", "--faults", "all"], "--stories"),
    (["--stories", "60", "--faults", "slow", "--slow-seconds", "-1"], "--slow-seconds"),
])
def test_bad_faults_give_one_readable_line(args, words):
    result = _run(*args)
    lines = result.stderr.strip().splitlines()
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert len(lines) == 1 and lines[0].startswith("Error: ") and words in lines[0], result.stderr


def test_unfaulted_pages_are_the_clean_sites(replica, clean):
    faulted = set(replica.fault_outcomes())
    path = next(s["path"] for s in replica.truth["stories"] if s["path"] not in faulted)
    for url in (path, "/latest-stories", "/latest-stories?page=2", "/top-stories"):
        reply = get(replica.base_url, url)
        assert (reply.status, reply.body) == clean.render(*url.partition("?")[::2])[::2], url
        assert "fault" not in replica.requests()[-1]


# -- one test per fault --------------------------------------------------------------------------

def test_rate_limit_answers_429_twice_then_the_page(replica):
    for story in stories(replica, "rate-limit"):
        replies = [get(replica.base_url, story["path"]) for _ in range(3)]
        assert [r.status for r in replies] == [429, 429, 200]
        assert [r.headers.get("retry-after") for r in replies] == ["1", "1", None]
        assert logged(replica, story["path"]) == [(429, "rate-limit"), (429, "rate-limit"), (200, None)]


def test_rate_limit_burst_answers_503_to_a_window_of_requests():
    with ReplicaProcess(stories=20, seed=SEED, faults="rate-limit") as running:
        burst = running.truth["faults"]["rate-limit"]["burst"]
        assert (burst["first"], burst["last"]) == (25, 44)
        replies = [get(running.base_url, "/robots.txt") for _ in range(50)]
        assert [r.status for r in replies] == [200] * 24 + [503] * 20 + [200] * 6
        assert {r.headers.get("retry-after") for r in replies[24:44]} == {"1"}
        assert [line.get("variant") for line in running.requests()][23:45] == [None] + ["burst"] * 20 + [None]


def test_server_errors_once_then_the_page_or_500_forever(replica):
    once, always = stories(replica, "server-errors", "once"), stories(replica, "server-errors", "always")
    assert once and always
    for story in once:
        replies = [get(replica.base_url, story["path"]) for _ in range(2)]
        assert [r.status for r in replies] == [story["status"], 200] and story["status"] in (500, 502, 503)
        assert "retry-after" not in replies[0].headers and story["outcome"] == "stored"
    for story in always:
        assert [get(replica.base_url, story["path"]).status for _ in range(3)] == [500] * 3
        assert (story["outcome"], story["reason"]) == ("error", "HTTP 500")


def test_slow_stories_wait_before_answering(replica):
    story = stories(replica, "slow")[0]
    assert replica.truth["faults"]["slow"]["seconds"] == 1
    parts = urlsplit(replica.base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=0.3)
    with pytest.raises(TimeoutError):
        connection.request("GET", story["path"])
        connection.getresponse()
    connection.close()
    assert logged(replica, story["path"]) == [(200, "slow")]  # logged when it arrives
    started = time.monotonic()
    assert get(replica.base_url, story["path"]).status == 200
    assert time.monotonic() - started >= 0.95


def test_reset_stories_reset_the_connection_mid_body(replica):
    for story in stories(replica, "reset"):
        head, body, length, error = raw_get(replica, story["path"])
        assert head.startswith(b"HTTP/1.1 200") and isinstance(error, ConnectionResetError)
        assert len(body) < length
        assert logged(replica, story["path"]) == [(200, "reset")]


def test_short_stories_close_before_their_content_length(replica):
    story = stories(replica, "short")[0]
    head, body, length, error = raw_get(replica, story["path"])
    assert error is None and 0 < len(body) < length
    parts = urlsplit(replica.base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request("GET", story["path"])
    with pytest.raises(http.client.IncompleteRead):
        connection.getresponse().read()
    connection.close()


def test_bomb_is_a_megabyte_of_gzip_that_inflates_to_a_gigabyte_of_html(replica):
    facts = replica.truth["faults"]["bomb"]
    reply = get(replica.base_url, stories(replica, "bomb")[0]["path"], {"Accept-Encoding": "identity"})
    assert reply.status == 200 and reply.headers["content-encoding"] == "gzip"
    assert len(reply.body) == facts["compressed_bytes"] < 2_000_000 and facts["inflated_bytes"] > 1_000_000_000
    assert zlib.decompressobj(31).decompress(reply.body[:65536], 4096).startswith(b"<!DOCTYPE html>")
    inflater, inflated, position = zlib.decompressobj(31), 0, 0
    while not inflater.eof:  # bounded memory: at most 16 MB out at a time
        inflated += len(inflater.decompress(inflater.unconsumed_tail or reply.body[position:position + 65536],
                                            1 << 24))
        position += 0 if inflater.unconsumed_tail else 65536
    assert inflated == facts["inflated_bytes"]  # and the CRC checked out


def test_huge_stories_stream_thirty_megabytes_uncompressed(replica):
    story = stories(replica, "huge")[0]
    parts = urlsplit(replica.base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request("GET", story["path"], headers={"Accept-Encoding": "gzip"})
    response = connection.getresponse()
    assert response.status == 200 and response.getheader("Content-Encoding") is None
    assert int(response.getheader("Content-Length")) == replica.truth["faults"]["huge"]["bytes"] == 30 << 20
    first, total = response.read(65536), 65536
    while chunk := response.read(1 << 20):
        total += len(chunk)
    connection.close()
    assert first.startswith(b"<!DOCTYPE html>") and total == 30 << 20


def test_maintenance_pages_have_no_story(replica, clean):
    assert {s["status"] for s in stories(replica, "maintenance")} == {200, 503}
    for story in stories(replica, "maintenance"):
        for _ in range(2):
            reply = get(replica.base_url, story["path"])
            assert reply.status == story["status"] and "We'll be right back" in html.unescape(reply.text)
            title = clean.index.by_path[story["path"]].title
            assert title not in reply.text and next_data(reply.body)["props"]["pageProps"]["post"] is None
        assert story["outcome"] == "stored-unchanged"


def test_bad_data_breaks_next_data_only(replica, clean):
    invalid, deep = stories(replica, "bad-data", "invalid-json"), stories(replica, "bad-data", "deep-nesting")
    for story in invalid + deep:
        reply = get(replica.base_url, story["path"])
        clean_text = clean.render(story["path"])[2].decode()
        assert reply.status == 200 and visible_lines(reply.text) == visible_lines(clean_text)
        data = NEXT_DATA.search(reply.body).group(1)
        if story in invalid:
            with pytest.raises(ValueError):
                json.loads(data)
        else:
            assert data.startswith(b'{"nested":' + b"[" * 50_000 + b"]" * 50_000 + b",")
        assert story["outcome"] == "stored-or-error"


def test_malformed_pages_keep_the_story(replica):
    for story in stories(replica, "malformed"):
        body = get(replica.base_url, story["path"]).body
        assert b"\x00" in body and body.index(b"</html>") < body.index(b"<main")
        with pytest.raises(UnicodeDecodeError):
            body.decode("utf-8")
        title = next(s["title"] for s in replica.truth["stories"] if s["path"] == story["path"])
        assert next_data(body)["props"]["pageProps"]["post"]["name"] == title


def test_redirects_loop_leave_the_port_or_grow_long(replica):
    loop, = stories(replica, "redirects", "loop")
    off_port, = stories(replica, "redirects", "off-port")
    long, = stories(replica, "redirects", "long")
    via = get(replica.base_url, loop["path"]).headers["location"]
    assert via == loop["location"] and get(replica.base_url, via).headers["location"] == loop["path"]
    location = get(replica.base_url, off_port["path"]).headers["location"]
    assert location == off_port["location"] == replica.image_base + off_port["path"]
    assert replica.truth["faults"]["redirects"]["never_requested"] == [location]
    reply = get(replica.base_url, long["path"])
    assert reply.status == 301 and len(reply.headers["location"]) == 10_000
    assert get(replica.base_url, reply.headers["location"]).status == 404


def test_endless_listing_never_ends(replica):
    facts = replica.truth["faults"]["endless"]
    community = next(c for c in replica.truth["communities"] if c["slug"] == facts["community"])
    assert facts["story_count"] == community["story_count"] and facts["page_size"] == 10
    for number in (facts["last_page"], facts["last_page"] + 1, facts["last_page"] + 2, 5000):
        reply = get(replica.base_url, f"{facts['listing']}?page={number}")
        assert reply.status == 200 and f'rel="next" href="{facts["listing"]}?page={number + 1}"' in reply.text
        posts = reply.next_data()["props"]["pageProps"]["posts"]
        assert reply.next_data()["props"]["pageProps"]["totalCount"] == facts["story_count"]
        if number > facts["last_page"]:
            assert len(posts) == reply.text.count('class="post-name') == 10
    fake = f"/{facts['community']}/{posts[0]['slug']}"
    assert get(replica.base_url, fake).status == 404


def test_foreign_links_are_on_the_page(replica):
    for story in stories(replica, "foreign-links"):
        text = get(replica.base_url, story["path"]).text
        assert {urlsplit(link).netloc for link in story["links"]} == {
            "vocal.media", "www.vocal.media", urlsplit(replica.image_base).netloc, "example.com"}
        for link in story["links"]:
            assert f'href="{link}"' in text and link in replica.truth["faults"]["foreign-links"]["never_requested"]


def test_charset_stories_are_windows_1252(replica):
    for story in stories(replica, "charset"):
        reply = get(replica.base_url, story["path"])
        assert reply.headers["content-type"] == "text/html; charset=windows-1252"
        assert not story["title"].isascii() and story["title"].encode("cp1252") in reply.body
        with pytest.raises(UnicodeDecodeError):
            reply.body.decode("utf-8")
        assert f">{story['title']}</h1>" in html.unescape(reply.body.decode("cp1252"))
        assert next_data(reply.body, "cp1252")["props"]["pageProps"]["post"]["name"] == story["title"]


def test_long_urls_are_on_the_page(replica):
    for story in stories(replica, "long-urls"):
        text = get(replica.base_url, story["path"]).text
        long, repeated = [urlsplit(link).path for link in story["links"]]
        assert len(long) == 10_000 and repeated.endswith("/a" * 50)
        assert f'href="{replica.base_url}{long}"' in text and f'href="{replica.base_url}{repeated}"' in text
        assert set(story["links"]) <= set(replica.truth["faults"]["long-urls"]["never_requested"])


def test_a_replica_without_faults_has_none():
    with ReplicaProcess(stories=5, seed=SEED) as running:
        assert "faults" not in running.truth and running.fault_outcomes() == {}
