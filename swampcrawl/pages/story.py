"""The story page object: a saved story page in, a ``Story`` record out.

Sources are tried in order: ``__NEXT_DATA__`` (``props.pageProps.post``), JSON-LD,
meta tags, the visible text. Each field takes the first value a source gives; the
record's ``source`` names the first source that gave anything. Likes, the Top Story
badge and the byline's "N min read" are read from the visible text even when
``__NEXT_DATA__`` is present, because only the page shows them.

What the platform says wins over what we could compute: ``word_count`` is the post's
``wordCount``, ``reading_minutes`` the byline's "N min read". Only when the page does not
say are they computed (from ``body_text``), and the record's ``derived`` names them.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime
from urllib.parse import unquote

from swampcrawl.pages import story_visible
from swampcrawl.pages.dates import parse_page_date, parse_timestamp, relative_window
from swampcrawl.pages.document import PageDocument, dig, text_of
from swampcrawl.pages.slate import SlateError, render
from swampcrawl.records import Source, Story, Tag
from swampcrawl.urls import PageKind, UrlRules, url_segments

WORDS_PER_MINUTE = 265
STORY_FIELDS = tuple(f for f in Story.model_fields if f not in ("source", "errors", "url", "derived"))
DERIVABLE = ("published_at", "updated_at", "word_count", "reading_minutes")  # in Story's field order


def reading_minutes(word_count: int) -> int:
    return max(1, math.floor(word_count / WORDS_PER_MINUTE + 0.5))


def platform_count(value: object) -> int | None:
    """A count as the platform gives it (``wordCount``): a whole number, not a bool."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def content_hash(title: str | None, subtitle: str | None, body_text: str | None) -> str:
    text = f"{title or ''}\n{subtitle or ''}\n{body_text or ''}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class StoryPage:
    """Extraction of one story page; ``to_record()`` never raises on bad input."""

    def __init__(self, doc: PageDocument, url: str, captured_at: datetime, rules: UrlRules) -> None:
        self.doc = doc
        self.url = url
        self.captured_at = captured_at
        self.rules = rules
        self.errors: list[str] = []

    def to_record(self) -> Story:
        sources = [
            (Source.NEXT_DATA, self.from_next_data),
            (Source.JSON_LD, self.from_json_ld),
            (Source.META, self.from_meta),
        ]
        fields: dict = {}
        used = Source.NONE
        for source, read in sources:
            found = {k: v for k, v in read().items() if v is not None}
            if found and used is Source.NONE:
                used = source
            # An exact time from the data makes the page's relative wording redundant:
            # a None here keeps the visible text's ``*_raw`` out.
            fields.update({f"{k[:-3]}_raw": None for k in ("published_at", "updated_at") if k in found})
            for key, value in found.items():
                fields.setdefault(key, value)
        seen = self.from_visible_text(need_body=fields.get("body_text") is None, need_tags="tags" not in fields)
        if used is Source.NONE and any(seen.get(k) for k in ("title", "body_text")):
            used = Source.VISIBLE_TEXT
        for key, value in seen.items():
            if value is not None and value != []:
                fields.setdefault(key, value)
        return self._finish(fields, used)

    # -- sources -------------------------------------------------------------------

    def from_next_data(self) -> dict:
        post = self.doc.page_props.get("post")
        if not isinstance(post, dict):
            if self.doc.next_data is not None:
                self.errors.append("__NEXT_DATA__ has no props.pageProps.post")
            return {}
        site = post.get("vocalSite") if isinstance(post.get("vocalSite"), dict) else {}
        author = post.get("author") if isinstance(post.get("author"), dict) else {}
        fields = {
            "id": None if post.get("id") is None else str(post["id"]),
            "slug": text_of(post.get("slug")),
            "title": text_of(post.get("name")),
            "subtitle": text_of(post.get("subtitle")),
            "summary": text_of(post.get("summary")),
            "community_name": text_of(site.get("name")),
            "author": text_of(author.get("slug")),
            "author_name": text_of(author.get("name")),
            "published_at": parse_timestamp(post.get("publishedAt")),
            "updated_at": parse_timestamp(post.get("contentUpdatedAt")),
            "hero_image_url": text_of(dig(post, "heroImage", "large")) or text_of(dig(post, "heroUnsplashImage", "publicUrl")),
            "is_top_story": bool(post["isEditorPick"]) if "isEditorPick" in post else None,
            "tags": [Tag(slug=str(t["slug"]), name=str(t.get("name") or t["slug"])) for t in post.get("tags") or [] if isinstance(t, dict) and t.get("slug")],
            "word_count": platform_count(post.get("wordCount")),
            "_site_slug": text_of(site.get("slug")),
        }
        fields.update(self._body_from_post(post))
        return fields

    def _body_from_post(self, post: dict) -> dict:
        content = post.get("content") if isinstance(post.get("content"), dict) else {}
        if content.get("document") is None:
            self.errors.append("post has no content.document")
            return {}
        try:
            body = render(content["document"], content)
        except SlateError as exc:
            self.errors.append(str(exc))
            return {}
        return {"body_html": body.html, "body_text": body.text}

    def from_json_ld(self) -> dict:
        item = self.doc.json_ld_of("Article", "NewsArticle", "BlogPosting", "CreativeWork")
        if item is None:
            return {}
        author = item.get("author")
        author = author[0] if isinstance(author, list) and author else author
        image = item.get("image")
        image = image[0] if isinstance(image, list) and image else image
        keywords = item.get("keywords")
        if isinstance(keywords, str):
            keywords = [k.strip() for k in keywords.split(",")]
        return {
            "title": text_of(item.get("headline")) or text_of(item.get("name")),
            "summary": text_of(item.get("description")),
            "published_at": parse_timestamp(item.get("datePublished")),
            "updated_at": parse_timestamp(item.get("dateModified")),
            "author_name": text_of(author.get("name")) if isinstance(author, dict) else text_of(author),
            "hero_image_url": text_of(image.get("url")) if isinstance(image, dict) else text_of(image),
            "body_text": text_of(item.get("articleBody")),
            "word_count": platform_count(item.get("wordCount")),
        }

    def from_meta(self) -> dict:
        title = self.doc.meta_first("og:title", "twitter:title")
        if title and title.endswith(" | Vocal"):
            title = title[: -len(" | Vocal")]
        return {
            "title": text_of(title),
            "summary": text_of(self.doc.meta_first("og:description", "description", "twitter:description")),
            "published_at": parse_timestamp(self.doc.meta_first("article:published_time")),
            "updated_at": parse_timestamp(self.doc.meta_first("article:modified_time")),
            "hero_image_url": text_of(self.doc.meta_first("og:image", "twitter:image")),
        }

    def from_visible_text(self, need_body: bool, need_tags: bool = True) -> dict:
        """What the page shows; the body and the tags (costly to read) only when asked for,
        as ``to_record`` keeps the first source's value (``__NEXT_DATA__`` has the tags)."""
        seen = story_visible.read_header(self.doc, self.rules, self.url)
        fields = dict(seen.fields)
        for key in ("published", "updated"):
            raw = fields.get(f"{key}_raw")
            if raw:
                fields[f"{key}_at"] = parse_page_date(raw, self.captured_at)
        if need_tags:
            fields["tags"] = story_visible.read_tags(self.doc, self.rules, self.url, seen.header_end)
        if need_body and fields.get("title"):  # no title: not a story page (an error page, say)
            byline_links = set(seen.header_end.iter("a")) if seen.header_end is not None else set()
            byline_links.add(seen.author_link)
            body = story_visible.read_body(self.doc, seen.header_end, byline_links)
            if body is not None:
                fields["body_html"], fields["body_text"] = body
        return fields

    # -- the record ------------------------------------------------------------------

    def _finish(self, fields: dict, used: Source) -> Story:
        self._fill_from_url(fields)
        derived = self._derive(fields)
        errors = [*self.doc.errors, *self.errors]
        if not fields.get("title"):
            errors.append("no title found")
            used = Source.NONE  # without a title nothing read can be trusted to be this story
        if not fields.get("body_text"):
            errors.append("no story body found")
        record = {k: fields[k] for k in STORY_FIELDS if fields.get(k) is not None}
        return Story(url=fields["url"], source=used, errors=errors, derived=derived, **record)

    def _fill_from_url(self, fields: dict) -> None:
        """Community and slug from the URL, which names both; the canonical URL from them."""
        segments = [unquote(s) for s in url_segments(self.url)]
        if self.rules.classify(self.url) is PageKind.RESOURCES_STORY:
            fields["community"] = "resources"
        else:
            fields["community"] = (segments[0] if segments else None) or fields.get("_site_slug")
        if fields.get("slug") is None:
            fields["slug"] = segments[1] if len(segments) > 1 else None
        fields["url"] = self.rules.canonical(fields["community"] or "", fields["slug"] or "")

    @staticmethod
    def _derive(fields: dict) -> list[str]:
        """Counts the page did not give, computed from the body, and the hash; the names of
        the fields computed rather than read (the ``derived`` convention)."""
        derived = set()
        body_text = fields.get("body_text")
        if fields.get("word_count") is None and body_text is not None:
            fields["word_count"] = len(body_text.split())
            derived.add("word_count")
        if fields.get("reading_minutes") is None and fields.get("word_count") is not None:
            fields["reading_minutes"] = reading_minutes(fields["word_count"])
            derived.add("reading_minutes")
        for key in ("published", "updated"):
            raw = fields.get(f"{key}_raw")
            if raw and fields.get(f"{key}_at") is not None and relative_window(raw) is not None:
                derived.add(f"{key}_at")  # an estimate from "4 days ago" and the capture time
        if fields.get("title") or body_text:
            # Always ours (a fingerprint of the text, no platform field): never "derived".
            fields["content_hash"] = content_hash(fields.get("title"), fields.get("subtitle"), body_text)
        return [name for name in DERIVABLE if name in derived]
