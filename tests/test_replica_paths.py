"""Every kind of path of the replica answers with the right status, over real HTTP."""

from __future__ import annotations

import gzip

import pytest
from replica_http import get, gunzip, links
from replica_process import ReplicaProcess


@pytest.fixture(scope="module")
def replica():
    # Epoch 2 so that removed stories (404) and renamed ones (301) exist too.
    with ReplicaProcess(stories=50, seed=1, epoch=2) as running:
        yield running


def _first_tag(truth):
    tag = truth["tags"][0]
    return f"/{tag['community']}/tag/{tag['slug']}"


def test_serving_line_and_truth(replica):
    assert replica.base_url.startswith("http://127.0.0.1:")
    assert replica.truth["epoch"] == 2 and len(replica.truth["stories"]) > 50


@pytest.mark.parametrize("path", [
    "/", "/latest-stories", "/latest-stories?page=1", "/latest-stories?page=2", "/top-stories",
    "/theSwamp", "/theSwamp/latest-stories", "/theSwamp/top-stories?page=1", "/01",
    "/theSwamp/tag/politics", "/authors/aarif-lashari", "/authors/aarif-lashari?page=1",
    "/robots.txt", "/sitemap.xml", "/sitemaps/stories-1.xml", "/resources", "/challenges",
    "/theSwamp/with-tensions-high-israel-and-iran-secretly-reassured-each-other-via-russia",
])
def test_known_paths_answer_200(replica, path):
    assert get(replica.base_url, path).status == 200


@pytest.mark.parametrize("path", [
    "/nope", "/theSwamp/no-such-story", "/authors/no-such-creator", "/latest-stories?page=999",
    "/latest-stories?page=0", "/latest-stories?page=abc", "/theSwamp/tag/no-such-tag",
    "/authors/aarif-lashari?page=50", "/theSwamp/latest-stories?page=400", "/theSwamp/",
    "/theswamp", "/admin/api", "/sitemaps/stories-9.xml", "/a/b/c/d",
])
def test_unknown_paths_answer_404(replica, path):
    assert get(replica.base_url, path).status == 404


def test_every_truth_path_answers(replica):
    truth = replica.truth
    for item in truth["stories"] + truth["creators"] + truth["communities"]:
        assert get(replica.base_url, item["path"]).status == 200, item["path"]
    assert get(replica.base_url, _first_tag(truth)).status == 200


def test_removed_and_renamed_stories(replica):
    truth = replica.truth
    live = {story["path"] for story in truth["stories"]}
    assert truth["removed"] and truth["redirects"]
    for path in truth["removed"]:
        assert get(replica.base_url, path).status == 404
    for old, new in truth["redirects"].items():
        reply = get(replica.base_url, old)
        assert (reply.status, reply.headers["location"]) == (301, new)
        assert new in live


def test_resources_story_has_no_logo(replica):
    story = next(s for s in replica.truth["stories"] if s["community"] == "resources")
    assert story["path"].startswith("/resources/")
    html = get(replica.base_url, story["path"]).text
    assert " logo" not in html.split("<main", 1)[1].split("</h1>", 1)[0]
    assert html.count('"slug":"vocal"') >= 1


def test_robots_disallows_traps_and_names_sitemap(replica):
    text = get(replica.base_url, "/robots.txt").text
    for rule in ("Disallow: /admin/", "Disallow: /signup", "Disallow: /search", "Disallow: /api/"):
        assert rule in text
    assert f"Sitemap: {replica.base_url}/sitemap.xml" in text
    index = get(replica.base_url, "/sitemap.xml").text
    assert f"{replica.base_url}/sitemaps/stories-1.xml" in index
    stories = get(replica.base_url, "/sitemaps/stories-1.xml").text
    assert all(f"<loc>{replica.base_url}{s['path']}</loc>" in stories for s in replica.truth["stories"])


def test_pages_carry_links_a_crawler_must_not_follow(replica):
    hrefs = [href for href, _ in links(get(replica.base_url, "/latest-stories").text)]
    host, port = replica.base_url.split("//")[1].split(":")
    for start in ("mailto:", "javascript:", "tel:", "https://twitter.com/", "https://www.facebook.com/",
                  "https://poets.media/", "https://vocalmirror.net/", "/signup", "/search?q=",
                  "/challenges", "/vocal-plus", f"http://{host}.:{port}/"):
        assert any(h.startswith(start) for h in hrefs), start
    for param in ("vocal_referral=", "via=", "_ga=", "utm_source="):
        assert any(param in h and h.split("?")[0].count("/") == 2 for h in hrefs), param


def test_gzip_etag_and_conditional_requests(replica):
    path = replica.truth["stories"][0]["path"]
    plain = get(replica.base_url, path)
    packed = get(replica.base_url, path, {"Accept-Encoding": "gzip, deflate"})
    assert packed.headers["content-encoding"] == "gzip"
    assert gzip.decompress(packed.body) == plain.body == gunzip(plain)
    assert "content-encoding" not in plain.headers and plain.headers["etag"] != packed.headers["etag"]
    for headers in ({"If-None-Match": plain.headers["etag"]},
                    {"If-None-Match": packed.headers["etag"], "Accept-Encoding": "gzip"},
                    {"If-Modified-Since": plain.headers["last-modified"]}):
        reply = get(replica.base_url, path, headers)
        assert (reply.status, reply.body) == (304, b"")
    assert get(replica.base_url, path, {"If-None-Match": '"other"'}).status == 200
    assert get(replica.base_url, path, {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status == 200


def test_head_and_request_log(replica):
    reply = get(replica.base_url, "/theSwamp?via=x", {"User-Agent": "probe/1", "Accept-Encoding": "gzip"},
                method="HEAD")
    assert reply.status == 200 and reply.body == b""
    last = replica.requests()[-1]
    assert last == {"method": "HEAD", "path": "/theSwamp", "query": "via=x",
                    "host": replica.base_url.split("//")[1], "status": 200,
                    "user_agent": "probe/1", "accept_encoding": "gzip"}
