"""The replica's data: communities, creators and stories as it serves them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from swampcrawl.replica.slate import document_text

RESOURCES = "resources"
RESOURCES_SITE_SLUG = "vocal"  # the internal site slug of Resources stories (seen)


@dataclass
class Profile:
    """What communities and creators share; each kind has its own ``path``."""

    id: str
    slug: str
    name: str


@dataclass
class Community(Profile):
    description: str
    logo_url: str | None

    @property
    def path(self) -> str:
        return f"/{self.slug}"

    @property
    def site_slug(self) -> str:
        """The slug in ``vocalSite``: Resources stories live on the site ``vocal``."""
        return RESOURCES_SITE_SLUG if self.slug == RESOURCES else self.slug


@dataclass
class Creator(Profile):
    bio: str
    joined: datetime
    avatar_url: str | None

    @property
    def path(self) -> str:
        return f"/authors/{self.slug}"

    @property
    def initials(self) -> str:
        return "".join(part[0] for part in self.name.split()[:2]).upper()


@dataclass
class Story:
    id: str
    community: str
    slug: str
    title: str
    subtitle: str
    document: dict[str, Any]
    media: dict[str, list[dict[str, Any]]]
    author: str
    published_at: datetime
    tags: list[tuple[str, str]]
    hero: dict[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None
    editor_pick_at: datetime | None = None
    like_count: int | None = None
    badge: str | None = None
    label: str | None = None
    document_as_string: bool = False
    published_as_ms: bool = False

    @property
    def path(self) -> str:
        return f"/{self.community}/{self.slug}"

    @cached_property
    def body_text(self) -> str:
        return document_text(self.document, self.media)

    def set_document(self, document: dict[str, Any]) -> None:
        """Replace the body; ``body_text`` is derived again on next use."""
        self.document = document
        self.__dict__.pop("body_text", None)

    @property
    def word_count(self) -> int:
        return len(self.body_text.split())

    @property
    def reading_minutes(self) -> int:
        # 265 words a minute, rounded half up: the sample page's 834 words read "3 min read".
        return max(1, math.floor(self.word_count / 265 + 0.5))

    @property
    def summary(self) -> str:
        """The first paragraph, cut at a word near 240 characters (a guess at Vocal's)."""
        first = self.body_text.split("\n\n", 1)[0].replace("\n", " ")
        if len(first) <= 240:
            return first
        return first[:240].rsplit(" ", 1)[0] + "…"

    @property
    def hero_image_url(self) -> str | None:
        if self.hero.get("heroImage"):
            return self.hero["heroImage"]["large"]
        if self.hero.get("heroUnsplashImage"):
            return self.hero["heroUnsplashImage"]["publicUrl"]
        return None

    @property
    def is_top_story(self) -> bool:
        return self.editor_pick_at is not None
