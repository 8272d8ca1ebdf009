"""The replica's own Slate 0.4x handling: plain text (ground truth) and HTML (pages).

Written for the replica alone: the extraction code has its own Slate reader, and
the two must not share a bug.
"""

from __future__ import annotations

from html import escape
from typing import Any, Callable, Iterator

Node = dict[str, Any]
Media = dict[str, list[dict[str, Any]]]
ClassNames = Callable[[str], str]

LEAF_BLOCKS = {"paragraph", "heading", "list-item", "caption"}
MARK_TAGS = {"bold": "strong", "italic": "em", "underline": "u", "strikethrough": "s"}


def inline_text(node: Node) -> str:
    """All the text under a node, marks and links included."""
    if node.get("object") == "text":
        return node.get("text", "")
    return "".join(inline_text(child) for child in node.get("nodes", []))


def _embed_url(node: Node, media: Media) -> str:
    join_ids = node.get("data", {}).get("_joinIds", [])
    for embed in media.get("oEmbeds", []):
        if embed["id"] in join_ids:
            return embed["embed"]["originalUrl"]
    return ""


def _leaf_texts(nodes: list[Node], media: Media) -> Iterator[str]:
    for node in nodes:
        kind = node.get("type")
        if node.get("object") != "block":
            continue
        if kind in LEAF_BLOCKS:
            yield inline_text(node)
        elif kind == "oEmbed":
            yield _embed_url(node, media)
        else:  # blockquote, lists, image blocks: their children speak
            yield from _leaf_texts(node.get("nodes", []), media)


def document_text(document: Node, media: Media) -> str:
    """``body_text`` as docs/ARCHITECTURE.md defines it."""
    texts = (text.strip() for text in _leaf_texts(document.get("nodes", []), media))
    return "\n\n".join(text for text in texts if text)


def _render_text(node: Node) -> str:
    html = escape(node.get("text", ""), quote=False).replace("\n", "<br/>")
    for mark in node.get("marks", []):
        tag = MARK_TAGS.get(mark.get("type", ""), "span")
        html = f"<{tag}>{html}</{tag}>"
    return html


def _render_inlines(nodes: list[Node], css: ClassNames) -> str:
    parts = []
    for node in nodes:
        if node.get("object") == "text":
            parts.append(_render_text(node))
        elif node.get("type") == "link":
            href = escape(node.get("data", {}).get("href", ""))
            inner = _render_inlines(node.get("nodes", []), css)
            parts.append(f'<a class="{css("Link")}" href="{href}" target="_blank" rel="noopener">{inner}</a>')
        else:
            parts.append(_render_inlines(node.get("nodes", []), css))
    return "".join(parts)


def _media_item(node: Node, media: Media, key: str) -> dict[str, Any]:
    join_ids = node.get("data", {}).get("_joinIds", [])
    return next((item for item in media.get(key, []) if item["id"] in join_ids), {})


def _render_figure(node: Node, media: Media, css: ClassNames) -> str:
    if node["type"] == "cloudinaryImage":
        src = _media_item(node, media, "images").get("url", "")
    else:
        src = _media_item(node, media, "unsplashImages").get("publicUrl", "")
    captions = [child for child in node.get("nodes", []) if child.get("type") == "caption"]
    caption = "".join(_render_inlines(c.get("nodes", []), css) for c in captions)
    figcaption = f'<figcaption class="{css("Caption")}">{caption}</figcaption>' if caption else ""
    return f'<figure class="{css("Figure")}"><img src="{escape(src)}" alt="" loading="lazy"/>{figcaption}</figure>'


def _render_embed(node: Node, media: Media, css: ClassNames) -> str:
    url = escape(_embed_url(node, media))
    return f'<div class="{css("Embed")}"><a href="{url}" target="_blank" rel="noopener">{url}</a></div>'


def _render_block(node: Node, media: Media, css: ClassNames) -> str:
    kind = node.get("type")
    children = node.get("nodes", [])
    simple = {"paragraph": ("p", "P"), "heading": ("h2", "Heading"), "list-item": ("li", "ListItem")}
    if kind in simple:
        tag, label = simple[kind]
        inner = _render_inlines(children, css) or "<br/>"
        return f'<{tag} class="{css(label)}">{inner}</{tag}>'
    containers = {"blockquote": ("blockquote", "Blockquote"), "unordered-list": ("ul", "List"),
                  "ordered-list": ("ol", "List")}
    if kind in containers:
        tag, label = containers[kind]
        return f'<{tag} class="{css(label)}">{render_blocks(children, media, css)}</{tag}>'
    if kind in ("cloudinaryImage", "unsplashImage"):
        return _render_figure(node, media, css)
    if kind == "oEmbed":
        return _render_embed(node, media, css)
    return render_blocks(children, media, css)


def render_blocks(nodes: list[Node], media: Media, css: ClassNames) -> str:
    return "".join(_render_block(n, media, css) for n in nodes if n.get("object") == "block")


def render_document(document: Node, media: Media, css: ClassNames) -> str:
    """The story body as Vocal's server renders it (one element per block)."""
    return render_blocks(document.get("nodes", []), media, css)
