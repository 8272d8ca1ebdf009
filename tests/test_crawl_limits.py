"""What a crawl refuses to take: bodies past their size cap (as sent, or inflated), redirects out
of scope or in circles, trap URLs, and listings deeper than the site's own count warrants.

Each crawl is `scrapy crawl stories` against a LocalSite serving small pages of its own (or a
30 MB page, a 1 GB gzip bomb); the errors rows, the WARC records read back and the site's own
request log are the evidence.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from crawl_support import ROOT, error_lines, scrapy_command, scrapy_crawl, table
from local_site import LocalSite, filler, html, redirect
from warcio.archiveiterator import ArchiveIterator

from spiders.base import UNKNOWN_LISTING_PAGES, listing_page_bound
from swampcrawl.downloadermiddlewares.traps import trap_kind

MB = 1_000_000
PAGE_CAP = 5_000_000  # SWAMPCRAWL_MAX_PAGE_SIZE's default
# Runs a command and prints its peak resident set size (KiB, Linux) as the last line.
PEAK_RSS = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)")


def listing(*hrefs: str, stylesheets: tuple[str, ...] = ()) -> str:
    links = "".join(f'<link rel="stylesheet" href="{href}">' for href in stylesheets)
    anchors = "".join(f'<li><a href="{href}">a story</a></li>' for href in hrefs)
    return f"<!DOCTYPE html><html><head><title>Latest</title>{links}</head><body><ul>{anchors}</ul></body></html>"


def responses(warc_dir: Path) -> dict[str, list]:
    """Per target URL: (WARC headers, HTTP headers, raw payload) of each response record."""
    found: dict[str, list] = {}
    for path in sorted(warc_dir.glob("*.warc.gz")):
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "response":
                    url = record.rec_headers.get_header("WARC-Target-URI")
                    found.setdefault(url, []).append((record.rec_headers, record.http_headers, record.raw_stream.read()))
    return found


def errors_by_url(db: Path) -> dict[str, dict]:
    return {row["url"]: row for row in table(db, "errors")}


def run_stats(db: Path) -> dict:
    return json.loads(table(db, "crawl_runs")[-1]["stats"])


# -- size caps -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def gzip_bomb(tmp_path_factory) -> Path:
    """1 GB of zeros gzipped into about 1 MB, written as it is compressed (never held whole)."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.gz"
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: a gzip stream
    zeros = bytes(1 << 20)
    with open(path, "wb") as out:
        for _ in range(1000):
            out.write(compressor.compress(zeros))
        out.write(compressor.flush())
    return path


def send_file(path: Path, headers: dict[str, str]):
    def answer(handler) -> None:
        with open(path, "rb") as source:
            handler.stream(200, iter(lambda: source.read(1 << 16), b""), headers, length=path.stat().st_size)
    return answer


@pytest.fixture(scope="module")
def heavy_site(gzip_bomb):
    """A listing of three stories: 30 MB with no length announced, 30 MB announced, a gzip bomb."""
    with LocalSite() as site:
        page = {"Content-Type": "text/html; charset=utf-8"}
        site.route("/latest-stories", html(listing("/fiction/huge-story", "/fiction/declared-story",
                                                   "/fiction/bomb-story")))
        site.route("/fiction/huge-story", lambda handler: handler.stream(200, filler(30 * MB), page))
        site.route("/fiction/declared-story", lambda handler: handler.stream(200, filler(30 * MB), page, 30 * MB))
        site.route("/fiction/bomb-story", send_file(gzip_bomb, {**page, "Content-Encoding": "gzip"}))
        yield site


@pytest.fixture(scope="module")
def heavy_crawl(heavy_site, tmp_path_factory):
    """One `scrapy crawl stories` of the heavy site, its peak RSS measured by a parent of its own."""
    data = tmp_path_factory.mktemp("heavy")
    command = scrapy_command("stories", "-s", "SWAMPCRAWL_REQUISITES=none", base_url=heavy_site.base_url, data=data)
    result = subprocess.run([sys.executable, "-c", PEAK_RSS, *command], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    peak_kib = int(result.stdout.strip().splitlines()[-1])
    return data, result, peak_kib


def test_heavy_pages_keep_the_crawl_under_300_mb(heavy_crawl):
    data, result, peak_kib = heavy_crawl
    assert result.returncode == 4, result.stderr  # finished, with errors rows
    print(f"peak RSS of the crawl: {peak_kib / 1024:.0f} MiB")
    assert peak_kib < 300 * 1024


def test_pages_past_the_cap_are_errors_rows_and_never_stories(heavy_crawl, heavy_site):
    data, _, _ = heavy_crawl
    base = heavy_site.base_url
    rows = {url: (row["kind"], row["reason"], row["attempts"]) for url, row in errors_by_url(data / "swamp.db").items()}
    assert rows == {
        base + "/fiction/huge-story": ("story", "too large (over 5,000,000 bytes)", 1),
        base + "/fiction/declared-story": ("story", "too large (over 5,000,000 bytes)", 1),
        base + "/fiction/bomb-story": ("story", "too large (over 5,000,000 bytes decompressed)", 1),
    }
    assert table(data / "swamp.db", "stories") == []


def test_a_page_cut_at_the_cap_is_archived_as_truncated(heavy_crawl, heavy_site):
    data, _, _ = heavy_crawl
    found = responses(data / "warc")
    [(warc, http, body)] = found[heavy_site.base_url + "/fiction/huge-story"]
    assert warc.get_header("WARC-Truncated") == "length"
    assert PAGE_CAP < len(body) < PAGE_CAP + MB and body.startswith(b"<!DOCTYPE html>")
    [(warc, http, body)] = found[heavy_site.base_url + "/fiction/declared-story"]
    assert warc.get_header("WARC-Truncated") == "length"  # stopped at its headers
    assert len(body) < PAGE_CAP


def test_a_gzip_bomb_is_archived_as_it_came(heavy_crawl, heavy_site, gzip_bomb):
    data, _, _ = heavy_crawl
    [(warc, http, body)] = responses(data / "warc")[heavy_site.base_url + "/fiction/bomb-story"]
    assert warc.get_header("WARC-Truncated") is None
    assert http.get_header("Content-Encoding") == "gzip"
    assert hashlib.sha256(body).digest() == hashlib.sha256(gzip_bomb.read_bytes()).digest()


def test_a_requisite_past_its_cap_is_an_errors_row(tmp_path):
    with LocalSite() as site:
        site.route("/latest-stories", html(listing(stylesheets=("/static/big.css",))))
        site.route("/static/big.css", lambda handler: handler.answer(200, b"p{}" * 100_000, {"Content-Type": "text/css"}))
        result = scrapy_crawl("stories", "-s", "SWAMPCRAWL_REQUISITES=site", "-s", "SWAMPCRAWL_REQUISITE_MAX_SIZE=100000",
                              base_url=site.base_url, data=tmp_path)
        url = site.base_url + "/static/big.css"
    assert result.returncode == 4, result.stderr
    row = errors_by_url(tmp_path / "swamp.db")[url]
    assert (row["kind"], row["reason"]) == ("stylesheet", "too large (over 100,000 bytes)")
    [(warc, _, body)] = responses(tmp_path / "warc")[url]
    assert warc.get_header("WARC-Truncated") == "length" and body == b""


def test_a_backstop_below_a_cap_is_one_line_and_exit_2(tmp_path):
    with LocalSite() as site:
        result = scrapy_crawl("stories", "-s", "DOWNLOAD_MAXSIZE=1000000", base_url=site.base_url, data=tmp_path)
    assert result.returncode == 2
    lines = error_lines(result)
    assert len(lines) == 1 and "DOWNLOAD_MAXSIZE (1000000) must be 0 or above" in lines[0], lines


# -- redirects and traps -------------------------------------------------------------------------------

LONG = "/fiction/" + "a" * 2100


@pytest.fixture(scope="module")
def elsewhere():
    with LocalSite() as site:
        yield site


@pytest.fixture(scope="module")
def scope_crawl(elsewhere, tmp_path_factory):
    """A listing whose stories redirect off the site, into circles and along a long chain, with
    trap links and trap stylesheets; crawled with requisites from the site only."""
    data = tmp_path_factory.mktemp("scope")
    with LocalSite() as site:
        port = site.base_url.rsplit(":", 1)[1]
        stories = ["/fiction/away", "/fiction/other-scheme", "/fiction/loop-a", "/fiction/self", "/fiction/chain-0",
                   "/fiction/moved", "/fiction/to-a-trap", LONG, LONG.replace("a", "b")]
        site.route("/latest-stories", html(listing(*stories, stylesheets=(
            "/static/away.css", "/s/x/s/y/s/z.css", "/static/" + "c" * 2100 + ".css"))))
        site.route("/fiction/away", redirect(elsewhere.base_url + "/fiction/away"))
        site.route("/fiction/other-scheme", redirect(f"https://127.0.0.1:{port}/fiction/other-scheme"))
        site.route("/fiction/loop-a", redirect("/fiction/loop-b"))
        site.route("/fiction/loop-b", redirect("/fiction/loop-a", status=308))
        site.route("/fiction/self", redirect("/fiction/self", status=302))
        for hop in range(10):
            site.route(f"/fiction/chain-{hop}", redirect(f"/fiction/chain-{hop + 1}", status=307))
        site.route("/fiction/moved", redirect("/fiction/new-home"))
        site.route("/fiction/to-a-trap", redirect(LONG.replace("a", "d")))
        site.route("/static/away.css", redirect(elsewhere.base_url + "/away.css", status=302))
        result = scrapy_crawl("stories", "-s", "SWAMPCRAWL_REQUISITES=site", "-s", "REDIRECT_MAX_TIMES=3",
                              base_url=site.base_url, data=data)
        yield site.base_url, site.paths(), data, result


def test_redirects_out_of_scope_are_not_followed_and_say_where(scope_crawl, elsewhere):
    base, paths, data, result = scope_crawl
    assert result.returncode == 4, result.stderr
    errors = errors_by_url(data / "swamp.db")
    assert errors[base + "/fiction/away"]["reason"] == f"out of scope (redirect to {elsewhere.base_url}/fiction/away)"
    other_scheme = base.replace("http:", "https:") + "/fiction/other-scheme"
    assert errors[base + "/fiction/other-scheme"]["reason"] == f"out of scope (redirect to {other_scheme})"
    away_css = errors[base + "/static/away.css"]
    assert (away_css["kind"], away_css["reason"]) == ("stylesheet", f"out of scope (redirect to {elsewhere.base_url}/away.css)")
    assert all(row["last_status"] in (301, 302) for url, row in errors.items() if "away" in url)
    assert elsewhere.paths() == []  # never requested


def test_redirect_loops_and_long_chains_are_errors_rows_of_the_url_asked_for(scope_crawl):
    base, paths, data, _ = scope_crawl
    rows = errors_by_url(data / "swamp.db")
    loop = "redirect loop or too many redirects"
    assert rows[base + "/fiction/loop-a"]["reason"] == loop  # loop-a -> loop-b -> loop-a
    assert rows[base + "/fiction/self"]["reason"] == loop
    assert rows[base + "/fiction/chain-0"]["reason"] == loop  # a fourth redirect, past REDIRECT_MAX_TIMES
    assert (rows[base + "/fiction/loop-a"]["kind"], rows[base + "/fiction/loop-a"]["last_status"]) == ("story", 308)
    assert not {base + "/fiction/loop-b", base + "/fiction/chain-3"} & set(rows)
    assert paths.count("/fiction/loop-a") == 1 and paths.count("/fiction/self") == 1
    assert "/fiction/chain-4" not in paths


def test_a_redirect_to_a_trap_is_not_followed(scope_crawl):
    base, paths, data, _ = scope_crawl
    row = errors_by_url(data / "swamp.db")[base + "/fiction/to-a-trap"]
    assert row["reason"] == "out of scope (redirect to a URL longer than 2000 characters)"
    assert not [path for path in paths if path.startswith("/fiction/ddd")]


def test_a_redirect_in_scope_is_followed(scope_crawl):
    base, paths, data, _ = scope_crawl
    assert "/fiction/new-home" in paths
    assert not {base + "/fiction/moved", base + "/fiction/new-home"} & set(errors_by_url(data / "swamp.db"))


def test_trap_urls_are_never_requested_counted_and_logged_once_per_kind(scope_crawl):
    base, paths, data, result = scope_crawl
    assert not [path for path in paths if len(path) > 2000 or path.startswith("/s/")]
    # two stories, two stylesheets, a redirect's target
    assert run_stats(data / "swamp.db")["swampcrawl/requests/trap"] == 5
    warnings = [line for line in error_lines(result) if "not requesting URLs" in line]
    assert len(warnings) == 2, warnings
    assert any("longer than 2000 characters" in line for line in warnings)
    assert any("with a path segment 3 times or more" in line and "/s/x/s/y/s/z.css" in line for line in warnings)
    assert not [url for url in errors_by_url(data / "swamp.db") if len(url) > 2000]


@pytest.mark.parametrize("url, kind", [
    ("http://x/fiction/a-story", None),
    ("http://x/horror/tag/horror", None),
    ("http://x/a/b/a/c/a", "with a path segment 3 times or more"),
    ("http://x/" + "a" * 2000, "longer than 2000 characters"),
])
def test_trap_kinds(url, kind):
    assert trap_kind(url, 2000) == kind


# -- listing depth -------------------------------------------------------------------------------------

def test_listing_bound_from_the_declared_count():
    assert listing_page_bound(40, 10) == 11  # 4 pages, x1.5, +5
    assert listing_page_bound(16_049, 20) == 1210  # 803 pages, x1.5 = 1204.5, up, +5
    assert listing_page_bound(None, 10) == listing_page_bound(0, 10) == UNKNOWN_LISTING_PAGES == 2000


def endless_listing(handler) -> None:
    """Page N of a listing that never ends: ten stories no other page has, and a next link."""
    page = int(handler.path.partition("?page=")[2] or 1)
    stories = [f"/fiction/story-{page}-{n}" for n in range(10)]
    body = listing(*stories).replace("</ul>", f'</ul><a rel="next" href="/fiction/latest-stories?page={page + 1}">Next</a>')
    html(body)(handler)


@pytest.fixture(scope="module")
def endless_site():
    with LocalSite() as site:
        site.route("/fiction", html("<html><body><h1>Fiction</h1><p>Short stories.</p><h2>Stats</h2>"
                                    "<div>Stories - 40</div><div>Creators - 3</div></body></html>"))
        site.route("/fiction/latest-stories", endless_listing)
        yield site


def deepest_page(paths: list[str]) -> int:
    return max(int(path.partition("?page=")[2] or 1) for path in paths if path.startswith("/fiction/latest-stories"))


def test_a_listing_stops_at_the_bound_its_community_declares(endless_site, tmp_path):
    before = len(endless_site.log)
    result = scrapy_crawl("stories", "-a", "community=fiction", "-s", "SWAMPCRAWL_REQUISITES=none",
                          base_url=endless_site.base_url, data=tmp_path)
    assert result.returncode == 0, result.stderr
    assert deepest_page(endless_site.paths()[before:]) == 11  # 40 stories, 10 a page: 4 x 1.5 + 5
    assert run_stats(tmp_path / "swamp.db")["swampcrawl/listings/stopped_at_bound"] == 1


def test_max_listing_pages_overrides_the_bound(endless_site, tmp_path):
    before = len(endless_site.log)
    result = scrapy_crawl("stories", "-a", "community=fiction", "-s", "SWAMPCRAWL_REQUISITES=none",
                          "-s", "SWAMPCRAWL_MAX_LISTING_PAGES=3", base_url=endless_site.base_url, data=tmp_path)
    assert result.returncode == 0, result.stderr
    assert deepest_page(endless_site.paths()[before:]) == 3


# -- the settings --------------------------------------------------------------------------------------

@pytest.mark.parametrize("setting, message", [
    ("SWAMPCRAWL_MAX_PAGE_SIZE=big", "SWAMPCRAWL_MAX_PAGE_SIZE must be a whole number, not 'big'"),
    ("SWAMPCRAWL_MAX_URL_LENGTH=0", "SWAMPCRAWL_MAX_URL_LENGTH must be at least 1, not 0"),
    ("SWAMPCRAWL_RETRY_AFTER_MAX=soon", "SWAMPCRAWL_RETRY_AFTER_MAX must be a number of seconds, not 'soon'"),
    ("SWAMPCRAWL_RETRY_AFTER_TIMES=-1", "SWAMPCRAWL_RETRY_AFTER_TIMES must be at least 0, not -1"),
])
def test_a_bad_limit_setting_is_one_line_and_exit_2(tmp_path, setting, message):
    with LocalSite() as site:
        result = scrapy_crawl("stories", "-s", setting, base_url=site.base_url, data=tmp_path)
    assert result.returncode == 2
    assert error_lines(result) == [f"scrapy crawl: error: {message}"]
