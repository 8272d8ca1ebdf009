"""Reading what a reader sees: text chunks in page order, block text, the story body.

Nothing here keys on class names (Emotion hashes change with every deploy): only on
tags, link targets, and the words the page shows ("By", "Published", "min read",
"About the Creator").
"""

from __future__ import annotations

from html import escape

from lxml import etree

from swampcrawl.pages.slate import safe_href

SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "button", "iframe", "select", "textarea"})
CHROME_TAGS = frozenset({"nav", "header", "footer", "aside", "form"})
LEAF_TAGS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "figcaption", "pre"})
CONTAINER_TAGS = frozenset({"ul", "ol", "blockquote", "figure"})
INLINE_KEEP = {"strong": "strong", "b": "strong", "em": "em", "i": "em", "u": "u", "s": "s", "del": "s", "strike": "s", "code": "code"}
HEADING_MAP = {"h1": "h2", "h2": "h2", "h3": "h3", "h4": "h3", "h5": "h3", "h6": "h3"}
_WALK_EVENTS = ("start", "end", "comment", "pi")


def is_element(node: object) -> bool:
    return isinstance(node, etree._Element) and isinstance(node.tag, str)


def block_text(el: etree._Element) -> str:
    """The text of a block as shown: ``<br>`` is a line break, scripts are not text."""
    # lxml's iterwalk, not recursion: markup may nest deeper than Python's recursion limit
    # (and the walk is as fast).
    parts: list[str] = []
    walker = etree.iterwalk(el, events=_WALK_EVENTS)
    for event, node in walker:
        if event == "start":
            if node is el:
                if node.text:
                    parts.append(node.text)
            elif node.tag == "br":
                parts.append("\n")
                walker.skip_subtree()
            elif node.tag in SKIP_TAGS:
                walker.skip_subtree()
            elif node.text:
                parts.append(node.text)
        elif node.tail and node is not el:  # an element's end, a comment: what follows it
            parts.append(node.tail)
    return "".join(parts).replace("\r\n", "\n").strip()


def in_chrome(el: etree._Element) -> bool:
    """Inside the site's navigation, header, footer or a form: not the story."""
    return any(anc.tag in CHROME_TAGS for anc in el.iterancestors())


def leaf_blocks(elements: list[etree._Element]) -> list[etree._Element]:
    """Blocks that carry text themselves: a list item holding paragraphs gives way to them.

    Only blocks among ``elements`` count as holders, so a paragraph that unclosed tags
    left inside a heading outside the range is still a block of its own.
    """
    holders = {el for el in elements if el.tag != "a"}
    leaves = []
    for el in elements:
        if any(anc in holders for anc in el.iterancestors()):
            continue  # its text belongs to an enclosing block
        if el.tag == "a" and not block_text(el):
            continue
        if el.tag == "li" and el.xpath(".//p|.//ul|.//ol"):
            holders.discard(el)
            continue
        leaves.append(el)
    return leaves


def common_ancestor(elements: list[etree._Element]) -> etree._Element | None:
    if not elements:
        return None
    path = list(reversed([elements[0], *elements[0].iterancestors()]))
    depth = len(path)
    for el in elements[1:]:
        chain = list(reversed([el, *el.iterancestors()]))
        depth = min(depth, len(chain))
        for i in range(depth):
            if chain[i] is not path[i]:
                depth = i
                break
    return path[depth - 1] if depth else None


def top_block(el: etree._Element, container: etree._Element) -> etree._Element:
    """The outermost list, quote or figure below ``container`` that holds ``el``."""
    top = el
    for anc in el.iterancestors():
        if anc is container:
            break
        if anc.tag in CONTAINER_TAGS:
            top = anc
    return top


def sanitize(el: etree._Element) -> str:
    """Clean semantic HTML of one block: known tags kept, others unwrapped, scripts gone."""
    if not is_element(el) or el.tag in SKIP_TAGS:
        return ""
    # Each open element's pieces; None for a dropped one (iterwalk: no recursion limit).
    stack: list[list[str] | None] = []
    walker = etree.iterwalk(el, events=_WALK_EVENTS)
    for event, node in walker:
        if event == "start":
            if node.tag in SKIP_TAGS:
                walker.skip_subtree()
                stack.append(None)
            else:
                stack.append([escape(node.text or "")])
        elif event == "end":
            parts = stack.pop()
            html = "" if parts is None else _wrap(node, node.tag, "".join(parts))
            if not stack:
                return html
            stack[-1].append(html + escape(node.tail or ""))
        else:  # a comment or processing instruction: only its tail is text
            stack[-1].append(escape(node.tail or ""))
    return ""


def _wrap(el: etree._Element, tag: str, inner: str) -> str:
    if tag == "br":
        return "<br>"
    if tag == "img":
        src = safe_href(el.get("src"))
        return f'<img src="{escape(src)}" alt="{escape(el.get("alt") or "")}">' if src else ""
    if tag == "a":
        href = safe_href(el.get("href"))
        link = f'<a href="{escape(href)}" rel="nofollow noopener">{inner}</a>' if href else inner
        standalone = not any(anc.tag in LEAF_TAGS or anc.tag in INLINE_KEEP for anc in el.iterancestors())
        return f"<p>{link}</p>" if standalone else link
    if tag in HEADING_MAP:
        tag = HEADING_MAP[tag]
    elif tag in INLINE_KEEP:
        tag = INLINE_KEEP[tag]
    elif tag not in LEAF_TAGS and tag not in CONTAINER_TAGS:
        return inner
    return f"<{tag}>{inner}</{tag}>"
