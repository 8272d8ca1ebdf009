"""Advance the site's clock: each epoch after the first adds, edits, deletes and renames.

Epoch E is epoch 1 followed by the changes of epochs 2..E, each drawn from its own
``random.Random`` so that epoch 3 extends epoch 2 instead of reshuffling it.
"""

from __future__ import annotations

import random
from datetime import timedelta

from swampcrawl.replica.content import ContentGenerator, SiteData
from swampcrawl.replica.documents import DocumentWriter, block, text
from swampcrawl.replica.model import Story
from swampcrawl.replica.slugs import kebab, random_suffix

EPOCH_LENGTH = timedelta(days=1)


def advance(gen: ContentGenerator, seed: int, epoch: int, protected: set[str]) -> None:
    """Apply the changes of ``epoch`` (>= 2); ``protected`` ids are never touched."""
    data = gen.data
    gen.rng = rng = random.Random(f"swampcrawl-replica/{seed}/epoch/{epoch}")
    data.now += EPOCH_LENGTH
    size = len(data.stories)
    edits, removals = max(1, size // 30), 2 * max(1, size // 50)  # removals: deleted or renamed
    candidates = sorted(sid for sid in data.stories if sid not in protected)
    chosen = rng.sample(candidates, min(len(candidates), edits + removals))
    edited, rest = chosen[:edits], chosen[edits:]
    deleted, renamed = rest[: len(rest) // 2], rest[len(rest) // 2:]
    for story_id in edited:
        edit(gen, data.stories[story_id])
    for story_id in renamed:
        rename(gen, data, data.stories[story_id])
    for story_id in deleted:
        delete(data, data.stories[story_id])
    add_stories(gen, max(1, size // 25))


def edit(gen: ContentGenerator, story: Story) -> None:
    """A new title and a changed body, stamped with ``contentUpdatedAt`` in this epoch."""
    rng = gen.rng
    story.title = gen.title()
    writer = DocumentWriter(rng)
    nodes = list(story.document["nodes"])
    nodes.insert(0, block("paragraph", [text("Update: " + writer.sentence())]))
    nodes.append(writer.paragraph())
    story.set_document({**story.document, "nodes": nodes})
    story.updated_at = gen.data.now - timedelta(minutes=rng.randint(5, 23 * 60))


def rename(gen: ContentGenerator, data: SiteData, story: Story) -> None:
    """A new slug; the old path answers 301 to the new one (the post id stays)."""
    old_path = story.path
    taken = gen.story_slugs[story.community]
    slug = f"{kebab(story.title)}-{random_suffix(gen.rng)}"
    while slug in taken:
        slug = f"{kebab(story.title)}-{random_suffix(gen.rng)}"
    taken.add(slug)
    story.slug = slug
    for old, new in data.redirects.items():  # earlier names go straight to the newest
        if new == old_path:
            data.redirects[old] = story.path
    data.redirects[old_path] = story.path


def delete(data: SiteData, story: Story) -> None:
    """Gone: its path and the paths that redirected to it answer 404."""
    path = story.path
    del data.stories[story.id]
    data.removed.append(path)
    for old in [old for old, new in data.redirects.items() if new == path]:
        del data.redirects[old]
        data.removed.append(old)


def add_stories(gen: ContentGenerator, count: int) -> None:
    """New stories published during this epoch, one of them by a new creator."""
    data = gen.data
    authors = sorted(data.creators)
    newcomer = gen.creator()
    for index in range(count):
        author = newcomer if index == 0 else data.creators[gen.rng.choice(authors)]
        published = data.now - timedelta(minutes=gen.rng.randint(1, 24 * 60 - 1))
        gen.story(gen.community_slug(), author, max(published, author.joined))
