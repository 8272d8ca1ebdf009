"""Small HTTP helpers for the replica tests: no redirects followed, every socket closed."""

from __future__ import annotations

import gzip
import http.client
import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

NEXT_DATA = re.compile(r'<script id="__NEXT_DATA__" type="application/json">(.*?)</script>', re.S)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def next_data(self) -> dict[str, Any]:
        found = NEXT_DATA.findall(self.text)
        assert len(found) == 1, f"expected one __NEXT_DATA__, found {len(found)}"
        return json.loads(found[0])


def get(base_url: str, path: str, headers: dict[str, str] | None = None, method: str = "GET") -> Reply:
    """One request on a fresh connection; gzip bodies are returned as sent (still gzipped)."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        body = response.read()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
    finally:
        connection.close()


def gunzip(reply: Reply) -> bytes:
    return gzip.decompress(reply.body) if reply.headers.get("content-encoding") == "gzip" else reply.body


class LinkParser(HTMLParser):
    """Every <a href> of a page, with its class attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            values = dict(attrs)
            self.links.append((values.get("href") or "", values.get("class") or ""))


def links(html: str) -> list[tuple[str, str]]:
    parser = LinkParser()
    parser.feed(html)
    return parser.links


class TextParser(HTMLParser):
    """Visible text roughly as a browser shows it: hidden elements, scripts and style skipped."""

    BLOCKS = {"p", "h1", "h2", "h3", "h4", "li", "div", "section", "figure", "figcaption",
              "footer", "button", "article", "br", "ul", "ol", "blockquote", "span"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip_depth = 0
        self.stack: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        skipping = tag in ("script", "style", "title") or "hidden" in values
        if tag not in ("img", "br", "meta", "link"):
            self.stack.append(skipping)
            self.skip_depth += skipping
        if self.skip_depth:
            return
        if tag == "img" and values.get("alt"):
            self.parts.append("\n" + (values["alt"] or "") + "\n")
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("img", "br", "meta", "link") or not self.stack:
            return
        self.skip_depth -= self.stack.pop()
        if tag in self.BLOCKS and not self.skip_depth:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.parts.append(data)


def visible_lines(html: str) -> list[str]:
    parser = TextParser()
    parser.feed(html)
    return [line.strip() for line in "".join(parser.parts).split("\n") if line.strip()]


def srcset_candidates(value: str) -> list[str]:
    """The URLs of a srcset, by the HTML standard's algorithm: a URL runs to white space
    (Cloudinary URLs hold commas), trailing commas end it, descriptors run to a comma."""
    urls, position = [], 0
    while position < len(value):
        while position < len(value) and (value[position].isspace() or value[position] == ","):
            position += 1
        start = position
        while position < len(value) and not value[position].isspace():
            position += 1
        url = value[start:position]
        if not url:
            break
        if url.endswith(","):
            urls.append(url.rstrip(","))
            continue
        urls.append(url)
        depth = 0  # skip the descriptors, up to the comma that ends the candidate
        while position < len(value) and (depth or value[position] != ","):
            depth += {"(": 1, ")": -1}.get(value[position], 0)
            position += 1
    return urls


class RequisiteParser(HTMLParser):
    """What a browser loads from a page's markup: stylesheets and preloads, scripts,
    images (src and every srcset candidate, <source> included), in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "link" and {"stylesheet", "preload", "modulepreload", "icon"} & set(values.get("rel", "").split()):
            self.urls.append(values.get("href", ""))
        elif tag == "script" and values.get("src"):
            self.urls.append(values["src"])
        elif tag in ("img", "source"):
            if tag == "img" and values.get("src"):
                self.urls.append(values["src"])
            self.urls += srcset_candidates(values.get("srcset", ""))


def html_references(html: str) -> list[str]:
    parser = RequisiteParser()
    parser.feed(html)
    return parser.urls


CSS_IMPORT = re.compile(r"""@import\s+(?:url\(\s*)?["']?([^"')\s;]+)""")
CSS_URL = re.compile(r"""url\(\s*["']?([^"')]+?)["']?\s*\)""")


def css_references(css: str) -> list[str]:
    """The URLs a stylesheet loads: its @imports and url()s (relative to the stylesheet)."""
    return list(dict.fromkeys(CSS_IMPORT.findall(css) + CSS_URL.findall(css)))
