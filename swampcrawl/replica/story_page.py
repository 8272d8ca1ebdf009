"""A story page: visible text in the order of STRUCTURE.md section 4, ``pageProps.post``."""

from __future__ import annotations

import json
from html import escape
from typing import Any
from urllib.parse import quote, urlsplit

from swampcrawl.replica.cards import labels
from swampcrawl.replica.clock import ago, epoch_ms, iso_ms
from swampcrawl.replica.html import page
from swampcrawl.replica.images import requested_image, variant
from swampcrawl.replica.index import SiteIndex
from swampcrawl.replica.model import RESOURCES, Story
from swampcrawl.replica.slate import render_document

MEDIA_KEYS = ("images", "cloudinaryImages", "unsplashImages", "oEmbeds", "heroImages")
SMALL_HERO = 720  # the srcset's narrow candidate; the wide one is the hero's own URL
HERO_SIZES = "(max-width: 760px) 100vw, 760px"


def post_json(index: SiteIndex, story: Story) -> dict[str, Any]:
    """``pageProps.post`` with every field of section 3, odd encodings included."""
    community, author = index.community(story.community), index.creator(story.author)
    document: Any = story.document
    if story.document_as_string:  # as the API returns it
        document = json.dumps(story.document, ensure_ascii=False, separators=(",", ":"))
    media = index.frame.images.media(story.media)
    content = {key: media.get(key, []) for key in MEDIA_KEYS}
    return {
        "id": story.id, "name": story.title, "subtitle": story.subtitle, "summary": story.summary,
        "slug": story.slug,
        "publishedAt": epoch_ms(story.published_at) if story.published_as_ms else iso_ms(story.published_at),
        "contentUpdatedAt": iso_ms(story.updated_at) if story.updated_at else None,
        "wordCount": story.word_count,
        "author": {"id": author.id, "name": author.name, "slug": author.slug,
                   "avatar": {"url": index.image(author.avatar_url)} if author.avatar_url else None},
        "vocalSite": {"id": community.id, "name": community.name, "slug": community.site_slug},
        "tags": [{"name": name, "slug": slug} for slug, name in story.tags],
        **index.frame.images.hero(story.hero), "mediaType": "article", "isEditorPick": story.is_top_story,
        "editorPickAt": iso_ms(story.editor_pick_at) if story.editor_pick_at else None,
        "content": {"document": document, **content},
    }


def _byline(index: SiteIndex, story: Story) -> str:
    css, author = index.css, index.creator(story.author)
    updated = ""
    if story.updated_at:
        updated = f' <span class="{css("Time")}">Updated {ago(story.updated_at, index.now)}</span>'
    share = "".join(
        f'<a class="{css("Share")}" href="{href}" aria-label="{label}"><svg aria-hidden="true"></svg></a>'
        for href, label in _share_links(index, story))
    avatar = ""
    if author.avatar_url:  # no alt text and no link: the byline reads as before
        avatar = (f'<img class="{css("BylineAvatar")}" src="{escape(index.image(author.avatar_url) or "")}" '
                  'alt="" width="40" height="40"/>')
    return (f'<div class="{css("Byline")}">{avatar}<span class="{css("Author")}">By <a href="{author.path}">'
            f'{escape(author.name)}</a></span><span class="{css("Time")}">Published '
            f'{ago(story.published_at, index.now)}</span>{updated} '
            f'<span class="{css("ReadTime")}">{story.reading_minutes} min read</span>{share}</div>')


def _share_links(index: SiteIndex, story: Story) -> list[tuple[str, str]]:
    url = quote(f"https://vocal.media{story.path}", safe="")
    return [(f"https://twitter.com/intent/tweet?url={url}", "Share on Twitter"),
            (f"https://www.facebook.com/sharer/sharer.php?u={url}", "Share on Facebook"),
            (f"mailto:?subject={quote(story.title)}&amp;body={url}", "Share by email"),
            ("javascript:void(0)", "Copy link")]


def _hero(index: SiteIndex, story: Story) -> str:
    """``<picture>``: a WebP ``<source>``, then an ``<img>`` whose src is the hero's URL.

    Cloudinary URLs hold commas (``c_limit,f_auto,...``), as on the real site: in a srcset a
    URL runs to white space, and only the comma after its descriptor ends a candidate.
    """
    css, url = index.css, index.image(story.hero_image_url)
    if not url:
        return ""
    alt = escape(story.hero.get("heroImageAltText") or "")
    caption = story.hero.get("heroImageCaption") or ""
    figcaption = f'<figcaption class="{css("Caption")}">{escape(caption)}</figcaption>' if caption else ""
    platform = urlsplit(story.hero_image_url)
    widest = requested_image(platform.path, platform.query)[0]
    srcset = f"{variant(url, SMALL_HERO)} {SMALL_HERO}w, {url} {widest}w"
    webp = f"{variant(url, webp=True)} {widest}w"
    return (f'<figure class="{css("Hero")}"><picture><source type="image/webp" srcset="{escape(webp)}" '
            f'sizes="{HERO_SIZES}"/><img src="{escape(url)}" srcset="{escape(srcset)}" sizes="{HERO_SIZES}" '
            f'alt="{alt}"/></picture>{figcaption}</figure>')


def _creator_box(index: SiteIndex, story: Story) -> str:
    """About the Creator; the name, bio and support block only when there is a bio."""
    css, author = index.css, index.creator(story.author)
    inner = ""
    if author.bio:  # the sample page (a creator without bio) shows the heading alone
        inner = (f'<a href="{author.path}">{escape(author.name)}</a><p class="{css("Text")}">{escape(author.bio)}</p>'
                 f'<p class="{css("Text")}">Enjoyed the story? Support the Creator.</p>'
                 f'<a class="{css("Button")}" href="/signup?subscribe={author.slug}">Subscribe</a>')
    return f'<section class="{css("AboutCreator")}"><h3 class="{css("Heading")}">About the Creator</h3>{inner}</section>'


def _reader_sections(index: SiteIndex) -> str:
    css = index.css
    return (f'<section class="{css("Insights")}"><h3 class="{css("Heading")}">Reader insights</h3>'
            f'<p class="{css("Text")}">Be the first to share your insights about this piece.</p>'
            f'<p class="{css("Text")}">How does it work?</p><button class="{css("Button")}">Add your insights</button></section>'
            f'<section class="{css("Comments")}"><h3 class="{css("Heading")}">Comments</h3>'
            f'<p class="{css("Text")}">There are no comments for this story</p>'
            f'<p class="{css("Text")}">Be the first to respond and start the conversation.</p>'
            f'<a class="{css("Button")}" href="/signup">Sign in to comment</a></section>')


def _top_parts(index: SiteIndex, story: Story) -> str:
    css, community = index.css, index.community(story.community)
    logo = ""
    if story.community != RESOURCES and community.logo_url:
        logo = (f'<a href="{community.path}"><img class="{css("CommunityLogo")}" '
                f'src="{escape(index.image(community.logo_url) or "")}" alt="{escape(community.name)} logo"/></a>')
    likes = ""
    if story.like_count is not None:
        likes = f'<button class="{css("Like")}" aria-label="Like">{story.like_count or "Like"}</button>'
    badges = "".join(f'<div class="{css("Badge")}">{escape(text)}</div>'
                     for text in labels(story) if text not in ("AI-Generated", "Content Warning"))
    return (f'{logo}<h1 class="{css("Heading")}">{escape(story.title)}</h1>'
            f'<h2 class="{css("Subtitle")}">{escape(story.subtitle)}</h2>{_byline(index, story)}'
            f'{likes}{badges}{_hero(index, story)}')


def story_page(index: SiteIndex, story: Story) -> bytes:
    css = index.css
    body = render_document(story.document, index.frame.images.media(story.media), css)
    tags = "".join(f'<div class="{css("Tag")}"><a href="/{story.community}/tag/{slug}">{escape(name)}</a></div>'
                   for slug, name in story.tags)
    main = (f'<article class="{css("Story")}">{_top_parts(index, story)}'
            f'<div class="{css("StoryBody")}">{body}</div><div class="{css("Tags")}">{tags}</div></article>'
            f'{_creator_box(index, story)}{_reader_sections(index)}')
    community = index.community(story.community)
    route, query = "/[siteSlug]/[postSlug]", {"siteSlug": story.community, "postSlug": story.slug}
    if story.community == RESOURCES:
        route, query = "/resources/[postSlug]", {"postSlug": story.slug}
    props = {"post": post_json(index, story), "account": None, "siteSlug": community.site_slug,
             "isPreview": False, "relatedPosts": []}
    data = {"props": {"pageProps": props, "__N_SSP": True}, "page": route, "query": query}
    return page(index.frame, f"{story.title} | {community.name}", main, data)
