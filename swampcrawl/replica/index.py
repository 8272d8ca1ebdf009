"""Look-up tables over the site's data, built once per site (listings are sorted here)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from swampcrawl.replica.assets import SiteAssets
from swampcrawl.replica.content import SiteData
from swampcrawl.replica.html import EmotionClasses, Frame
from swampcrawl.replica.images import ImageUrls, known_keys
from swampcrawl.replica.model import Community, Creator, Story

PAGE_SIZE = 10  # cards per listing page (STRUCTURE.md guesses 8 to 12)


@dataclass
class SiteIndex:
    data: SiteData
    frame: Frame
    by_path: dict[str, Story] = field(default_factory=dict)
    latest: list[Story] = field(default_factory=list)
    top: list[Story] = field(default_factory=list)
    community_latest: dict[str, list[Story]] = field(default_factory=lambda: defaultdict(list))
    community_top: dict[str, list[Story]] = field(default_factory=lambda: defaultdict(list))
    creator_stories: dict[str, list[Story]] = field(default_factory=lambda: defaultdict(list))
    tag_stories: dict[tuple[str, str], list[Story]] = field(default_factory=lambda: defaultdict(list))
    tag_names: dict[tuple[str, str], str] = field(default_factory=dict)
    image_keys: set[str] = field(default_factory=set)  # the pictures the image host shows

    @property
    def now(self) -> datetime:
        return self.data.now

    @property
    def css(self) -> EmotionClasses:
        return self.frame.css

    @property
    def assets(self) -> SiteAssets:
        return self.frame.assets

    def image(self, url: str | None) -> str | None:
        """A platform image URL as pages name it: on the image host."""
        return self.frame.images.url(url)

    def community(self, slug: str) -> Community:
        return self.data.communities[slug]

    def creator(self, slug: str) -> Creator:
        return self.data.creators[slug]

    def community_tags(self, community: str) -> list[tuple[str, str]]:
        return sorted((tag, name) for (c, tag), name in self.tag_names.items() if c == community)

    def creator_count(self, community: str) -> int:
        return len({story.author for story in self.community_latest[community]})


def _pick_order(story: Story) -> tuple[datetime, str]:
    assert story.editor_pick_at is not None
    return (story.editor_pick_at, story.id)


def _image_urls(data: SiteData) -> list[str | None]:
    """Every platform image URL of the data: logos, avatars, heroes, body images."""
    urls: list[str | None] = [c.logo_url for c in data.communities.values()]
    urls += [c.avatar_url for c in data.creators.values()]
    for story in data.stories.values():
        hero = story.hero
        urls += [(hero.get("heroImage") or {}).get("large"), (hero.get("heroImage") or {}).get("socialMedia"),
                 (hero.get("heroUnsplashImage") or {}).get("publicUrl")]
        for items in story.media.values():
            urls += [item.get("url") or item.get("publicUrl") for item in items]
    return urls


def build_index(data: SiteData, css: EmotionClasses, assets: SiteAssets, host: str, port: int,
                image_base: str) -> SiteIndex:
    latest = sorted(data.stories.values(), key=lambda s: (s.published_at, s.id), reverse=True)
    communities = [(c.slug, c.name) for c in data.communities.values()]
    featured = latest[0].path if latest else "/"
    frame = Frame(css, data.now.year, communities, featured, host, port, assets, ImageUrls(image_base))
    index = SiteIndex(data, frame, latest=latest, image_keys=known_keys(_image_urls(data)))
    index.top = sorted((s for s in latest if s.is_top_story), key=_pick_order, reverse=True)
    for story in latest:
        index.by_path[story.path] = story
        index.community_latest[story.community].append(story)
        index.creator_stories[story.author].append(story)
        for tag, name in story.tags:
            index.tag_stories[(story.community, tag)].append(story)
            index.tag_names[(story.community, tag)] = name
    for story in index.top:
        index.community_top[story.community].append(story)
    return index
