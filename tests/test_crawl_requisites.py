"""Page requisites in a crawl, checked against the replica's truth and its request log: every
requisite of every page archived, each fetched once, not again next time, scoped by setting,
and a page stored whatever becomes of its images."""

from __future__ import annotations

import socket
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from crawl_support import crawl_twice, scrapy_crawl, table
from replica_process import ReplicaProcess
from warcio.archiveiterator import ArchiveIterator


def requested_urls(replica: ReplicaProcess, since: int = 0) -> list[str]:
    """Absolute URLs of the requests both replica servers answered (from log line ``since``)."""
    return [f"http://{r['host']}{r['path']}" + (f"?{r['query']}" if r["query"] else "")
            for r in replica.requests()[since:]]


def archived_responses(warc_dir: Path) -> dict[str, int]:
    """Target URI -> HTTP status of every response and revisit record, read with warcio."""
    found = {}
    for path in sorted(warc_dir.glob("*.warc.gz")):
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type in ("response", "revisit"):
                    found[record.rec_headers.get_header("WARC-Target-URI")] = int(record.http_headers.get_statuscode())
    return found


@pytest.fixture(scope="module")
def replica():
    with ReplicaProcess(stories=25, seed=5) as running:
        yield running


@pytest.fixture(scope="module")
def crawled(replica, tmp_path_factory):
    """A stories crawl, then a second one of the unchanged site into the same folder."""
    data = tmp_path_factory.mktemp("requisites")
    after_first, first, second = crawl_twice(replica, data)
    return data, after_first, first, second


def test_every_requisite_of_every_story_is_archived(replica, crawled):
    data, *_ = crawled
    truth = replica.truth
    archived = archived_responses(data / "warc")
    captures = {(row["url"], row["status"]): row for row in table(data / "swamp.db", "captures")}
    wanted = {url for story in truth["stories"] for url in truth["requisites"][story["path"]]}
    assert any(url.startswith(truth["image_base"]) for url in wanted)  # images on the image host
    assert any("/_next/static/media/" in url for url in wanted)  # the font, named only by the CSS
    missing = sorted(url for url in wanted if archived.get(url) != 200)
    assert missing == []
    for url in wanted:
        row = captures[(url, 200)]
        assert row["kind"] == "requisite" and row["page_kind"] in ("stylesheet", "script", "font", "image"), row
    kinds = {captures[(url, 200)]["page_kind"] for url in wanted}
    assert kinds == {"stylesheet", "script", "font", "image"}
    assert table(data / "swamp.db", "errors") == []


def test_each_asset_is_fetched_once_and_no_page_of_the_image_host(replica, crawled):
    data, after_first, first, _ = crawled
    requests = requested_urls(replica)[:after_first]
    assets = set(replica.truth["assets"])
    repeated = {url: count for url, count in Counter(requests).items() if url in assets and count > 1}
    assert repeated == {}
    image_host = replica.truth["image_base"]
    off_assets = [url for url in requests if url.startswith(image_host) and url not in assets]
    assert off_assets == [image_host + "/robots.txt"]  # its robots.txt, then images only
    assert " requisites (0 archived before)" in first.stdout


def test_an_unchanged_site_costs_no_asset_the_second_time(replica, crawled):
    data, after_first, _, second = crawled
    again = [url for url in requested_urls(replica, since=after_first) if url in set(replica.truth["assets"])]
    assert again == []
    assert "swampcrawl: stories finished" in second.stdout and " 0 requisites (" in second.stdout
    # and the archive still holds them all: replay tools find them in the first crawl's file
    wanted = {url for story in replica.truth["stories"] for url in replica.truth["requisites"][story["path"]]}
    assert wanted <= set(archived_responses(data / "warc"))


@pytest.mark.parametrize("scope", ["site", "none"])
def test_the_scope_setting_limits_what_is_fetched(replica, tmp_path, scope):
    before = len(replica.requests())
    result = scrapy_crawl("communities", "-s", f"SWAMPCRAWL_REQUISITES={scope}", base_url=replica.base_url, data=tmp_path)
    assert result.returncode == 0, result.stderr
    requests = requested_urls(replica, since=before)
    assets = set(replica.truth["assets"])
    assert not [url for url in requests if url.startswith(replica.truth["image_base"])]
    site_assets = [url for url in requests if url in assets]
    assert bool(site_assets) == (scope == "site")


def test_a_bad_scope_is_one_line_and_exit_2(replica, tmp_path):
    result = scrapy_crawl("stories", "-s", "SWAMPCRAWL_REQUISITES=everything", base_url=replica.base_url, data=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == ("scrapy crawl: error: SWAMPCRAWL_REQUISITES must be one of all, site, none, "
                                     "not 'everything'")


def test_pages_are_stored_when_their_image_host_is_down(tmp_path):
    with socket.socket() as sock:  # a port nothing listens on: the image host is down
        sock.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with ReplicaProcess(stories=10, seed=9, image_base=down) as replica:
        result = scrapy_crawl("stories", "-s", "RETRY_TIMES=0", base_url=replica.base_url, data=tmp_path)
        truth = replica.truth
    assert result.returncode == 4, result.stderr  # finished with errors: the images
    assert [run["exit_status"] for run in table(tmp_path / "swamp.db", "crawl_runs")] == [4]
    stories = {row["url"] for row in table(tmp_path / "swamp.db", "stories")}
    assert stories == {replica.base_url + story["path"] for story in truth["stories"]}
    errors = {row["url"]: row for row in table(tmp_path / "swamp.db", "errors")}
    images = {url for story in truth["stories"] for url in truth["requisites"][story["path"]] if url.startswith(down)}
    assert images and images <= errors.keys()
    for url in images:
        assert (errors[url]["kind"], errors[url]["reason"], errors[url]["last_status"]) == ("image", "connection refused", None)
        assert errors[url]["attempts"] == 1 and errors[url]["run_id"] == 1
    # the site's own stylesheets and scripts were archived all the same
    site_assets = {url for url in truth["assets"] if url.startswith(replica.base_url)}
    assert site_assets & set(archived_responses(tmp_path / "warc"))


def test_a_requisite_over_the_size_cap_is_not_downloaded_and_is_recorded(replica, tmp_path):
    result = scrapy_crawl("communities", "-s", "SWAMPCRAWL_REQUISITE_MAX_SIZE=300", base_url=replica.base_url,
                          data=tmp_path)
    assert result.returncode == 4, result.stderr
    with sqlite3.connect(tmp_path / "swamp.db") as db:
        too_large = db.execute("SELECT url, reason FROM errors").fetchall()
        archived_sizes = db.execute("SELECT count(*) FROM communities").fetchone()[0]
    assert too_large and all("too large" in reason for _, reason in too_large), too_large
    assert archived_sizes == len(replica.truth["communities"])
