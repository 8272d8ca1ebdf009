"""The links a page offers, sorted by kind: what the spiders follow."""

from __future__ import annotations

from swampcrawl.records.base import Record


class Listing(Record):
    url: str
    kind: str  # a swampcrawl.urls.PageKind value
    story_urls: list[str] = []  # stories and resources stories
    creator_urls: list[str] = []
    community_urls: list[str] = []
    tag_urls: list[str] = []
    listing_urls: list[str] = []  # community and global listings (every page number)
    next_page_url: str | None = None
    # What a browser loads to show the page (stylesheets, scripts, fonts, images), on any
    # host: absolute URLs in document order (swampcrawl.pages.requisites).
    requisite_urls: list[str] = []
