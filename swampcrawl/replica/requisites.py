"""What a browser loads for a replica page: the ground truth's ``requisites``.

Read from the replica's own markup (always double-quoted attributes, one tag per match),
so the truth lists exactly what the served HTML references: ``<link rel=stylesheet|preload>``
``href``, ``<script src>``, ``<img src>``, and every candidate of ``<img srcset>`` and
``<source srcset>``; then what the stylesheets load (``@import``, ``url()``), from the
assets' own records. Written for the replica alone, like the rest of it.
"""

from __future__ import annotations

import re
from html import unescape
from typing import Callable, Iterable
from urllib.parse import urljoin

TAG = re.compile(r"<(link|script|img|source)\s([^>]*)>")
ATTRIBUTE = re.compile(r'([A-Za-z][\w:-]*)="([^"]*)"')
LOADING_RELS = {"stylesheet", "preload", "modulepreload", "icon"}


def srcset_urls(value: str) -> list[str]:
    """The candidate URLs of a srcset, as HTML parses it: a URL runs to white space and
    may hold commas (Cloudinary's ``c_fill,w_720``); a trailing comma ends a candidate."""
    urls, tokens, expect_url = [], value.split(), True
    for token in tokens:
        if expect_url:
            url = token.rstrip(",")
            if url:
                urls.append(url)
            expect_url = token.endswith(",")
        elif token.endswith(","):  # the last descriptor of this candidate
            expect_url = True
    return urls


def references(html: str) -> list[str]:
    """The URLs the page's tags load, as written (entities decoded), in document order."""
    found = []
    for tag, attributes in TAG.findall(html):
        values = {name.lower(): unescape(value) for name, value in ATTRIBUTE.findall(attributes)}
        if tag == "link":
            if LOADING_RELS & set(values.get("rel", "").lower().split()) and values.get("href"):
                found.append(values["href"])
        elif tag == "script":
            if values.get("src"):
                found.append(values["src"])
        else:
            if tag == "img" and values.get("src"):
                found.append(values["src"])
            found += srcset_urls(values.get("srcset", ""))
    return found


def _absolute(page_url: str, origin: str, url: str) -> str:
    if url.startswith(("http://", "https://")):
        return url
    if url.startswith("/") and not url.startswith("//"):
        return origin + url
    return urljoin(page_url, url)


def page_requisites(page_url: str, html: str, css_references: Callable[[str], Iterable[str]]) -> list[str]:
    """Absolute URLs of everything the page loads, its stylesheets' references included,
    each once, in the order a browser meets them. ``css_references(url)`` gives the
    absolute URLs a stylesheet loads (empty for anything else)."""
    origin = page_url[:page_url.index("/", page_url.index("//") + 2)]
    seen: dict[str, None] = {}
    queue = [_absolute(page_url, origin, url) for url in references(html)]
    while queue:
        url = queue.pop(0)
        if url not in seen:
            seen[url] = None
            queue += css_references(url)
    return list(seen)
