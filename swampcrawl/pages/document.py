"""One parsed page and the machine-readable sources it may carry.

A page is parsed once (lxml); the ``__NEXT_DATA__`` JSON, JSON-LD
blocks and meta tags are read lazily, and a broken source is reported as an error
rather than raised, so extraction can fall back to the next source.
"""

from __future__ import annotations

import codecs
import json
import re
from functools import cached_property
from typing import Any

from lxml import etree

_WS = re.compile(r"\s+")
_META_CHARSET = re.compile(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_-]+)", re.IGNORECASE)
_EMPTY_PAGE = b"<html><body></body></html>"


def clean(text: str | None) -> str:
    """Visible text with runs of white space made one space, ends stripped."""
    return _WS.sub(" ", text or "").strip()


def parse_html(body: bytes | str) -> etree._Element:
    """The page's root element; malformed or empty HTML still gives a tree."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    # Plain lxml elements: lxml.html's element classes cost a Python lookup per node
    # visited and nothing here uses their extra methods.
    try:
        # Bytes let lxml honour <meta charset>; utf-8 is Vocal's and the fallback.
        parser = etree.HTMLParser(encoding=_declared_encoding(body), recover=True)
        root = etree.fromstring(body, parser)
    except (etree.ParserError, etree.XMLSyntaxError, LookupError, ValueError):
        root = None
    # Nothing parseable (empty, binary, an unknown charset): an empty page, not a crash.
    return root if root is not None else etree.fromstring(_EMPTY_PAGE, etree.HTMLParser())


def _declared_encoding(body: bytes) -> str:
    match = _META_CHARSET.search(body, 0, 2048)
    if match is None:
        return "utf-8"
    name = match.group(1).decode("ascii").lower()
    try:
        codecs.lookup(name)
    except LookupError:
        return "utf-8"
    return name


class PageDocument:
    """A parsed page with its sources; errors found while reading them pile up."""

    def __init__(self, body: bytes | str) -> None:
        self.root = parse_html(body)
        self.errors: list[str] = []

    @cached_property
    def next_data(self) -> dict | None:
        """``__NEXT_DATA__`` as a dict, or None (absent or unreadable: then an error)."""
        scripts = self.root.xpath('//script[@id="__NEXT_DATA__"]')
        if not scripts:
            return None
        raw = scripts[0].text or ""
        try:
            data = json.loads(raw)
        except ValueError as exc:
            self.errors.append(f"__NEXT_DATA__ is not valid JSON: {exc}")
            return None
        if not isinstance(data, dict):
            self.errors.append("__NEXT_DATA__ is not a JSON object")
            return None
        return data

    @cached_property
    def page_props(self) -> dict:
        data = self.next_data or {}
        props = data.get("props") if isinstance(data.get("props"), dict) else {}
        page_props = props.get("pageProps")
        return page_props if isinstance(page_props, dict) else {}

    @cached_property
    def json_ld(self) -> list[dict]:
        """Every JSON-LD object on the page (``@graph`` members flattened)."""
        found: list[dict] = []
        for script in self.root.xpath('//script[@type="application/ld+json"]'):
            try:
                data = json.loads(script.text or "")
            except ValueError:
                self.errors.append("a JSON-LD block is not valid JSON")
                continue
            for item in data if isinstance(data, list) else [data]:
                if not isinstance(item, dict):
                    continue
                graph = item.get("@graph")
                if isinstance(graph, list):
                    found.extend(g for g in graph if isinstance(g, dict))
                else:
                    found.append(item)
        return found

    def json_ld_of(self, *types: str) -> dict | None:
        for item in self.json_ld:
            kinds = item.get("@type")
            kinds = kinds if isinstance(kinds, list) else [kinds]
            if any(kind in types for kind in kinds):
                return item
        return None

    @cached_property
    def meta(self) -> dict[str, list[str]]:
        """Meta tags by ``property`` or ``name`` (lower-cased); a tag may repeat."""
        found: dict[str, list[str]] = {}
        for tag in self.root.xpath("//meta[@content]"):
            key = (tag.get("property") or tag.get("name") or "").strip().lower()
            if key:
                found.setdefault(key, []).append(tag.get("content").strip())
        return found

    def meta_first(self, *keys: str) -> str | None:
        for key in keys:
            values = self.meta.get(key)
            if values and values[0]:
                return values[0]
        return None

    @cached_property
    def text(self) -> str:
        """All the page's text but scripts and styles, its white space made single spaces."""
        return clean(" ".join(self.root.xpath("//text()[not(ancestor::script) and not(ancestor::style)]")))

    @cached_property
    def body(self) -> etree._Element:
        bodies = self.root.xpath("//body")
        return bodies[0] if bodies else self.root


def dig(data: Any, *path: str) -> Any:
    """``data[path[0]][path[1]]...`` or None when any step is missing."""
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def text_of(value: Any) -> str | None:
    """A non-empty stripped string, or None."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None
