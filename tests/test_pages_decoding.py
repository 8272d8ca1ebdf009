"""Pages are decoded as a browser would, and no page is too deep or too big to read.

Decoding (``swampcrawl.pages.document.page_bytes``): a byte order mark first, then the
charset of the HTTP ``Content-Type`` header, then ``<meta charset>``, else UTF-8, as
w3lib's ``html_to_unicode`` (and so Scrapy's ``TextResponse``) decides; a label that names
no page encoding is ignored and a ``<meta>`` naming UTF-16 means UTF-8, as in browsers.
Nesting deeper than Python's recursion limit (in ``__NEXT_DATA__``, in a Slate document,
in the markup) is an error on the record, never a traceback; a ``__NEXT_DATA__`` past
libxml2's 10 MB text limit is read whole. Every page is built here.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from swampcrawl.pages import extract, extract_links, read_page
from swampcrawl.pages.document import page_bytes
from swampcrawl.records import Creator, Story

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
BASE = "https://vocal.media"
URL = f"{BASE}/theSwamp/a-story"
TITLE = "“Smart” quotes in a café"  # “ and ” are 0x93 and 0x94 in windows-1252, é is 0xe9
BODY = "Déjà vu — it’s the “same” story."
CP1252 = "text/html; charset=windows-1252"


def page(head: str = "", next_data: str | None = None, title: str = TITLE, body: str = BODY) -> str:
    """A story page a reader can read without ``__NEXT_DATA__``."""
    script = f'<script id="__NEXT_DATA__" type="application/json">{next_data}</script>' if next_data is not None else ""
    return (
        f"<html><head>{head}</head><body><h1>{title}</h1>"
        '<div><span>By <a href="/authors/jo">Jo</a></span><span>Published 2 days ago</span> <span>1 min read</span></div>'
        f'<div><p>{body}</p><p><a href="/theSwamp/café-story">Another</a> story.</p></div>{script}</body></html>'
    )


def post_data(**post) -> str:
    return json.dumps({"props": {"pageProps": {"post": {"name": "From data", "slug": "a-story", **post}}}})


def slate_text(text: str) -> dict:
    block = {"object": "block", "type": "paragraph", "nodes": [{"object": "text", "text": text}]}
    return {"object": "document", "nodes": [block]}


def read(body: bytes | str, content_type: str | None = None) -> Story:
    story = extract(body, URL, NOW, BASE, content_type=content_type)
    assert isinstance(story, Story)
    return story


# -- decoding ------------------------------------------------------------------------


def test_charset_from_the_http_header():
    body = page().encode("cp1252")
    story = read(body, CP1252)
    assert (story.title, story.body_text.split("\n\n")[0]) == (TITLE, BODY)
    record, links = read_page(body, URL, NOW, BASE, content_type=CP1252)
    assert record == story
    assert f"{BASE}/theSwamp/caf%C3%A9-story" in links.story_urls
    assert extract_links(body, URL, BASE, content_type=CP1252) == links


def test_header_charset_beats_the_pages_meta():
    body = page(head='<meta charset="utf-8">').encode("cp1252")
    assert read(body, CP1252).title == TITLE


def test_without_a_header_the_meta_decides():
    body = page(head='<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">').encode("cp1252")
    assert read(body).title == TITLE


@pytest.mark.parametrize("label", ["latin-1", "iso-8859-1", "ascii"])
def test_labels_browsers_read_as_windows_1252(label):
    """The Encoding Standard maps these labels to windows-1252, where 0x93 is “."""
    assert read(page(head=f'<meta charset="{label}">').encode("cp1252")).title == TITLE


@pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"])
def test_byte_order_mark_comes_first(codec):
    """A BOM beats the header and the meta, as in browsers."""
    text = page(head='<meta charset="windows-1252">')
    body = text.encode(codec)
    if codec in ("utf-16-le", "utf-16-be"):
        body = "\ufeff".encode(codec) + body
    story = read(body, CP1252)
    assert (story.title, story.body_text.split("\n\n")[0]) == (TITLE, BODY)


@pytest.mark.parametrize("label", ["x-foo", "base64", "rot13", "hex", "zlib", "undefined", "idna", "punycode", "unicode-escape"])
def test_meta_naming_no_page_encoding_is_ignored(label):
    """An unknown label, or a Python codec that is no page encoding, leaves the page UTF-8."""
    story = read(page(head=f'<meta charset="{label}">').encode("utf-8"))
    assert (story.title, story.body_text.split("\n\n")[0]) == (TITLE, BODY)


@pytest.mark.parametrize("label", ["x-foo", "base64"])
def test_header_naming_no_page_encoding_is_ignored(label):
    assert read(page().encode("utf-8"), f"text/html; charset={label}").title == TITLE


@pytest.mark.parametrize("label", ["utf-16", "UTF-16LE", "utf-16be", "utf-32"])
def test_meta_naming_utf16_on_utf8_bytes(label):
    """Markup that could be read as ASCII is not UTF-16: browsers read such a page as UTF-8."""
    story = read(page(head=f'<meta charset="{label}">').encode("utf-8"))
    assert (story.title, story.body_text.split("\n\n")[0]) == (TITLE, BODY)


def test_text_is_taken_as_decoded():
    """A str is already text: its meta cannot make it be decoded again."""
    assert read(page(head='<meta charset="windows-1252">')).title == TITLE


def test_invalid_bytes_become_replacement_characters():
    body = page().encode("utf-8").replace("café</h1>".encode(), b"caf\xff</h1>")
    story = read(body)
    assert story.title == "“Smart” quotes in a caf\ufffd" and story.body_text.startswith(BODY)


def test_default_and_header_without_charset_are_utf8():
    assert read(page().encode("utf-8")).title == TITLE
    assert read(page().encode("utf-8"), "text/html").title == TITLE


def test_page_bytes_passes_utf8_through():
    body = page(head='<meta charset="utf-8">').encode("utf-8")
    assert page_bytes(body) is body and page_bytes(body, "text/html; charset=UTF-8") is body
    assert page_bytes(page().encode("cp1252"), CP1252) == page().encode("utf-8")


# -- nesting and size ----------------------------------------------------------------

DEEP_JSON = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize("next_data", [DEEP_JSON, '{"props": {"pageProps": {"post": ' + DEEP_JSON + "}}}"])
def test_next_data_nested_too_deeply_is_an_error(next_data):
    """json.loads raises RecursionError: the record says so and is read from the page."""
    story = read(page(next_data=next_data))
    assert story.source == "visible_text" and story.title == TITLE and story.body_text.startswith(BODY)
    assert any("__NEXT_DATA__ is nested deeper" in error for error in story.errors), story.errors
    record, links = read_page(page(next_data=next_data), URL, NOW, BASE)
    assert record == story and links.story_urls


def test_creator_page_with_next_data_nested_too_deeply():
    body = f'<html><body><h1>Jo</h1><p>Joined February 2021</p><script id="__NEXT_DATA__">{DEEP_JSON}</script></body></html>'
    creator = extract(body, f"{BASE}/authors/jo", NOW, BASE)
    assert isinstance(creator, Creator) and creator.name == "Jo" and creator.joined == "2021-02"
    assert any("nested deeper" in error for error in creator.errors)


def test_json_ld_nested_too_deeply_is_an_error():
    story = read(page(head=f'<script type="application/ld+json">{DEEP_JSON}</script>'))
    assert story.title == TITLE and any("JSON-LD block is nested deeper" in e for e in story.errors)


def deep_slate(depth: int) -> dict:
    node: dict = {"object": "text", "text": "deep"}
    for _ in range(depth):
        node = {"object": "block", "type": "blockquote", "nodes": [node]}
    return {"object": "document", "nodes": [node]}


def test_slate_document_nested_too_deeply_falls_back_to_the_page():
    """The post's other fields stay; the body comes from the page; the record says why."""
    document = json.dumps(deep_slate(1)).replace('"deep"', "[" * 100_000 + "]" * 100_000)
    assert len(document) > 200_000  # the string the site serves as content.document
    story = read(page(next_data=post_data(content={"document": document}, wordCount=9)))
    assert (story.source, story.title, story.word_count) == ("next_data", "From data", 9)
    assert story.body_text.startswith(BODY)
    assert any("content.document is nested deeper" in error for error in story.errors), story.errors


def test_next_data_past_libxml2s_text_limit_is_read_whole():
    padding = "x" * (11 * 1024 * 1024)  # libxml2 keeps at most 10 MB in one text node
    next_data = post_data(content={"document": slate_text("From the data.")}, padding=padding)
    assert len(next_data) > 11 * 1024 * 1024
    body = page(next_data=next_data).encode("utf-8") + b"<p>after the script</p>"
    story = read(body)
    assert (story.source, story.title, story.body_text, story.errors) == ("next_data", "From data", "From the data.", [])


def test_markup_nested_deeper_than_python_recursion():
    """Past libxml2's default 256 levels (lifted with huge_tree) the text is still read."""
    deep = "<b>" * 1500 + "deep" + "</b>" * 1500
    story = read(page(body=f"One. {deep}"))
    assert story.title == TITLE and story.body_text.startswith("One. deep")
    assert story.body_html.count("<strong>") == 1500 and not story.errors


def test_header_as_raw_bytes():
    """Scrapy keeps headers as bytes: the header's bytes do as well as its text."""
    assert page_bytes(page().encode("cp1252"), CP1252.encode("latin-1")) == page().encode("utf-8")
