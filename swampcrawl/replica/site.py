"""The replica as one object: ``build_site(...)``, ``Site.render(path, query)``, ``Site.truth()``.

Pages are rendered on first request and their bytes cached: generating a site of
thousands of stories stays fast, and serving a page again costs a dict look-up.
``Site.render`` also serves the build's static assets (``/_next/static/...``) and
``Site.render_image`` the image host's pictures.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Mapping
from urllib.parse import parse_qs

from swampcrawl.replica import listings, special
from swampcrawl.replica.assets import CACHE_CONTROL, STATIC, SiteAssets
from swampcrawl.replica.clock import http_date, site_now
from swampcrawl.replica.content import generate
from swampcrawl.replica.creator_page import creator_page
from swampcrawl.replica.epochs import advance
from swampcrawl.replica.html import EmotionClasses
from swampcrawl.replica.images import image_robots, render_image
from swampcrawl.replica.index import SiteIndex, build_index
from swampcrawl.replica.requisites import page_requisites
from swampcrawl.replica.story_page import story_page
from swampcrawl.replica.truth import site_truth

HTML = "text/html; charset=utf-8"
LISTING_KINDS = ("latest-stories", "top-stories")


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


def _page_number(query: str | Mapping[str, Any]) -> int | None:
    """``?page=N`` from 1; a missing page is page 1; anything else is no page (404)."""
    values = parse_qs(query) if isinstance(query, str) else dict(query)
    raw = values.get("page")
    if raw is None:
        return 1
    text = raw[-1] if isinstance(raw, list) else raw
    text = str(text)
    return int(text) if text.isdigit() and int(text) >= 1 and len(text) < 9 else None


def default_image_base(host: str, port: int) -> str:
    """Where images are said to be when no image server tells: the next port up."""
    return f"http://{host}:{port + 1 if port < 65535 else port - 1}"


class Site:
    """The served site at one epoch; ``origin`` is where it is served (for absolute links),
    ``image_base`` where its images are (the image host)."""

    def __init__(self, index_factory: Callable[[str, int, str], SiteIndex], seed: int, epoch: int,
                 build: str, host: str = "127.0.0.1", port: int = 8000,
                 image_base: str | None = None) -> None:
        self.seed, self.epoch, self.build = seed, epoch, build
        self._index_factory = index_factory
        self._cache: dict[tuple[str, int | None], tuple[int, dict[str, str], bytes]] = {}
        self.set_origin(host, port, image_base)

    def set_origin(self, host: str, port: int, image_base: str | None = None) -> None:
        """Where the site is served; pages name it (sitemaps, trailing-dot links), and
        ``image_base`` (default: ``default_image_base``) in every image URL."""
        self.host, self.port = host, port
        self.image_base = (image_base or default_image_base(host, port)).rstrip("/")
        self.index = self._index_factory(host, port, self.image_base)
        self._cache.clear()
        self._not_found: Response | None = None

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def assets(self) -> SiteAssets:
        return self.index.assets

    @property
    def now(self) -> datetime:
        return self.index.now

    def render(self, path: str, query: str | Mapping[str, Any] = "") -> tuple[int, dict[str, str], bytes]:
        """Status, headers (Content-Type, ETag, Last-Modified, Location) and body of a GET."""
        page_number = _page_number(query)
        key = (path, 0 if path.startswith(STATIC) else page_number)  # assets ignore the query
        cached = self._cache.get(key)
        if cached is None:
            cached = self._respond(path, page_number)
            # Only real pages are kept: a crawler probing junk URLs must not grow the cache.
            if cached[0] != 404:
                self._cache[key] = cached
        status, headers, body = cached
        return status, dict(headers), body

    def _respond(self, path: str, page_number: int | None) -> tuple[int, dict[str, str], bytes]:
        result = self._route(path, page_number)
        if result is None:
            if self._not_found is None:
                body = listings.simple_page(self.index, "/404", "404", "This page could not be found.")
                self._not_found = Response(404, {"Content-Type": HTML}, body)
            result = self._not_found
        headers = {**result.headers, "ETag": '"' + hashlib.sha1(result.body).hexdigest()[:20] + '"'}
        headers.setdefault("Last-Modified", http_date(self.now))
        return result.status, headers, result.body

    def _route(self, path: str, page_number: int | None) -> Response | None:
        asset = self.assets.get(path)
        if asset is not None:  # whatever the query
            return Response(200, asset.headers, asset.body)
        special_response = special.special_page(self, path)
        if special_response is not None:
            status, content_type, body = special_response
            return Response(status, {"Content-Type": content_type}, body)
        if page_number is None or (path != "/" and path.endswith("/")):
            return None
        parts = path.strip("/").split("/")
        if parts == [""]:
            return Response(200, {"Content-Type": HTML}, listings.home_page(self.index))
        if len(parts) == 1 and parts[0] in LISTING_KINDS:
            return self._html(listings.global_listing(self.index, parts[0], page_number))
        if len(parts) == 2 and parts[0] == "authors":
            creator = self.index.data.creators.get(parts[1])
            return self._html(creator and creator_page(self.index, creator, page_number))
        return self._community_route(path, parts, page_number)

    def _community_route(self, path: str, parts: list[str], page_number: int) -> Response | None:
        community = self.index.data.communities.get(parts[0])
        if community is None or len(parts) > 3:
            return None
        if len(parts) == 1:
            return self._html(listings.community_page(self.index, community))
        if len(parts) == 3:
            if parts[1] != "tag":
                return None
            return self._html(listings.tag_page(self.index, community, parts[2], page_number))
        if parts[1] in LISTING_KINDS:
            return self._html(listings.community_listing(self.index, community, parts[1], page_number))
        return self._story(path)

    def _story(self, path: str) -> Response | None:
        story = self.index.by_path.get(path)
        if story is not None:
            modified = http_date(story.updated_at or story.published_at)
            return Response(200, {"Content-Type": HTML, "Last-Modified": modified},
                            story_page(self.index, story))
        target = self.index.data.redirects.get(path)
        if target is not None:
            body = f'<html><body><a href="{target}">Moved</a></body></html>'.encode()
            return Response(301, {"Content-Type": HTML, "Location": target}, body)
        return None

    @staticmethod
    def _html(body: bytes | None) -> Response | None:
        return None if body is None else Response(200, {"Content-Type": HTML}, body)

    def render_image(self, path: str, query: str = "") -> tuple[int, dict[str, str], bytes]:
        """A GET on the image host: a picture the site shows (any size), its robots.txt, or 404."""
        if path == "/robots.txt":
            status, headers, body = 200, {"Content-Type": "text/plain; charset=utf-8"}, image_robots()
        else:
            image = render_image(path, query, self.index.image_keys)
            if image is None:
                status, headers, body = 404, {"Content-Type": "text/plain; charset=utf-8"}, b"Not Found\n"
            else:
                status, headers, body = 200, {"Content-Type": image[0], "Cache-Control": CACHE_CONTROL}, image[1]
        headers["ETag"] = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
        headers["Last-Modified"] = http_date(self.now)
        return status, headers, body

    def requisites(self, url: str) -> list[str]:
        """Absolute URLs of everything a browser loads for the page at ``url`` (path and
        query): what its HTML references and what its stylesheets do; [] for a non-page."""
        path, _, query = url.partition("?")
        status, headers, body = self.render(path, query)
        if status != 200 or not headers["Content-Type"].startswith("text/html"):
            return []
        return page_requisites(self.origin + url, body.decode("utf-8"), self._css_references)

    def _css_references(self, url: str) -> list[str]:
        origin = self.origin
        asset = self.assets.get(url[len(origin):]) if url.startswith(origin + STATIC) else None
        return [origin + path for path in asset.references] if asset else []

    def asset_urls(self) -> list[str]:
        """Absolute URLs of the site's static files: the build's ``/_next/static/...``, the favicon."""
        return [self.origin + asset.path for asset in self.assets.all()]

    def truth(self) -> dict[str, Any]:
        """The ground truth (docs/ARCHITECTURE.md, docs/replica.md): what the site serves."""
        requisites = {url: self.requisites(url) for url in self.paths()}
        requisites = {url: found for url, found in requisites.items() if found}
        return site_truth(self.index, self.seed, self.epoch, self.build, self.image_base,
                          requisites, self.asset_urls())

    def paths(self) -> list[str]:
        """Every URL (path and query) the site answers 200 or 301 to, for --export."""
        return special.all_paths(self)


def build_site(seed: int = 1, stories: int = 50, epoch: int = 1, build: str = "a",
               now: datetime | None = None, host: str = "127.0.0.1", port: int = 8000,
               image_base: str | None = None) -> Site:
    """Generate the site of ``seed`` with ``stories`` stories at epoch 1, then advance it.

    ``now`` overrides the clock of the requested epoch (earlier epochs are one day apart);
    ``image_base`` is where pages say images are (default: ``default_image_base``).
    """
    if stories < 1 or epoch < 1:
        raise ValueError("stories and epoch must be at least 1")
    final_now = site_now(epoch, now)
    data, gen = generate(seed, stories, final_now - (site_now(epoch) - site_now(1)))
    protected = {next(iter(data.stories))}  # the sample story stays as the sample file shows it
    for number in range(2, epoch + 1):
        advance(gen, seed, number, protected)
    css = EmotionClasses(build)
    assets = SiteAssets(css.build_id())
    return Site(lambda h, p, i: build_index(data, css, assets, h, p, i), seed, epoch, build, host, port,
                image_base)
