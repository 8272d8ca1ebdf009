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


# -- what the platform said, and what was computed ---------------------------------------

SLATE_BODY = {"document": {"nodes": [{"object": "block", "type": "paragraph", "nodes": [{"object": "text", "text": "Three short words."}]}]}}
POST = {"name": "T", "slug": "a-story", "publishedAt": "2026-10-20T00:00:00Z", "content": SLATE_BODY}


def test_platform_word_count_and_byline_minutes_are_kept():
    """wordCount 1000 (we count 3; 1000 words would read 4 min) and a byline saying 7 min."""
    post = {**POST, "wordCount": 1000}
    byline = BYLINE.replace("1 min read", "7 min read")
    story = extract(page(byline + "<div><p>Three short words.</p></div>", {"props": {"pageProps": {"post": post}}}), URL, NOW)
    assert (story.body_text, story.word_count, story.reading_minutes, story.derived) == ("Three short words.", 1000, 7, [])


def test_counts_are_computed_when_the_page_gives_neither():
    post = dict(POST)
    byline = BYLINE.replace(" <span>1 min read</span>", "")
    story = extract(page(byline + "<div><p>Three short words.</p></div>", {"props": {"pageProps": {"post": post}}}), URL, NOW)
    assert (story.word_count, story.reading_minutes) == (3, 1)
    assert story.derived == ["word_count", "reading_minutes"]


def test_minutes_computed_from_the_platforms_word_count():
    post = {**POST, "wordCount": 1000}
    byline = BYLINE.replace(" <span>1 min read</span>", "")
    story = extract(page(byline + "<p>x</p>", {"props": {"pageProps": {"post": post}}}), URL, NOW)
    assert (story.word_count, story.reading_minutes, story.derived) == (1000, 4, ["reading_minutes"])


@pytest.mark.parametrize("value", [None, True, "many", -3, 2.5])
def test_unusable_word_count_is_computed(value):
    post = {**POST, "wordCount": value}
    story = extract(page(BYLINE + "<p>x</p>", {"props": {"pageProps": {"post": post}}}), URL, NOW)
    assert (story.word_count, story.reading_minutes, story.derived) == (3, 1, ["word_count"])


def test_word_count_from_json_ld():
    ld = {"@type": "Article", "headline": "T", "wordCount": 640, "articleBody": "Three short words."}
    html = page(BYLINE.replace("1 min read", "3 min read") + f'<script type="application/ld+json">{json.dumps(ld)}</script>')
    story = extract(html, URL, NOW)
    assert (story.source, story.word_count, story.reading_minutes) == ("json_ld", 640, 3)
    assert story.derived == ["published_at"]  # "about a month ago": an estimate


def test_visible_text_page_derives_only_what_it_does_not_show():
    story = extract(page(BYLINE.replace("1 min read", "5 min read") + "<div><p>One.</p><p>Two.</p></div>"), URL, NOW)
    assert (story.source, story.word_count, story.reading_minutes) == ("visible_text", 2, 5)
    assert story.derived == ["published_at", "word_count"]


def test_a_cards_minutes_after_the_story_are_not_the_bylines():
    byline = BYLINE.replace(" <span>1 min read</span>", "")
    cards = '<h3>About the Creator</h3><p>Jo writes.</p><a href="/theSwamp/other">Other</a><span>9 min read</span>'
    story = extract(page(byline + "<div><p>One.</p><p>Two.</p></div>" + cards), URL, NOW)
    assert (story.reading_minutes, story.derived) == (1, ["published_at", "word_count", "reading_minutes"])
