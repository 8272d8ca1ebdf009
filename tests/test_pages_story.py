"""Story extraction: source order, fallbacks and bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from swampcrawl.pages import extract
from swampcrawl.records import Community, Creator, Listing, Story

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
URL = "https://vocal.media/theSwamp/a-story"
SAMPLE = (Path(__file__).parent / "fixtures/story/hand-sample-swamp/body.html").read_bytes()


def page(body: str, next_data: object | None = None) -> str:
    script = ""
    if next_data is not None:
        text = next_data if isinstance(next_data, str) else json.dumps(next_data)
        script = f'<script id="__NEXT_DATA__" type="application/json">{text}</script>'
    return f"<html><body>{body}{script}</body></html>"


BYLINE = '<h1>Title</h1><h2>Sub</h2><div><span>By <a href="/authors/jo">Jo</a></span><span>Published about a month ago</span> <span>1 min read</span></div>'


def test_kind_from_url():
    assert isinstance(extract(SAMPLE, URL, NOW), Story)
    assert isinstance(extract(SAMPLE, "https://vocal.media/authors/x", NOW), Creator)
    assert isinstance(extract(SAMPLE, "https://vocal.media/theSwamp", NOW), Community)
    assert isinstance(extract(SAMPLE, "https://vocal.media/latest-stories?page=2", NOW), Listing)


def test_next_data_wins_and_visible_likes_still_count():
    post = {"name": "From data", "slug": "a-story", "publishedAt": "2026-01-01T00:00:00.000Z",
            "content": {"document": {"nodes": [{"object": "block", "type": "paragraph", "nodes": [{"object": "text", "text": "Body."}]}]}}}
    html = page(BYLINE + '<button aria-label="Like">7</button><div><p>Other body</p></div>', {"props": {"pageProps": {"post": post}}})
    story = extract(html, URL, NOW)
    assert (story.source, story.title, story.body_text, story.like_count) == ("next_data", "From data", "Body.", 7)
    assert story.published_at == datetime(2026, 1, 1, tzinfo=UTC) and story.published_raw is None
    assert story.subtitle == "Sub"  # not in the post: read from the page


@pytest.mark.parametrize("next_data", [None, "{not json", "[]", json.dumps({"props": {"pageProps": {}}})])
def test_visible_text_when_next_data_is_missing_or_broken(next_data):
    story = extract(page(BYLINE + "<div><p>One.</p><p>Two.</p></div>", next_data), URL, NOW)
    assert story.source == "visible_text"
    assert (story.title, story.subtitle, story.author, story.body_text) == ("Title", "Sub", "jo", "One.\n\nTwo.")
    assert story.published_raw == "about a month ago"
    assert story.published_at == datetime(2026, 10, 17, 21, 30, tzinfo=UTC)  # 37.5 days before capture


def test_broken_next_data_is_reported():
    story = extract(page(BYLINE + "<p>x</p>", "{oops"), URL, NOW)
    assert any("__NEXT_DATA__" in error for error in story.errors)


def test_bad_slate_document_falls_back_to_the_page():
    post = {"name": "T", "content": {"document": "{broken"}}
    story = extract(page(BYLINE + "<div><p>Visible body.</p></div>", {"props": {"pageProps": {"post": post}}}), URL, NOW)
    assert story.body_text == "Visible body." and any("content.document" in e for e in story.errors)


@pytest.mark.parametrize("body", [b"", b"\x00\x01\x02", b"<html", "<h1>only a title".encode(), b"<<<>>>" * 1000, "\u2603".encode("utf-16"),
                                  b'<meta charset="klingon"><h1>T</h1>'])
def test_garbage_never_raises(body):
    record = extract(body, URL, NOW)
    assert isinstance(record, Story)
    if not record.title:
        assert record.source == "none" and "no title found" in record.errors


def test_naive_capture_time_is_utc():
    story = extract(page(BYLINE + "<p>x</p>"), URL, datetime(2026, 11, 24, 9, 30))
    assert story.published_at == extract(page(BYLINE + "<p>x</p>"), URL, NOW).published_at
    assert story.published_at == datetime(2026, 10, 17, 21, 30, tzinfo=UTC)


def test_unparseable_link_in_the_body_is_dropped():
    body = '<div><p>Before <a href="http://[oops">a link</a> after.</p><p>Two.</p></div>'
    story = extract(page(BYLINE + body), URL, NOW)
    assert story.body_text == "Before a link after.\n\nTwo."
    assert story.body_html == "<p>Before a link after.</p><p>Two.</p>"


def test_canonical_url_drops_query_and_trailing_dot():
    story = extract(page(BYLINE + "<p>x</p>"), "https://vocal.media./theSwamp/a-story?vocal_referral=x", NOW)
    assert story.url == "https://vocal.media/theSwamp/a-story"


def test_canonical_url_takes_the_posts_slug():
    story = extract(SAMPLE, "https://vocal.media/theSwamp/old-slug", NOW)
    assert story.url == "https://vocal.media/theSwamp/" + story.slug and story.slug.startswith("with-tensions")
