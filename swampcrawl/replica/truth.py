"""The ground truth: every community, creator, story and tag the site serves, as JSON data,
and every file its pages load (``requisites``, ``assets``) with where images are (``image_base``).

Its format is docs/ARCHITECTURE.md's and docs/replica.md's; tests compare a crawl's output with it.
"""

from __future__ import annotations

from typing import Any

from swampcrawl.replica.assets import STYLE_PROBE, THEME_PROBE
from swampcrawl.replica.clock import iso_z
from swampcrawl.replica.index import SiteIndex
from swampcrawl.replica.model import Story


def story_truth(index: SiteIndex, story: Story) -> dict[str, Any]:
    return {
        "path": story.path, "id": story.id, "community": story.community, "slug": story.slug,
        "title": story.title, "subtitle": story.subtitle, "summary": story.summary,
        "author": story.author, "author_name": index.creator(story.author).name,
        "published_at": iso_z(story.published_at),
        "updated_at": iso_z(story.updated_at) if story.updated_at else None,
        "word_count": story.word_count, "reading_minutes": story.reading_minutes,
        "body_text": story.body_text, "hero_image_url": index.image(story.hero_image_url),
        "is_top_story": story.is_top_story, "like_count": story.like_count,
        "tags": [{"slug": slug, "name": name} for slug, name in story.tags],
    }


def site_truth(index: SiteIndex, seed: int, epoch: int, build: str, image_base: str,
               requisites: dict[str, list[str]], asset_urls: list[str]) -> dict[str, Any]:
    """``requisites``: page URL (path and query) -> absolute URLs it loads; ``asset_urls``:
    the build's static files. ``assets`` lists those and every image a page loads."""
    data = index.data
    communities = [{"slug": c.slug, "name": c.name, "description": c.description,
                    "story_count": len(index.community_latest[c.slug]),
                    "creator_count": index.creator_count(c.slug), "path": c.path}
                   for c in data.communities.values()]
    creators = [{"slug": c.slug, "name": c.name, "bio": c.bio, "joined": c.joined.strftime("%Y-%m"),
                 "story_count": len(index.creator_stories[c.slug]), "avatar_url": index.image(c.avatar_url),
                 "path": c.path, "story_paths": [s.path for s in index.creator_stories[c.slug]]}
                for c in data.creators.values()]
    images = sorted({url for found in requisites.values() for url in found if url.startswith(image_base + "/")})
    tags = [{"slug": tag, "name": name, "community": community}
            for (community, tag), name in sorted(index.tag_names.items())]
    return {"now": iso_z(data.now), "seed": seed, "epoch": epoch, "build": build,
            "communities": communities, "creators": creators,
            "stories": [story_truth(index, s) for s in index.latest], "tags": tags,
            "removed": list(data.removed), "redirects": dict(data.redirects),
            "image_base": image_base, "style_probe": dict(STYLE_PROBE),
            "style_probes": [{**STYLE_PROBE, "stylesheet": "main"}, {**THEME_PROBE, "stylesheet": "imported"}],
            "requisites": requisites, "assets": asset_urls + images}
