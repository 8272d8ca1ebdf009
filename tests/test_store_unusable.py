"""The store never trades good data for worse: a page that is not what its URL should be
(a maintenance page served with 200, an empty body, an error page) leaves the stored row as
it was, makes no version, and is listed in ``errors`` with its reason.

Real fixture pages and real SQLite files, through the one ingest path the crawl and
``reparse`` share (``exchange_rows`` and ``RowBuffer``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from swampcrawl.records.provenance import WarcRef
from swampcrawl.store import Store
from swampcrawl.store.ingest import Exchange, RowBuffer, exchange_rows
from swampcrawl.urls import UrlRules

FIXTURES = Path(__file__).parent / "fixtures"
MAINTENANCE = (
    b"<!DOCTYPE html><html><head><title>Vocal | Maintenance</title></head><body>"
    b"<h1>We'll be right back</h1><p>Vocal is down for scheduled maintenance. Please check back soon.</p>"
    b"</body></html>"
)
ERROR_PAGE = b"<html><body><h1>Something went wrong</h1><p>Error 500</p></body></html>"
HTML = [("Content-Type", "text/html; charset=utf-8")]


def fixture(kind: str, name: str) -> tuple[str, bytes]:
    folder = FIXTURES / kind / name
    return json.loads((folder / "meta.json").read_text())["url"], (folder / "body.html").read_bytes()


def ingest(store: Store, url: str, body: bytes, day: int, offset: int) -> None:
    """One archived 200 response of ``url`` on 2026-11-``day``, written as the crawl would."""
    ref = WarcRef("crawl.warc.gz", offset, f"<urn:uuid:{day:02d}-{offset}>", datetime(2026, 11, day, tzinfo=UTC))
    base = "{0.scheme}://{0.netloc}".format(__import__("urllib.parse").parse.urlsplit(url))
    buffer = RowBuffer(store, batch=1000)
    buffer.add(exchange_rows(Exchange(url, 200, HTML, body, ref), UrlRules(base), run_id=None))
    buffer.flush()


def row(store: Store, table: str, key: str, value: str) -> dict:
    return next(store.db.query(f"SELECT * FROM {table} WHERE {key} = ?", [value]))


@pytest.mark.parametrize("bad_body", [MAINTENANCE, ERROR_PAGE, b""], ids=["maintenance", "error-page", "empty"])
def test_a_recrawl_meeting_a_bad_page_keeps_the_story(tmp_path, bad_body):
    url, body = fixture("story", "replica-sample-swamp")
    with Store(tmp_path / "swamp.db") as store:
        ingest(store, url, body, day=20, offset=0)
        before = row(store, "stories", "url", url)
        versions = store.db["story_versions"].count
        assert before["title"] and before["body_text"]
        word = max(before["title"].split(), key=len).strip(".,:;!?\"'")

        ingest(store, url, bad_body, day=24, offset=5000)

        assert row(store, "stories", "url", url) == before  # content, id, dates, pointer: all as they were
        assert store.db["story_versions"].count == versions
        assert url in [hit["url"] for hit in store.search(f'"{word}"')]
        errors = list(store.db.query("SELECT * FROM errors WHERE url = ?", [url]))
        if bad_body:  # an empty 200 body is not read at all: its capture row says what came
            assert len(errors) == 1 and errors[0]["reason"].startswith("unparseable: no story body")
            assert errors[0]["kind"] == "story" and errors[0]["at"].startswith("2026-11-24")
        assert store.outcomes["changed"] == 0
        assert store.db.execute("SELECT count(*) FROM captures WHERE url = ?", [url]).fetchone()[0] == 2


def test_the_maintenance_text_is_named_in_the_reason(tmp_path):
    url, _ = fixture("story", "replica-sample-swamp")
    with Store(tmp_path / "swamp.db") as store:
        ingest(store, url, MAINTENANCE, day=24, offset=0)
        assert store.db["stories"].count == 0  # a story never stored is not made from it
        (error,) = store.db.query("SELECT * FROM errors")
        assert error["url"] == url
        assert "We'll be right back" in error["reason"]


@pytest.mark.parametrize("kind, name, key", [("creator", "replica-with-avatar", "slug"),
                                             ("community", "replica-community", "slug")])
def test_a_profile_page_meeting_a_maintenance_page_keeps_the_profile(tmp_path, kind, name, key):
    url, body = fixture(kind, name)
    table = {"creator": "creators", "community": "communities"}[kind]
    with Store(tmp_path / "swamp.db") as store:
        ingest(store, url, body, day=20, offset=0)
        (before,) = store.db.query(f"SELECT * FROM {table}")
        assert before["name"]

        ingest(store, url, MAINTENANCE, day=24, offset=5000)

        (after,) = store.db.query(f"SELECT * FROM {table}")
        assert after == before
        (error,) = store.db.query("SELECT * FROM errors")
        assert error["kind"] == kind and error["reason"].startswith(f"unparseable: no {kind} profile")


def test_a_good_capture_after_the_maintenance_page_is_stored(tmp_path):
    url, body = fixture("story", "replica-sample-swamp")
    with Store(tmp_path / "swamp.db") as store:
        ingest(store, url, MAINTENANCE, day=20, offset=0)
        ingest(store, url, body, day=24, offset=5000)
        story = row(store, "stories", "url", url)
        assert story["body_text"] and story["warc_offset"] == 5000
        assert store.outcomes["new"] == 1
