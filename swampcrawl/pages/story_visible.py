"""A story read from its visible text: for pages without ``__NEXT_DATA__`` and for
what only the page shows (like count, Top Story badge).

The reader sees, in order: the community logo, title (h1), subtitle, byline
(``By <author>`` ``Published <when>`` [``Updated <when>``] ``<N> min read``), likes,
a badge, the hero image, the body, tags, ``About the Creator``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import islice
from urllib.parse import unquote

from lxml import etree

from swampcrawl.pages import visible
from swampcrawl.pages.document import PageDocument, clean
from swampcrawl.records import Tag
from swampcrawl.urls import PageKind, UrlRules, url_segments

HEADER_CHUNKS = 40  # the byline, likes and badge sit within the first text after the title
_WHEN = r"(?:(?:less than|about|over|almost)\s+)?(?:a|an|\d+)\s+(?:second|minute|hour|day|week|month|year)s?\s+ago|less than a minute ago|just now|[A-Z][a-z]{2,8}\.? \d{1,2}(?:st|nd|rd|th)?,? \d{4}|\d{4}-\d{2}-\d{2}"
PUBLISHED = re.compile(rf"\bPublished(?: on)?\s+({_WHEN})")
UPDATED = re.compile(rf"\bUpdated(?: on)?\s+({_WHEN})")
READING = re.compile(r"\b(\d+)\s*min(?:ute)?s?\s+read\b", re.IGNORECASE)
BYLINE_START = re.compile(r"^(By$|Published\b|Updated\b|\d+\s*min read)")
BY_AUTHOR = re.compile(r"\bBy\s+(.+?)\s*(?:Published|$)")
LIKES = re.compile(r"^(\d[\d,]*)(?:\s+likes?)?$", re.IGNORECASE)
BADGE = re.compile(r"^(Top Story\b|Finalist in\b|Runner-Up in\b|Winner\b)")
END_MARKERS = ("About the Creator", "Reader insights", "Enjoyed the story?")


@dataclass
class VisibleStory:
    """Story fields read from the page's text; ``header_end`` is where the body may start."""

    fields: dict = field(default_factory=dict)
    header_end: etree._Element | None = None
    author_link: etree._Element | None = None
    badges: list[str] = field(default_factory=list)


def read_header(doc: PageDocument, rules: UrlRules, page_url: str) -> VisibleStory:
    found = VisibleStory()
    h1s = doc.body.xpath("//h1")
    title_el = h1s[0] if h1s else None
    if title_el is not None:
        found.fields["title"] = clean(visible.block_text(title_el)) or None
        found.header_end = title_el
    _read_logo(doc, found)
    _read_author(doc, rules, page_url, title_el, found)
    chunks = _chunks_after(title_el if title_el is not None else doc.body)
    _read_subtitle(chunks, found)
    _read_byline(chunks, found)
    _read_likes_and_badge(chunks, found)
    return found


def _chunks_after(el: etree._Element) -> list[tuple[str, etree._Element]]:
    """(text, parent element) for the text after ``el``, in page order."""
    chunks: list[tuple[str, etree._Element]] = []
    for node in el.xpath("following::text()[normalize-space()]"):
        parent = node.getparent()
        if parent.tag in visible.SKIP_TAGS and parent.tag != "button":
            continue
        if node.is_tail:
            parent = parent.getparent()
        chunks.append((clean(str(node)), parent))
        if len(chunks) >= HEADER_CHUNKS:
            break
    return chunks


def _read_logo(doc: PageDocument, found: VisibleStory) -> None:
    for alt in doc.body.xpath("//img/@alt"):
        text = clean(str(alt))
        if text.lower().endswith(" logo") and len(text) > 5:
            found.fields["community_name"] = text[: -len(" logo")].strip()
            return


def _read_author(doc: PageDocument, rules: UrlRules, page_url: str, title_el, found: VisibleStory) -> None:
    start = title_el if title_el is not None else doc.body
    for link in start.xpath("following::a[@href]"):
        url = rules.normalize(link.get("href"), page_url)
        if url and rules.classify(url) is PageKind.CREATOR:
            found.fields["author"] = url_segments(url)[-1]
            found.fields["author_name"] = clean(visible.block_text(link)) or None
            found.author_link = link
            return


def _read_subtitle(chunks: list[tuple[str, etree._Element]], found: VisibleStory) -> None:
    """The first text after the title, unless that is already the byline."""
    if not chunks:
        return
    text, parent = chunks[0]
    author_link = found.author_link
    # A subtitle may itself begin with "By": the byline is known by its author link.
    if BYLINE_START.match(text):
        return
    if author_link is not None and author_link in parent.iter():
        # Unclosed tags can swallow the byline into the subtitle: keep the subtitle's own text.
        if parent.tag in ("h2", "h3") and clean(parent.text) == text:
            found.fields["subtitle"] = text
        return
    block = parent
    while block.tag not in ("h2", "h3", "h4", "p", "div") and block.getparent() is not None:
        block = block.getparent()
    found.fields["subtitle"] = clean(visible.block_text(block)) or text
    found.header_end = block


def _read_byline(chunks: list[tuple[str, etree._Element]], found: VisibleStory) -> None:
    # The byline is above the story's end: past "About the Creator" a "3 min read" is
    # another story's card, not what the page says of this one.
    ends = [i for i, (text, _) in enumerate(chunks) if text in END_MARKERS]
    chunks = chunks[: ends[0]] if ends else chunks
    joined = " ".join(text for text, _ in chunks)
    if (match := PUBLISHED.search(joined)) is not None:
        found.fields["published_raw"] = match.group(1)
    if (match := UPDATED.search(joined)) is not None:
        found.fields["updated_raw"] = match.group(1)
    if (match := READING.search(joined)) is not None:
        found.fields["reading_minutes"] = int(match.group(1))
    for text, parent in chunks:
        reading = READING.search(text)
        if reading or PUBLISHED.search(text) or text.startswith("By"):
            found.header_end = parent
        if reading:
            break
    if "author_name" not in found.fields and (match := BY_AUTHOR.search(joined)):
        found.fields["author_name"] = match.group(1).strip()


def _read_likes_and_badge(chunks: list[tuple[str, etree._Element]], found: VisibleStory) -> None:
    """Likes (a number, or "Like" for none) and the badge come right after the byline."""
    after_byline = False
    for text, parent in chunks:
        if READING.search(text):
            after_byline = True
            continue
        if not after_byline:
            continue
        likes = LIKES.match(text)
        if text == "Like" or (likes and _looks_like_likes(parent)):
            found.fields["like_count"] = int(likes.group(1).replace(",", "")) if likes else 0
            found.header_end = parent
        elif BADGE.match(text):
            found.badges.append(text)
            found.header_end = parent
        elif len(text) > 80:
            break  # the body has begun
    if found.fields.get("title"):  # the badge's absence means something only on a story
        found.fields["is_top_story"] = any(b.startswith("Top Story") for b in found.badges)


def _looks_like_likes(el: etree._Element) -> bool:
    """A bare number counts as likes only when the page labels it so (aria-label, title...)."""
    for node in (el, *list(el.iterancestors())[:3]):
        labels = " ".join(str(v) for k, v in node.attrib.items() if k != "href")
        if "like" in labels.lower() or "heart" in labels.lower():
            return True
    return False


def read_tags(doc: PageDocument, rules: UrlRules, page_url: str, after: etree._Element | None) -> list[Tag]:
    """Tag links after the title: ``/<community>/tag/<slug>``, named by their text."""
    tags: dict[str, Tag] = {}
    started = after is None
    for el in doc.body.iter():
        started = started or el is after
        if not started or el.tag != "a" or not el.get("href"):
            continue
        text = clean(visible.block_text(el))
        if text in END_MARKERS:
            break
        url = rules.normalize(el.get("href"), page_url)
        if url and rules.classify(url) is PageKind.TAG_LISTING:
            slug = unquote(url_segments(url)[-1])
            if slug not in tags:
                tags[slug] = Tag(slug=slug, name=text or slug)
    return list(tags.values())


def read_body(doc: PageDocument, header_end: etree._Element | None, skip: set) -> tuple[str, str] | None:
    """(body_html, body_text) from the blocks between the byline and the tags.

    ``skip``: header elements (the byline's links) that the range may still hold.
    """
    order = {el: i for i, el in enumerate(doc.body.iter())}
    start = order.get(header_end, -1) if header_end is not None else -1
    end = _end_index(doc, start, len(order))
    candidates = [
        el for el in doc.body.iter(*visible.LEAF_TAGS, "a")
        if start < order[el] < end and el not in skip and not visible.in_chrome(el)
    ]
    blocks = visible.leaf_blocks(candidates)
    text_blocks = [el for el in blocks if el.tag != "figcaption"]
    container = visible.common_ancestor(text_blocks or blocks)
    if container is None:
        return None
    inside = [el for el in blocks if container in el.iterancestors() or el is container]
    texts = [t for t in (visible.block_text(el) for el in inside) if t]
    tops: list[etree._Element] = []
    for el in inside:
        top = visible.top_block(el, container)
        if not tops or tops[-1] is not top:
            tops.append(top)
    return "".join(visible.sanitize(el) for el in tops), "\n\n".join(texts)


def _end_index(doc: PageDocument, start: int, size: int) -> int:
    """Where the body ends, as an index in ``doc.body.iter()``: the first tag link or
    closing section after ``start``."""
    for i, el in enumerate(islice(doc.body.iter(), start + 1, None), start + 1):
        text = (el.text or "").strip()
        if text in END_MARKERS or (el.tag == "a" and "/tag/" in (el.get("href") or "")):
            return i
    return size
