"""The community page object: ``/<slug>`` in, ``Community`` out.

Visible text: the name (h1), its description, "Stats", "Stories - 16,049",
"Creators - 4,328". ``__NEXT_DATA__`` is read first when it holds the site.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import unquote

from swampcrawl.pages import visible
from swampcrawl.pages.document import PageDocument, clean, text_of
from swampcrawl.records import Community, Source
from swampcrawl.urls import UrlRules, url_segments

STORIES = re.compile(r"\bStories\s*[-–—:·]?\s*(\d[\d,]*)")
CREATORS = re.compile(r"\bCreators\s*[-–—:·]?\s*(\d[\d,]*)")
COUNT_KEYS = {
    "story_count": ("storyCount", "postCount", "postsCount", "stories"),
    "creator_count": ("creatorCount", "userCount", "authorCount", "creators"),
}


class CommunityPage:
    def __init__(self, doc: PageDocument, url: str, captured_at: datetime, rules: UrlRules) -> None:
        self.doc, self.url, self.captured_at, self.rules = doc, url, captured_at, rules
        segments = url_segments(url)
        self.slug = unquote(segments[0]) if segments else None

    def to_record(self) -> Community:
        fields = self.from_next_data()
        source = Source.NEXT_DATA if fields.get("name") else Source.NONE
        seen = self.from_visible_text()
        if source is Source.NONE and seen.get("name"):
            source = Source.VISIBLE_TEXT
        for key, value in seen.items():
            if fields.get(key) is None:
                fields[key] = value
        errors = list(self.doc.errors)
        if not fields.get("name"):
            errors.append("no community name found")
            source = Source.NONE
        fields = {k: v for k, v in fields.items() if v is not None}
        fields["slug"] = self.slug
        return Community(url=self.rules.canonical(self.slug or ""), source=source, errors=errors, **fields)

    def from_next_data(self) -> dict:
        props = self.doc.page_props
        site = next((props[k] for k in ("vocalSite", "site", "community") if isinstance(props.get(k), dict)), None)
        if site is None:
            return {}
        fields = {
            "name": text_of(site.get("name")),
            "description": text_of(site.get("description")),
        }
        for field, keys in COUNT_KEYS.items():
            fields[field] = next((site[k] for k in keys if isinstance(site.get(k), int)), None)
        return fields

    def from_visible_text(self) -> dict:
        body = self.doc.body
        h1s = body.xpath("//h1")
        fields: dict = {"name": clean(visible.block_text(h1s[0])) or None if h1s else None}
        if h1s:
            following = h1s[0].xpath("following::*[self::p or self::h2 or self::div][normalize-space()][1]")
            if following and not following[0].xpath(".//h2|.//h3|.//a"):
                text = clean(visible.block_text(following[0]))
                fields["description"] = text if text and text != "Stats" else None
        text = self.doc.text
        if match := STORIES.search(text):
            fields["story_count"] = int(match.group(1).replace(",", ""))
        if match := CREATORS.search(text):
            fields["creator_count"] = int(match.group(1).replace(",", ""))
        return fields
