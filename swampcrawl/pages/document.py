"""One parsed page and the machine-readable sources it may carry.

A page is decoded as a browser would (``page_bytes``), parsed once (lxml), and its
``__NEXT_DATA__`` JSON, JSON-LD blocks and meta tags are read lazily; a broken source
(bad JSON, JSON nested deeper than Python can read) is reported as an error rather than
raised, so extraction can fall back to the next source.
"""

from __future__ import annotations

import codecs
import json
import re
from functools import cached_property, lru_cache
from typing import Any

from lxml import etree
from w3lib.encoding import html_body_declared_encoding, html_to_unicode, http_content_type_encoding, read_bom

_WS = re.compile(r"\s+")
_EMPTY_PAGE = b"<html><body></body></html>"
NESTED_TOO_DEEPLY = "{what} is nested deeper than Python's recursion limit: not read"
# Codecs Python knows that are no page encoding: they would turn markup into nothing
# (or into other markup). A page declaring one is read as if it declared nothing.
_NOT_PAGE_CODECS = frozenset({"idna", "punycode", "undefined", "unicode-escape", "raw-unicode-escape", "utf-7"})


def clean(text: str | None) -> str:
    """Visible text with runs of white space made one space, ends stripped."""
    return _WS.sub(" ", text or "").strip()


def parse_html(body: bytes | str, content_type: str | None = None) -> etree._Element:
    """The page's root element; malformed, empty or wrongly declared HTML still gives a tree.

    ``content_type``: the HTTP ``Content-Type`` header the page came with, if known
    (its charset is how the page is decoded, before the page's own declarations).
    """
    # Plain lxml elements: lxml.html's element classes cost a Python lookup per node
    # visited and nothing here uses their extra methods. huge_tree: a text node (the
    # __NEXT_DATA__ script) may pass libxml2's 10 MB limit; without it the text is lost.
    # The page is always handed over as UTF-8 with that encoding named, so libxml2
    # never acts on a <meta charset> itself.
    try:
        parser = etree.HTMLParser(encoding="utf-8", recover=True, huge_tree=True)
        root = etree.fromstring(page_bytes(body, content_type), parser)
    except (etree.ParserError, etree.XMLSyntaxError, LookupError, ValueError):
        root = None
    # Nothing parseable (empty, binary): an empty page, not a crash.
    return root if root is not None else etree.fromstring(_EMPTY_PAGE, etree.HTMLParser())


def page_bytes(body: bytes | str, content_type: str | bytes | None = None) -> bytes:
    """The page as UTF-8 bytes, decoded as a browser (and Scrapy's ``TextResponse``) would.

    w3lib's ``html_to_unicode`` decides: a byte order mark first, then the charset of
    the ``Content-Type`` header, then ``<meta charset>`` (or an XML declaration), else
    UTF-8. As browsers do, a declared label that names no page encoding (``x-foo``, or a
    Python codec such as ``base64``) is ignored, and a ``<meta>`` naming UTF-16 or
    UTF-32 is read as UTF-8 (a page whose markup could be read as ASCII is not UTF-16).
    Bytes that are not valid in their encoding become U+FFFD. A ``str`` is taken as
    already decoded. ``content_type`` may also be given as the header's raw bytes.
    """
    if isinstance(body, str):
        return body.encode("utf-8", "replace")
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    header_encoding = _page_encoding(http_content_type_encoding(content_type))
    if read_bom(body)[0] is None:
        encoding = header_encoding or _meta_encoding(body)
        if encoding is None or encoding == "utf-8":
            return body  # UTF-8, the common case: libxml2 reads the bytes as they are
    # A BOM, or another encoding: w3lib decodes (the header only when it names a usable one).
    try:
        _, text = html_to_unicode(content_type if header_encoding else None, body)
    except (LookupError, ValueError):  # a codec that fails on these bytes: read them as UTF-8
        return body
    return text.encode("utf-8", "replace")


def _meta_encoding(body: bytes) -> str | None:
    """The encoding ``<meta charset>`` (or an XML declaration) declares, as a browser takes it."""
    declared = _page_encoding(html_body_declared_encoding(body))
    if declared is not None and declared.startswith(("utf-16", "utf-32")):
        return "utf-8"  # the markup was just read as ASCII: the page cannot be UTF-16
    return declared


@lru_cache(maxsize=64)
def _page_encoding(name: str | None) -> str | None:
    """``name`` (a codec name as w3lib resolves labels) if pages can be decoded with it, else None."""
    if name is None:
        return None
    try:
        info = codecs.lookup(name)
        if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_PAGE_CODECS:  # base64, rot13, zlib...
            return None
        b"<html>".decode(info.name, "replace")
    except (LookupError, ValueError):
        return None
    return info.name


class PageDocument:
    """A parsed page with its sources; errors found while reading them pile up."""

    def __init__(self, body: bytes | str, content_type: str | None = None) -> None:
        self.root = parse_html(body, content_type)
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
        except RecursionError:
            self.errors.append(NESTED_TOO_DEEPLY.format(what="__NEXT_DATA__"))
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
            except RecursionError:
                self.errors.append(NESTED_TOO_DEEPLY.format(what="a JSON-LD block"))
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
