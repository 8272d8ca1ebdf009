"""Every same-site link of a page, normalised, de-duplicated and sorted by kind, and the
page's requisites (any host).

The crawler calls this on every page, so it parses once and reads ``//a/@href``
with one XPath; only the next-page search looks further (rel=next, then link words).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from lxml import etree
from w3lib.url import url_query_parameter

from swampcrawl.pages.document import parse_html
from swampcrawl.pages.requisites import html_requisites
from swampcrawl.records import Listing, Source
from swampcrawl.urls import PageKind, UrlRules

_BUCKETS = {
    PageKind.STORY: "story_urls",
    PageKind.RESOURCES_STORY: "story_urls",
    PageKind.CREATOR: "creator_urls",
    PageKind.COMMUNITY: "community_urls",
    PageKind.TAG_LISTING: "tag_urls",
    PageKind.COMMUNITY_LISTING: "listing_urls",
    PageKind.GLOBAL_LISTING: "listing_urls",
}
# Plain strings: "smart" ones (the default) each carry a reference to their element.
_HREFS = etree.XPath("//a/@href", smart_strings=False)
_NEXT_WORDS = frozenset({"next", "next page", "older", "older stories", "load more", "more stories", "›", "»", ">"})
_REL_NEXT = etree.XPath('//a[contains(concat(" ", normalize-space(@rel), " "), " next ")]/@href | //link[@rel="next"]/@href')


def links_from_root(root: etree._Element, url: str, rules: UrlRules) -> Listing:
    page_url = rules.normalize(url) or url
    buckets: dict[str, list[str]] = {name: [] for name in set(_BUCKETS.values())}
    seen: set[str] = set()
    for href in _HREFS(root):
        target = rules.normalize(href, page_url)
        if target is None or target in seen:
            continue
        seen.add(target)
        bucket = _BUCKETS.get(rules.classify(target))
        if bucket:
            buckets[bucket].append(target)
    return Listing(
        url=page_url,
        kind=rules.classify(page_url).value,
        next_page_url=_next_page(root, page_url, seen, rules),
        requisite_urls=html_requisites(root, url),
        source=Source.VISIBLE_TEXT,
        **buckets,
    )


@lru_cache(maxsize=8)
def rules_for(base_url: str) -> UrlRules:
    """One UrlRules (and its cache of normalised links) per site, across pages."""
    return UrlRules(base_url)


def extract_links(body: bytes | str, url: str, base_url: str, *, content_type: str | None = None) -> Listing:
    """The links of any page (one parse); ``content_type`` as for ``extract``."""
    return links_from_root(parse_html(body, content_type), url, rules_for(base_url))


def _page_number(url: str) -> int | None:
    # A refused URL comes here as it was given: its page may be anything.
    value = url_query_parameter(url, "page")
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _worded_next(root: etree._Element) -> Iterator[etree._Element]:
    """The links (with an href) whose text is one of _NEXT_WORDS, in document order.

    Walked in Python rather than with ``//a[@href]`` and ``itertext()`` on each: a link
    without children is read from its ``.text``; 2.5 times faster on the replica's pages
    (the old form cost as much as the rest of the link extraction, on every page)."""
    for link in root.iter("a"):
        if link.get("href") is None:
            continue
        text = (link.text or "") if len(link) == 0 else "".join(link.itertext())
        if " ".join(text.split()).lower() in _NEXT_WORDS:
            yield link


def _next_page(root: etree._Element, page_url: str, seen: set[str], rules: UrlRules) -> str | None:
    """``rel=next``, a link worded "Next", or this path with the following page number."""
    for href in _REL_NEXT(root):
        target = rules.normalize(str(href), page_url)
        if target:
            return target
    for link in _worded_next(root):
        target = rules.normalize(link.get("href"), page_url)
        if target and target != page_url:
            return target
    path = page_url.split("?")[0]
    candidate = f"{path}?page={(_page_number(page_url) or 1) + 1}"
    return candidate if candidate in seen else None
