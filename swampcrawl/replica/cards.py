"""Story cards and paging, shared by listing, community and creator pages."""

from __future__ import annotations

from html import escape
from typing import Any

from swampcrawl.replica.clock import ago, iso_ms, month_year
from swampcrawl.replica.index import PAGE_SIZE, SiteIndex
from swampcrawl.replica.model import Story


def page_slice(stories: list[Story], page: int) -> list[Story] | None:
    """The cards of page ``page`` (from 1); None past the end (page 1 always exists)."""
    start = (page - 1) * PAGE_SIZE
    if page > 1 and start >= len(stories):
        return None
    return stories[start:start + PAGE_SIZE]


def labels(story: Story) -> list[str]:
    found = [story.label] if story.label else []
    if story.editor_pick_at is not None:
        found.append(f"Top Story - {month_year(story.editor_pick_at)}")
    if story.badge:
        found.append(story.badge)
    return found


def card(index: SiteIndex, story: Story) -> str:
    """Title (``post-name``), labels, excerpt, then "By <Author><time> in <Community>"."""
    css = index.css
    author = index.creator(story.author)
    community = index.community(story.community)
    label_html = "".join(f'<span class="{css("Label")}">{escape(text)}</span>' for text in labels(story))
    image = ""
    if story.hero_image_url:  # the story's own hero picture, as its page names it
        src = escape(index.image(story.hero_image_url) or "")
        image = f'<a href="{story.path}" tabindex="-1"><img class="{css("CardImage")}" src="{src}" alt="" loading="lazy"/></a>'
    return (
        f'<div class="{css("Card")}">{image}<h2 class="{css("CardHeading")}">'
        f'<a class="post-name {css("Title")}" href="{story.path}">{escape(story.title)}</a></h2>'
        f'{label_html}<a class="{css("Excerpt")}" href="{story.path}?via=card">'
        f'<p class="{css("Text")}">{escape(story.summary)}</p></a>'
        f'<div class="{css("CardByline")}">By <a href="{author.path}">{escape(author.name)}</a>'
        f'<span class="{css("Time")}">{ago(story.published_at, index.now)}</span> in '
        f'<a href="{community.path}">{escape(community.name)}</a></div></div>'
    )


def cards(index: SiteIndex, stories: list[Story]) -> str:
    return f'<div class="{index.css("Cards")}">' + "".join(card(index, s) for s in stories) + "</div>"


def pager(index: SiteIndex, path: str, page: int, total: int) -> str:
    """Previous/next links, server-rendered like Vocal's deep ``?page=N`` paging."""
    css, parts = index.css, []
    if page > 1:
        parts.append(f'<a class="{css("Pager")}" rel="prev" href="{path}?page={page - 1}">Previous page</a>')
    if page * PAGE_SIZE < total:
        parts.append(f'<a class="{css("Pager")}" rel="next" href="{path}?page={page + 1}">Next page</a>')
    return f'<nav class="{css("Pagination")}">{"".join(parts)}</nav>'


def post_summary(index: SiteIndex, story: Story) -> dict[str, Any]:
    """A post as listing pages carry it in ``__NEXT_DATA__``."""
    community = index.community(story.community)
    author = index.creator(story.author)
    return {"id": story.id, "name": story.title, "slug": story.slug, "summary": story.summary,
            "publishedAt": iso_ms(story.published_at), "isEditorPick": story.is_top_story,
            "author": {"id": author.id, "name": author.name, "slug": author.slug},
            "vocalSite": {"id": community.id, "name": community.name, "slug": community.site_slug}}
