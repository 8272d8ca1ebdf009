"""The creator page object: ``/authors/<slug>`` (paged ``?page=N``) in, ``Creator`` out.

``__NEXT_DATA__`` carries an Apollo cache (``pageProps.apolloState``): ``User:<id>``,
``Post:<id>`` and ``VocalSite:<id>`` entries that point at each other with ``__ref``.
Without it, the visible text: name (h1), "Joined February 2021", "N stories", "Bio".
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import unquote

from swampcrawl.pages import visible
from swampcrawl.pages.dates import parse_timestamp
from swampcrawl.pages.document import PageDocument, clean, text_of
from swampcrawl.records import Creator, Source
from swampcrawl.urls import STORY_KINDS, UrlRules, url_segments

JOINED = re.compile(r"\bJoined\s+([A-Z][a-z]+)\s+(\d{4})")
STORY_COUNT = re.compile(r"\b(\d[\d,]*)\s+stor(?:y|ies)\b|\bStories\s*\((\d[\d,]*)\)", re.IGNORECASE)
MONTHS = {name: i for i, name in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august",
     "september", "october", "november", "december"], start=1)}
AVATAR_KEYS = ("avatar", "profileImage", "avatarUrl", "image", "photo", "picture")


def resolve(value: object, state: dict, depth: int = 0) -> object:
    """Follow Apollo ``{"__ref": "Type:id"}`` pointers (one level at a time, bounded)."""
    if isinstance(value, dict) and set(value) == {"__ref"} and depth < 8:
        return resolve(state.get(value["__ref"]), state, depth + 1)
    return value


class CreatorPage:
    def __init__(self, doc: PageDocument, url: str, captured_at: datetime, rules: UrlRules) -> None:
        self.doc, self.url, self.captured_at, self.rules = doc, url, captured_at, rules
        segments = url_segments(url)
        self.slug = unquote(segments[1]) if len(segments) > 1 else None

    def to_record(self) -> Creator:
        fields = self.from_apollo()
        source = Source.NEXT_DATA if fields else Source.NONE
        seen = self.from_visible_text()
        if source is Source.NONE and seen.get("name"):
            source = Source.VISIBLE_TEXT
        for key, value in seen.items():
            if fields.get(key) in (None, []):
                fields[key] = value
        errors = list(self.doc.errors)
        if not fields.get("name"):
            errors.append("no creator name found")
            source = Source.NONE if not fields.get("stories") else source
        fields = {k: v for k, v in fields.items() if v is not None and k in Creator.model_fields}
        fields.setdefault("slug", self.slug)
        return Creator(url=self.rules.canonical("authors", self.slug or ""), source=source, errors=errors, **fields)

    def from_apollo(self) -> dict:
        state = self.doc.page_props.get("apolloState")
        if not isinstance(state, dict):
            return {}
        user = self._find_user(state)
        if user is None:
            return {"stories": self._apollo_stories(state)} if state else {}
        avatar = next((resolve(user.get(k), state) for k in AVATAR_KEYS if user.get(k)), None)
        if isinstance(avatar, dict):
            avatar = next((avatar[k] for k in ("large", "url", "publicUrl", "src") if isinstance(avatar.get(k), str)), None)
        joined = parse_timestamp(user.get("createdAt") or user.get("joinedAt") or user.get("joined"))
        count = next((user[k] for k in ("storyCount", "postCount", "postsCount", "publishedPostCount") if isinstance(user.get(k), int)), None)
        return {
            "slug": text_of(user.get("slug")),
            "name": text_of(user.get("name")),
            # "" is a creator known to have no bio; None is a bio we could not read.
            "bio": user["bio"].strip() if isinstance(user.get("bio"), str) else None,
            "joined": joined.strftime("%Y-%m") if joined else None,
            "story_count": count,
            "avatar_url": text_of(avatar),
            "stories": self._apollo_stories(state),
        }

    def _find_user(self, state: dict) -> dict | None:
        users = [v for k, v in state.items() if k.startswith("User:") and isinstance(v, dict)]
        for user in users:
            if user.get("slug") == self.slug:
                return user
        return users[0] if len(users) == 1 else None

    def _apollo_stories(self, state: dict) -> list[str]:
        urls: list[str] = []
        for key, post in state.items():
            if not key.startswith("Post:") or not isinstance(post, dict) or not post.get("slug"):
                continue
            site = resolve(post.get("vocalSite"), state)
            site_slug = site.get("slug") if isinstance(site, dict) else None
            community = "resources" if site_slug in ("vocal", "resources") else site_slug
            if community:
                url = self.rules.canonical(community, str(post["slug"]))
                if url not in urls:
                    urls.append(url)
        return urls

    def from_visible_text(self) -> dict:
        body = self.doc.body
        h1s = body.xpath("//h1")
        text = self.doc.text
        name = clean(visible.block_text(h1s[0])) if h1s else None
        fields: dict = {"name": name or None}
        if (match := JOINED.search(text)) and match.group(1).lower() in MONTHS:
            fields["joined"] = f"{match.group(2)}-{MONTHS[match.group(1).lower()]:02d}"
        if match := STORY_COUNT.search(text):
            fields["story_count"] = int((match.group(1) or match.group(2)).replace(",", ""))
        fields["bio"] = self._visible_bio()
        fields["avatar_url"] = self._visible_avatar(name)
        fields["stories"] = self._visible_stories()
        return fields

    def _visible_bio(self) -> str | None:
        """The text after a "Bio" label, up to the pinned stories or the story list."""
        for label in self.doc.body.xpath("//*[normalize-space(text())='Bio']"):
            # The element right after the label: an empty bio must not borrow the next heading.
            following = label.xpath("following-sibling::*[1]")
            if following and following[0].tag not in ("h1", "h2", "h3", "h4", "div", "section"):
                return clean(visible.block_text(following[0]))
        return None

    def _visible_stories(self) -> list[str]:
        """Card titles (the stable ``post-name`` class), else story links outside the site chrome."""
        links = self.doc.body.xpath('//a[contains(concat(" ", normalize-space(@class), " "), " post-name ")]')
        if not links:
            links = [a for a in self.doc.body.xpath("//a[@href]") if not visible.in_chrome(a)]
        urls: list[str] = []
        for link in links:
            url = self.rules.normalize(link.get("href") or "", self.url)
            if url and self.rules.classify(url) in STORY_KINDS and url not in urls:
                urls.append(url)
        return urls

    def _visible_avatar(self, name: str | None) -> str | None:
        for img in self.doc.body.xpath("//img[@src]"):
            alt = clean(img.get("alt"))
            if name and (alt == name or alt.lower() in (f"{name.lower()} avatar", f"avatar of {name.lower()}")):
                return str(img.get("src"))
            if "avatar" in alt.lower() or "profile" in alt.lower():
                return str(img.get("src"))
        return None
