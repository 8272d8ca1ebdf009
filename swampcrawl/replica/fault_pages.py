"""The pages of a hostile replica: error and maintenance pages, story pages broken on purpose
(their ``__NEXT_DATA__``, their markup, their charset, the links they hold) and the endless
listing's pages. Each takes the page the site serves and returns other bytes; the story's
own text is never touched, so a crawler that copes stores what the truth says.
"""

from __future__ import annotations

import json
import random
from dataclasses import replace
from html import escape
from http import HTTPStatus

from swampcrawl.replica import vocabulary as words
from swampcrawl.replica.cards import cards, pager, post_summary
from swampcrawl.replica.html import page
from swampcrawl.replica.index import PAGE_SIZE, SiteIndex
from swampcrawl.replica.model import RESOURCES, Community

NEXT_DATA_OPEN = b'<script id="__NEXT_DATA__" type="application/json">'
ENDLESS_ADJECTIVES = [word for word in words.ADJECTIVES if word.isascii()]
ENDLESS_NOUNS = [word for word in words.NOUNS if word.isascii()]
MAINTENANCE_HEADING = "We'll be right back"
MAINTENANCE_TEXT = ("Vocal is down for scheduled maintenance. We'll be back online shortly: "
                    "thank you for your patience.")


def error_page(status: int) -> bytes:
    """What a load balancer answers with a 429 or a 5xx: a bare page."""
    phrase = f"{status} {HTTPStatus(status).phrase}"
    return (f"<!DOCTYPE html><html><head><title>{phrase}</title></head><body><center><h1>{phrase}</h1>"
            "</center><hr/><center>nginx</center></body></html>").encode()


def maintenance_page(index: SiteIndex, story_path: str) -> bytes:
    """A whole Vocal page of the story's route, heading "We'll be right back", and no post."""
    css = index.css
    slug = story_path.rsplit("/", 1)[-1]
    route, query = "/[siteSlug]/[postSlug]", {"siteSlug": story_path.split("/")[1], "postSlug": slug}
    if story_path.startswith(f"/{RESOURCES}/"):
        route, query = "/resources/[postSlug]", {"postSlug": slug}
    main = (f'<h1 class="{css("Heading")}">{escape(MAINTENANCE_HEADING)}</h1>'
            f'<p class="{css("Text")}">{escape(MAINTENANCE_TEXT)}</p>')
    data = {"props": {"pageProps": {"post": None, "maintenance": True, "account": None}, "__N_SSP": True},
            "page": route, "query": query}
    return page(index.frame, f"{MAINTENANCE_HEADING} | Vocal", main, data)


def _next_data_span(body: bytes) -> tuple[int, int]:
    start = body.index(NEXT_DATA_OPEN) + len(NEXT_DATA_OPEN)
    return start, body.index(b"</script>", start)


def invalid_next_data(body: bytes) -> bytes:
    """``__NEXT_DATA__`` cut in the middle of a value: not JSON any more."""
    start, end = _next_data_span(body)
    return body[:start] + body[start:(start + end) // 2] + body[end:]


def deep_next_data(body: bytes, depth: int) -> bytes:
    """``__NEXT_DATA__`` that opens with ``depth`` nested arrays (valid, but past any recursion limit)."""
    start, _ = _next_data_span(body)
    nested = b'{"nested":' + b"[" * depth + b"]" * depth + b","
    return body[:start] + nested + body[start + 1:]


def malformed(body: bytes) -> bytes:
    """Unclosed tags before the layout, ``</html>`` after the menu, NUL bytes and invalid UTF-8 in
    the footer: the article and ``__NEXT_DATA__`` as they were."""
    body = body.replace(b'<div id="__next">', b'<div id="__next"><div class="shell"><span><em>', 1)
    menu_end = body.index(b"</ul></nav>") + len(b"</ul></nav>")
    body = body[:menu_end] + b"</body></html>" + body[menu_end:]
    footer_end = body.rindex(b"</footer>")
    return body[:footer_end] + b"<p>\x00build\x00 \xff\xfe\xc3\x28 \xe2\x82</p>" + body[footer_end:]


def _json_ascii_beyond_cp1252(text: str) -> str:
    """Characters windows-1252 lacks as JSON ``\\u`` escapes (the same JSON value)."""
    out = []
    for char in text:
        try:
            char.encode("cp1252")
            out.append(char)
        except UnicodeEncodeError:
            out.append(json.dumps(char)[1:-1])
    return "".join(out)


def windows_1252(body: bytes) -> bytes:
    """The page in windows-1252: its letters as cp1252 bytes, others as character references
    (``\\u`` escapes inside ``__NEXT_DATA__``), the meta charset saying so."""
    start, end = _next_data_span(body)
    head = body[:start].decode("utf-8").replace('<meta charSet="utf-8"/>', '<meta charSet="windows-1252"/>', 1)
    data = _json_ascii_beyond_cp1252(body[start:end].decode("utf-8"))
    tail = body[end:].decode("utf-8")
    return (head.encode("cp1252", "xmlcharrefreplace") + data.encode("cp1252")
            + tail.encode("cp1252", "xmlcharrefreplace"))


def with_links(body: bytes, index: SiteIndex, links: list[str]) -> bytes:
    """Story-looking links (``post-name``, as cards write them) in a closed list after the article."""
    css = index.css
    items = "".join(f'<li><a class="post-name {css("Title")}" href="{escape(link)}">More like this</a></li>'
                    for link in links)
    extra = f'<nav class="{css("MoreStories")}" hidden=""><ul>{items}</ul></nav>'.encode()
    cut = body.rindex(b"</main>")
    return body[:cut] + extra + body[cut:]


def with_next_link(body: bytes, index: SiteIndex, href: str) -> bytes:
    """The listing's last page, with a "Next page" link all the same."""
    css = index.css
    nav = f'<nav class="{css("Pagination")}">'.encode()
    start = body.index(nav)
    end = body.index(b"</nav>", start)
    link = f'<a class="{css("Pager")}" rel="next" href="{escape(href)}">Next page</a>'.encode()
    return body[:end] + link + body[end:]


def endless_page(index: SiteIndex, community: Community, page_number: int, declared: int) -> bytes:
    """Page ``page_number`` past the end: ten new cards (stories that answer 404) and a next link."""
    template = index.community_latest[community.slug][0]
    rng = random.Random(f"endless:{community.slug}:{page_number}")
    fakes = []
    for number in range(PAGE_SIZE):
        adjective, noun = rng.choice(ENDLESS_ADJECTIVES), rng.choice(ENDLESS_NOUNS)
        title, slug = f"The {adjective.title()} {noun.title()}", f"the-{adjective}-{noun}-{page_number}-{number}"
        fakes.append(replace(template, id=f"{template.id[:-12]}{page_number:08d}{number:04d}", slug=slug,
                             title=title))
    path = f"/{community.slug}/latest-stories"
    css = index.css
    main = (f'<h1 class="{css("Heading")}">Latest Stories</h1><p class="{css("Text")}">Most recently '
            f'published stories in {escape(community.name)}.</p>{cards(index, fakes)}'
            f'{pager(index, path, page_number, (page_number + 1) * PAGE_SIZE)}')
    props = {"posts": [post_summary(index, s) for s in fakes], "page": page_number, "totalCount": declared,
             "account": None}
    data = {"props": {"pageProps": props, "__N_SSP": True}, "page": "/[siteSlug]/latest-stories",
            "query": {"siteSlug": community.slug, "page": str(page_number)}}
    return page(index.frame, "Latest Stories | Vocal", main, data)
