"""Page objects: a saved page (body, URL, capture time) in, a typed record out.

Pure functions of their input: no Scrapy engine, no network. The URL tells the
page kind; each kind has its page object (story, creator, community), and every
page also yields its links (``extract_links``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from swampcrawl.pages.community import CommunityPage
from swampcrawl.pages.creator import CreatorPage
from swampcrawl.pages.document import PageDocument
from swampcrawl.pages.links import extract_links, links_from_root, rules_for
from swampcrawl.pages.story import StoryPage
from swampcrawl.records import Community, Creator, Listing, Story, as_utc
from swampcrawl.urls import PageKind, UrlRules

PAGE_OBJECTS = {
    PageKind.STORY: StoryPage,
    PageKind.RESOURCES_STORY: StoryPage,
    PageKind.CREATOR: CreatorPage,
    PageKind.COMMUNITY: CommunityPage,
}
PageObject = StoryPage | CreatorPage | CommunityPage


def extract(
    body: bytes | str,
    url: str,
    captured_at: datetime | None = None,
    base_url: str | None = None,
    *,
    content_type: str | None = None,
) -> Story | Creator | Community | Listing:
    """The record of one page, by the kind of its URL (a ``Listing`` for listings and others).

    ``base_url`` defaults to the URL's own scheme and host, so a page saved from any
    host (a replica on 127.0.0.1 included) extracts as itself. ``content_type``: the
    HTTP ``Content-Type`` header the page was served with, when known: its charset
    decides how the bytes are decoded, as in a browser (``document.page_bytes``).
    """
    rules, normal, page_object = _route(url, base_url or _site_of(url))
    doc = PageDocument(body, content_type)
    if page_object is None:
        return links_from_root(doc.root, normal, rules)
    return page_object(doc, normal, as_utc(captured_at or datetime.now(UTC)), rules).to_record()


def read_page(
    body: bytes | str,
    url: str,
    captured_at: datetime,
    base_url: str,
    want_record: bool = True,
    *,
    content_type: str | None = None,
) -> tuple[Story | Creator | Community | None, Listing]:
    """The page's record (None for listings, or when not wanted) and its links, from one parse.

    What a crawler calls on every page: parsing twice (``extract`` then
    ``extract_links``) costs a third of the extraction time again. ``content_type``:
    the response's ``Content-Type`` header, as for ``extract``.
    """
    rules, normal, page_object = _route(url, base_url)
    doc = PageDocument(body, content_type)
    links = links_from_root(doc.root, normal, rules)
    if page_object is None or not want_record:
        return None, links
    return page_object(doc, normal, as_utc(captured_at), rules).to_record(), links


def _route(url: str, base_url: str) -> tuple[UrlRules, str, type[PageObject] | None]:
    """The site's rules, the page's normal URL and its page object (None: a listing or other)."""
    rules = rules_for(base_url)
    normal = rules.normalize(url) or url
    return rules, normal, PAGE_OBJECTS.get(rules.classify(normal))


def _site_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


__all__ = ["extract", "extract_links", "read_page"]
