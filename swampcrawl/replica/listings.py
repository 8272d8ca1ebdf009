"""Home, global and community listings, community and tag pages."""

from __future__ import annotations

from html import escape

from swampcrawl.replica.cards import cards, page_slice, pager, post_summary
from swampcrawl.replica.html import page
from swampcrawl.replica.index import SiteIndex
from swampcrawl.replica.model import Community, Story

LATEST_BLURB = "Most recently published stories"
TOP_BLURB = "Stories in {} that you'll love, handpicked by our team."


def _next_data(index: SiteIndex, route: str, query: dict[str, str], props: dict) -> dict:
    return {"props": {"pageProps": {**props, "account": None}, "__N_SSP": True},
            "page": route, "query": query}


def listing_page(index: SiteIndex, path: str, page_number: int, stories: list[Story],
                 heading: str, blurb: str, route: str, query: dict[str, str]) -> bytes | None:
    """One page of a listing; None when the page is past the end."""
    shown = page_slice(stories, page_number)
    if shown is None:
        return None
    css = index.css
    main = (f'<h1 class="{css("Heading")}">{escape(heading)}</h1><p class="{css("Text")}">{escape(blurb)}</p>'
            f'{cards(index, shown)}{pager(index, path, page_number, len(stories))}')
    props = {"posts": [post_summary(index, s) for s in shown], "page": page_number,
             "totalCount": len(stories)}
    data = _next_data(index, route, {**query, "page": str(page_number)}, props)
    return page(index.frame, f"{heading} | Vocal", main, data)


def global_listing(index: SiteIndex, kind: str, page_number: int) -> bytes | None:
    if kind == "latest-stories":
        return listing_page(index, "/latest-stories", page_number, index.latest, "Latest Stories",
                            f"{LATEST_BLURB} on Vocal.", "/latest-stories", {})
    return listing_page(index, "/top-stories", page_number, index.top, "Top Stories",
                        TOP_BLURB.format("Vocal"), "/top-stories", {})


def community_listing(index: SiteIndex, community: Community, kind: str, page_number: int) -> bytes | None:
    path, query = f"/{community.slug}/{kind}", {"siteSlug": community.slug}
    if kind == "latest-stories":
        return listing_page(index, path, page_number, index.community_latest[community.slug],
                            "Latest Stories", f"{LATEST_BLURB} in {community.name}.",
                            "/[siteSlug]/latest-stories", query)
    return listing_page(index, path, page_number, index.community_top[community.slug], "Top Stories",
                        TOP_BLURB.format(community.name), "/[siteSlug]/top-stories", query)


def tag_page(index: SiteIndex, community: Community, tag: str, page_number: int) -> bytes | None:
    stories = index.tag_stories.get((community.slug, tag))
    if not stories:
        return None
    name = index.tag_names[(community.slug, tag)]
    return listing_page(index, f"/{community.slug}/tag/{tag}", page_number, stories, name,
                        f"Stories tagged {name} in {community.name}.", "/[siteSlug]/tag/[tagSlug]",
                        {"siteSlug": community.slug, "tagSlug": tag})


def _top_creators(index: SiteIndex, community: Community) -> str:
    counts: dict[str, int] = {}
    for story in index.community_latest[community.slug]:
        counts[story.author] = counts.get(story.author, 0) + 1
    ranked = sorted(counts, key=lambda slug: (-counts[slug], slug))[:8]
    css, items = index.css, []
    for slug in ranked:
        creator = index.creator(slug)
        avatar = (f'<img src="{escape(index.image(creator.avatar_url) or "")}" alt="{escape(creator.name)}"/>'
                  if creator.avatar_url else f'<span class="{css("Initials")}">{creator.initials}</span>')
        items.append(f'<a class="{css("Avatar")}" href="{creator.path}" title="{escape(creator.name)}">{avatar}</a>')
    return f'<h3 class="{css("Heading")}">Top Creators</h3><div class="{css("Avatars")}">{"".join(items)}</div>'


def community_page(index: SiteIndex, community: Community) -> bytes:
    """Name, description, Stats, counts, Top Stories cards, Top Creators, tags."""
    css, slug = index.css, community.slug
    stories = index.community_latest[slug]
    shown = (index.community_top[slug] or stories)[:10]
    logo = (f'<img src="{escape(index.image(community.logo_url) or "")}" alt="{escape(community.name)} logo"/>'
            if community.logo_url else "")
    tags = "".join(f'<div class="{css("Tag")}"><a href="/{slug}/tag/{tag}">{escape(name)}</a></div>'
                   for tag, name in index.community_tags(slug))
    main = (f'{logo}<h1 class="{css("Heading")}">{escape(community.name)}</h1>'
            f'<p class="{css("Text")}">{escape(community.description)}</p><h3 class="{css("Heading")}">Stats</h3>'
            f'<p class="{css("Stat")}">Stories - {len(stories):,}</p>'
            f'<p class="{css("Stat")}">Creators - {index.creator_count(slug):,}</p>'
            f'<h2 class="{css("Heading")}">Top Stories</h2><p class="{css("Text")}">{TOP_BLURB.format(community.name)}</p>'
            f'{cards(index, shown)}<a href="/{slug}/top-stories">See all top stories</a>'
            f'<a href="/{slug}/latest-stories">Latest Stories</a>{_top_creators(index, community)}'
            f'<div class="{css("Tags")}">{tags}</div>')
    site = {"id": community.id, "name": community.name, "slug": community.site_slug,
            "description": community.description}
    data = _next_data(index, "/[siteSlug]", {"siteSlug": slug},
                      {"site": site, "posts": [post_summary(index, s) for s in shown]})
    return page(index.frame, f"{community.name} | Vocal", main, data)


def home_page(index: SiteIndex) -> bytes:
    css = index.css
    communities = "".join(f'<li><a href="{c.path}">{escape(c.name)}</a></li>'
                          for c in index.data.communities.values())
    shown = index.latest[:10]
    main = (f'<h1 class="{css("Heading")}">Vocal</h1><h2 class="{css("Heading")}">Communities</h2>'
            f'<ul class="{css("Communities")}">{communities}</ul><h2 class="{css("Heading")}">Latest Stories</h2>'
            f'{cards(index, shown)}<a href="/latest-stories">See all latest stories</a>'
            f'<a href="/top-stories">Top Stories</a>')
    data = _next_data(index, "/", {}, {"posts": [post_summary(index, s) for s in shown]})
    return page(index.frame, "Vocal", main, data)


def simple_page(index: SiteIndex, route: str, heading: str, text: str) -> bytes:
    """Pages a crawler should not need (/challenges, /signup, ...) and the 404 page."""
    css = index.css
    main = f'<h1 class="{css("Heading")}">{escape(heading)}</h1><p class="{css("Text")}">{escape(text)}</p>'
    return page(index.frame, f"{heading} | Vocal", main, _next_data(index, route, {}, {}))
