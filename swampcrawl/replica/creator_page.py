"""A creator page: profile, pinned stories, paged cards and an Apollo cache."""

from __future__ import annotations

from html import escape
from typing import Any

from swampcrawl.replica.cards import cards, page_slice, pager
from swampcrawl.replica.clock import iso_ms, month_year
from swampcrawl.replica.html import page
from swampcrawl.replica.index import SiteIndex
from swampcrawl.replica.model import Creator, Story


def _ref(kind: str, ident: str) -> dict[str, str]:
    return {"__ref": f"{kind}:{ident}"}


def apollo_state(index: SiteIndex, creator: Creator, stories: list[Story]) -> dict[str, Any]:
    """``Post:<id>``, ``VocalSite:<id>`` and ``User:<id>`` entries linked by ``__ref``."""
    state: dict[str, Any] = {
        f"User:{creator.id}": {"__typename": "User", "id": creator.id, "name": creator.name,
                               "slug": creator.slug, "bio": creator.bio,
                               "createdAt": iso_ms(creator.joined),
                               "avatar": {"url": index.image(creator.avatar_url)} if creator.avatar_url else None},
    }
    for story in stories:
        community = index.community(story.community)
        state[f"VocalSite:{community.id}"] = {"__typename": "VocalSite", "id": community.id,
                                              "slug": community.site_slug, "name": community.name}
        state[f"Post:{story.id}"] = {
            "__typename": "Post", "id": story.id, "name": story.title, "slug": story.slug,
            "summary": story.summary, "publishedAt": iso_ms(story.published_at),
            "vocalSite": _ref("VocalSite", community.id), "author": _ref("User", creator.id)}
    state["ROOT_QUERY"] = {
        "__typename": "Query",
        f'allUsers({{"where":{{"slug":"{creator.slug}"}}}})': [_ref("User", creator.id)],
        f'allPosts({{"where":{{"author":{{"id":"{creator.id}"}}}}}})': [_ref("Post", s.id) for s in stories],
    }
    return state


def _profile(index: SiteIndex, creator: Creator, total: int) -> str:
    css = index.css
    avatar = (f'<img class="{css("Avatar")}" src="{escape(index.image(creator.avatar_url) or "")}" alt="{escape(creator.name)}"/>'
              if creator.avatar_url else f'<div class="{css("Initials")}">{creator.initials}</div>')
    count = "1 story" if total == 1 else f"{total:,} stories"
    bio = escape(creator.bio) if creator.bio else ""
    return (f'{avatar}<h1 class="{css("Heading")}">{escape(creator.name)}</h1>'
            f'<p class="{css("Text")}">Joined {month_year(creator.joined)}</p>'
            f'<p class="{css("Text")}">{count}</p><h3 class="{css("Heading")}">Bio</h3>'
            f'<p class="{css("Bio")}">{bio}</p>')


def creator_page(index: SiteIndex, creator: Creator, page_number: int) -> bytes | None:
    stories = index.creator_stories[creator.slug]
    shown = page_slice(stories, page_number)
    if shown is None:
        return None
    css = index.css
    pinned = [s for s in stories if s.is_top_story][:3]
    pinned_html = f'<h2 class="{css("Heading")}">Pinned</h2>{cards(index, pinned)}' if pinned else ""
    main = (f'{_profile(index, creator, len(stories))}{pinned_html}'
            f'<h2 class="{css("Heading")}">Stories ({len(stories):,})</h2>'
            f'<button class="{css("Filter")}">Filter by community</button>'
            f'{cards(index, shown)}{pager(index, creator.path, page_number, len(stories))}')
    listed = pinned + [s for s in shown if s not in pinned]
    props = {"apolloState": apollo_state(index, creator, listed), "authorSlug": creator.slug,
             "page": page_number, "account": None}
    data = {"props": {"pageProps": props, "__N_SSP": True}, "page": "/authors/[authorSlug]",
            "query": {"authorSlug": creator.slug, "page": str(page_number)}}
    return page(index.frame, f"{creator.name} | Vocal", main, data)
