"""Which sites' records reparse takes: ``--base-url``'s only, or the platform's wherever it is.

Without ``--base-url`` a site is the platform's when it is vocal.media itself, or when one of
its story, creator or community pages (by the URL rules, ``swampcrawl.urls``) carries the
platform's marks (read with ``swampcrawl.pages``' document reader): a ``__NEXT_DATA__`` naming
the platform's Next.js route for that kind of page, holding a post of a Vocal community, a
creator (``User:``) or a community. A replica on 127.0.0.1 is taken that way; a blog whose
``/news/some-post`` happens to look like a story is not. The records of a platform site's
image hosts (those a crawl of it fetches requisites from, ``swampcrawl.requisites``) give
captures rows only. Every other record is skipped (and counted).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from swampcrawl.pages.document import PageDocument
from swampcrawl.requisites import RequisiteScope
from swampcrawl.urls import MIRROR_HOSTS, PageKind, UrlRules

PLATFORM = "https://vocal.media"
ALL = "all"  # every row of the record: captures, stories, creators, communities...
CAPTURES = "captures"  # its captures (and errors) rows only: a requisite on an image host

# __NEXT_DATA__["page"] of each kind of page on the platform (its Next.js routes).
ROUTES = {
    PageKind.STORY: ("/[siteSlug]/[postSlug]",),
    PageKind.RESOURCES_STORY: ("/resources/[postSlug]", "/[siteSlug]/[postSlug]"),
    PageKind.CREATOR: ("/authors/[authorSlug]",),
    PageKind.COMMUNITY: ("/[siteSlug]",),
}


def site_of(url: str) -> str | None:
    """``scheme://host[:port]`` of an http(s) URL; None for dns:, urn:, a broken URI."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc.lower()}"


def carries_platform_marks(body: bytes, content_type: str | None, kind: PageKind) -> bool:
    """The page's ``__NEXT_DATA__`` is the platform's for this kind of page."""
    if kind not in ROUTES or not body:
        return False
    doc = PageDocument(body, content_type)
    data = doc.next_data
    if data is None or data.get("page") not in ROUTES[kind]:
        return False
    props = doc.page_props
    if kind in (PageKind.STORY, PageKind.RESOURCES_STORY):
        post = props.get("post")
        return isinstance(post, dict) and isinstance(post.get("vocalSite"), dict)
    if kind is PageKind.CREATOR:
        state = props.get("apolloState")
        return isinstance(state, dict) and any(str(key).startswith("User:") for key in state)
    return any(isinstance(props.get(key), dict) for key in ("site", "vocalSite", "community"))


class SiteChoice:
    """The sites of the records read, and which of their rows to write."""

    def __init__(self, base_url: str | None = None) -> None:
        self.only = UrlRules(base_url) if base_url else None
        self.platform_rules = UrlRules(PLATFORM)
        self.rules: dict[str, UrlRules | None] = {}
        self.platform: set[str] = set()
        self.image_hosts: set[str] = set()

    def rules_for(self, site: str) -> UrlRules | None:
        """The URL rules a record of ``site`` is read with; None: never taken."""
        if self.only is not None:
            parts = urlsplit(site)
            return self.only if self.only.is_own_host(parts.scheme, parts.netloc) else None
        if site not in self.rules:
            try:
                self.rules[site] = UrlRules(site)
            except ValueError:  # a bad port
                self.rules[site] = None
        return self.rules[site]

    def is_platform_host(self, site: str) -> bool:
        parts = urlsplit(site)
        return self.platform_rules.is_own_host(parts.scheme, parts.netloc)

    def saw(self, site: str) -> None:
        """A record of ``site``: vocal.media is the platform's whatever its pages look like."""
        if self.only is None and site not in self.platform and self.is_platform_host(site):
            self._add(site)

    def notice(self, site: str, body: bytes, content_type: str | None, kind: PageKind) -> None:
        """A 200 HTML page of ``site``: the site is the platform's if the page carries its marks."""
        if self.only is not None or site in self.platform or (urlsplit(site).hostname or "") in MIRROR_HOSTS:
            return
        if carries_platform_marks(body, content_type, kind):
            self._add(site)

    def _add(self, site: str) -> None:
        self.platform.add(site)
        self.image_hosts |= RequisiteScope.from_settings({}, site).hosts

    def take(self, site: str) -> str | None:
        """ALL, CAPTURES or None (skipped), once every record has been noticed."""
        if self.only is not None:
            return ALL if self.rules_for(site) is not None else None
        if site in self.platform:
            return ALL
        parts = urlsplit(site)
        if parts.netloc in self.image_hosts or (parts.hostname or "") in self.image_hosts:
            return CAPTURES
        return None
