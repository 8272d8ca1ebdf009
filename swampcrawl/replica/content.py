"""Deterministic generation of the replica's communities, creators and stories.

Only ``random.Random`` instances seeded from ``--seed`` are used, never the global
generator nor the wall clock: the same arguments always give the same site.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from swampcrawl.replica import vocabulary as words
from swampcrawl.replica.documents import DocumentWriter, cloudinary_url, document_from_outline, hex_id
from swampcrawl.replica.heroes import random_hero, sample_hero
from swampcrawl.replica.model import RESOURCES, Community, Creator, Story
from swampcrawl.replica.sample import (SAMPLE_AGE_DAYS, SAMPLE_AUTHOR, SAMPLE_BODY, SAMPLE_COMMUNITY,
                                       SAMPLE_SUBTITLE, SAMPLE_TAG, SAMPLE_TITLE)
from swampcrawl.replica.slugs import kebab, unique_slug

OLDEST = datetime(2017, 3, 1, tzinfo=timezone.utc)
# Slugs a story cannot take: they name listing pages under a community.
RESERVED_SLUGS = {"latest-stories", "top-stories", "tag", "authors"}


@dataclass
class SiteData:
    """Everything the site serves at one moment (``now``)."""

    now: datetime
    communities: dict[str, Community]
    creators: dict[str, Creator] = field(default_factory=dict)
    stories: dict[str, Story] = field(default_factory=dict)  # by id
    removed: list[str] = field(default_factory=list)
    redirects: dict[str, str] = field(default_factory=dict)


def new_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class ContentGenerator:
    """Makes creators and stories; keeps every slug ever used so none is reused."""

    def __init__(self, rng: random.Random, data: SiteData) -> None:
        self.rng = rng
        self.data = data
        self.creator_slugs: set[str] = set()
        self.story_slugs: dict[str, set[str]] = {slug: set(RESERVED_SLUGS) for slug in data.communities}
        self.weights = [weight for *_, weight in words.COMMUNITIES]

    def creator(self, name: str | None = None, bio: str | None = None) -> Creator:
        rng = self.rng
        name = name or self.person_name()
        span = (self.data.now - timedelta(days=30) - OLDEST).total_seconds()
        joined = OLDEST + timedelta(seconds=int(rng.random() * span))
        avatar = cloudinary_url(hex_id(rng), "c_fill,g_face,h_120,w_120") if rng.random() < 0.7 else None
        creator = Creator(id=new_id(rng), slug=unique_slug(kebab(name), self.creator_slugs, rng),
                          name=name, bio=self.bio() if bio is None else bio,
                          joined=joined, avatar_url=avatar)
        self.data.creators[creator.slug] = creator
        return creator

    def person_name(self) -> str:
        first, last = self.rng.choice(words.FIRST_NAMES), self.rng.choice(words.LAST_NAMES)
        return first if self.rng.random() < 0.05 else f"{first} {last}"

    def bio(self) -> str:
        if self.rng.random() < 0.2:
            return ""
        return self.fill(self.rng.choice(words.BIO_TEMPLATES))[:240]

    def fill(self, template: str) -> str:
        rng = self.rng
        noun, adj = rng.choice(words.NOUNS), rng.choice(words.ADJECTIVES)
        return template.format(Adj=adj.capitalize(), adj=adj, Noun=noun.capitalize(), noun=noun,
                               verb=rng.choice(words.VERBS), Place=rng.choice(words.PLACES),
                               First=rng.choice(words.FIRST_NAMES), emoji=rng.choice(words.EMOJI))

    def title(self) -> str:
        title = self.fill(self.rng.choice(words.TITLE_TEMPLATES))
        return title[0].upper() + title[1:]

    def subtitle(self) -> str:
        sentence = " ".join(self.rng.choices(words.SENTENCE_WORDS, k=self.rng.randint(4, 10)))
        return sentence.capitalize()

    def story_slug(self, community: str, title: str) -> str:
        return unique_slug(kebab(title), self.story_slugs[community], self.rng)

    def published_between(self, author: Creator, start: datetime, end: datetime) -> datetime:
        start = max(start, author.joined)
        span = max(60, int((end - start).total_seconds()))
        recent = self.rng.random() ** 2  # more stories in recent years, as on the real site
        return end - timedelta(seconds=int(recent * span))

    def story(self, community: str, author: Creator, published: datetime, showcase: bool = False) -> Story:
        rng = self.rng
        writer = DocumentWriter(rng)
        body = writer.showcase() if showcase else writer.poem() if community == "poets" else writer.article()
        title = self.title()
        story = Story(id=new_id(rng), community=community, slug=self.story_slug(community, title),
                      title=title, subtitle=self.subtitle(), document=body, media=writer.media,
                      author=author.slug, published_at=published, tags=self.tags(),
                      hero=random_hero(rng))
        self.decorate(story)
        self.data.stories[story.id] = story
        return story

    def tags(self) -> list[tuple[str, str]]:
        count = self.rng.choice([0, 1, 1, 2, 2, 3, 4])
        return self.rng.sample(words.TAGS, count)

    def decorate(self, story: Story) -> None:
        """The optional parts: likes, editor's pick, badges, odd encodings, edits."""
        rng, now = self.rng, self.data.now
        story.like_count = int(rng.expovariate(1 / 25)) if rng.random() < 0.85 else None
        if rng.random() < 0.12:
            story.editor_pick_at = min(now, story.published_at + timedelta(hours=rng.randint(2, 200)))
        story.badge = rng.choice(words.BADGES) if rng.random() < 0.05 else None
        story.label = rng.choice(words.CARD_LABELS) if rng.random() < 0.03 else None
        story.document_as_string = rng.random() < 0.15
        story.published_as_ms = rng.random() < 0.10
        if rng.random() < 0.2:
            age = (now - story.published_at).total_seconds()
            story.updated_at = story.published_at + timedelta(seconds=int(age * rng.random()))

    def community_slug(self) -> str:
        return self.rng.choices(list(self.data.communities), weights=self.weights)[0]


def make_communities(rng: random.Random) -> dict[str, Community]:
    communities = {}
    for slug, name, description, _ in words.COMMUNITIES:
        logo = None if slug == RESOURCES else cloudinary_url(hex_id(rng), "c_fit,h_80")
        communities[slug] = Community(new_id(rng), slug, name, description, logo)
    return communities


def add_sample_story(gen: ContentGenerator) -> Story:
    """The story of sample-story-page.txt, published 4 days before the site's epoch-1 now."""
    author = gen.creator(SAMPLE_AUTHOR, bio="")
    author.joined = min(author.joined, gen.data.now - timedelta(days=400))
    story = Story(id=new_id(gen.rng), community=SAMPLE_COMMUNITY, slug=gen.story_slug(SAMPLE_COMMUNITY, SAMPLE_TITLE),
                  title=SAMPLE_TITLE, subtitle=SAMPLE_SUBTITLE, document=document_from_outline(SAMPLE_BODY),
                  media={}, author=author.slug, published_at=gen.data.now - timedelta(days=SAMPLE_AGE_DAYS),
                  tags=[SAMPLE_TAG], hero=sample_hero(gen.rng))
    gen.data.stories[story.id] = story
    return story


def generate(seed: int, story_count: int, now: datetime) -> tuple[SiteData, ContentGenerator]:
    """The epoch-1 site: ``story_count`` stories (the sample story included)."""
    rng = random.Random(seed)
    data = SiteData(now=now, communities=make_communities(rng))
    gen = ContentGenerator(rng, data)
    add_sample_story(gen)
    creators = [gen.creator() for _ in range(max(2, story_count // 3))]
    # A few prolific creators and a long tail, as on the real platform.
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(creators))]
    for index in range(story_count - 1):
        author = creators[index] if index < len(creators) else rng.choices(creators, weights)[0]
        community = "fiction" if index == 0 else gen.community_slug()
        published = gen.published_between(author, OLDEST, now - timedelta(minutes=5))
        gen.story(community, author, published, showcase=index == 0 or rng.random() < 0.03)
    return data, gen
