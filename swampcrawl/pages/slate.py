"""Render a story's Slate 0.4x document to clean HTML and to plain text.

The HTML keeps only semantic, inert markup (p, h2, h3, blockquote, ul/ol/li, a,
strong/em/u/s, br, figure/img/figcaption); embeds become a link to their original
URL; nothing executable survives. The text follows the ``body_text`` convention of
docs/ARCHITECTURE.md: one stripped string per non-empty leaf block, joined by a blank line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import urlsplit

MARK_TAGS = {"bold": "strong", "italic": "em", "underline": "u", "strikethrough": "s", "code": "code"}
BLOCK_TAGS = {
    "paragraph": "p", "heading": "h2", "heading-one": "h2", "heading-two": "h3",
    "heading-three": "h3", "subheading": "h3", "blockquote": "blockquote",
    "unordered-list": "ul", "bulleted-list": "ul", "ordered-list": "ol",
    "numbered-list": "ol", "list-item": "li",
}
IMAGE_TYPES = {"cloudinaryImage", "unsplashImage", "image", "heroImage"}
EMBED_TYPES = {"oEmbed", "embed", "video"}
URL_KEYS = ("large", "url", "secureUrl", "secure_url", "publicUrl", "src", "original")
SAFE_SCHEMES = {"http", "https", "mailto"}
CLOUDINARY = "https://res.cloudinary.com/jerrick/image/upload/"


class SlateError(ValueError):
    """The document is not a Slate document (bad JSON, wrong shape, nested too deeply)."""


NESTED_TOO_DEEPLY = "content.document is nested deeper than Python's recursion limit: not rendered"


@dataclass
class RenderedBody:
    html: str
    text: str

    @property
    def word_count(self) -> int:
        return len(self.text.split())


def load_document(document: Any) -> dict:
    """The Slate document from an object or its JSON string (both are served)."""
    if isinstance(document, (str, bytes)):
        try:
            document = json.loads(document)
        except ValueError as exc:
            raise SlateError(f"content.document is not JSON: {exc}") from None
        except RecursionError:
            raise SlateError(NESTED_TOO_DEEPLY) from None
    if isinstance(document, dict) and isinstance(document.get("document"), dict):
        document = document["document"]  # a Slate Value wraps its document
    if not isinstance(document, dict) or not isinstance(document.get("nodes"), list):
        raise SlateError("content.document has no nodes")
    return document


def render(document: Any, content: dict | None = None) -> RenderedBody:
    """HTML and text of a document; ``content`` holds the images and embeds it points into.

    Raises ``SlateError`` for anything that is not a document it can render, a document
    nested deeper than the renderer can recurse included.
    """
    renderer = _Renderer(_Assets(content or {}))
    doc = load_document(document)
    try:
        html = "".join(renderer.block(node) for node in _nodes(doc))
    except RecursionError:
        raise SlateError(NESTED_TOO_DEEPLY) from None
    return RenderedBody(html=html, text="\n\n".join(renderer.texts))


def _nodes(node: dict) -> list[dict]:
    return [child for child in node.get("nodes") or [] if isinstance(child, dict)]


def safe_href(href: object) -> str | None:
    """Only http(s) and mailto links: javascript: and data: URLs are dropped, unparseable ones too."""
    if not isinstance(href, str) or not href.strip():
        return None
    try:
        scheme = urlsplit(href.strip()).scheme.lower()
    except ValueError:  # "http://[oops": a bad IPv6 host
        return None
    return href.strip() if scheme in SAFE_SCHEMES else None


class _Assets:
    """Looks up ``data._joinIds`` in the content's image and embed lists."""

    def __init__(self, content: dict) -> None:
        self.by_id: dict[str, dict] = {}
        for key in ("images", "cloudinaryImages", "unsplashImages", "heroImages", "oEmbeds"):
            for item in content.get(key) or []:
                if isinstance(item, dict):
                    for id_key in ("id", "_id", "joinId"):
                        if item.get(id_key) is not None:
                            self.by_id[str(item[id_key])] = item

    def find(self, node: dict) -> dict:
        data = node.get("data") or {}
        ids = data.get("_joinIds") or data.get("joinIds") or []
        for join_id in ids if isinstance(ids, list) else [ids]:
            if str(join_id) in self.by_id:
                return self.by_id[str(join_id)]
        return {}

    @staticmethod
    def image_url(item: dict, data: dict) -> str | None:
        for source in (item, data, item.get("urls") or {}):
            for key in URL_KEYS:
                if isinstance(source.get(key), str) and safe_href(source[key]):
                    return source[key]
        public_id = item.get("publicId") or item.get("public_id")
        return f"{CLOUDINARY}{public_id}" if isinstance(public_id, str) else None

    @staticmethod
    def embed_url(item: dict, data: dict) -> str | None:
        embed = item.get("embed") if isinstance(item.get("embed"), dict) else {}
        for candidate in (embed.get("originalUrl"), item.get("originalUrl"), data.get("url"), embed.get("url")):
            if safe_href(candidate):
                return candidate.strip()
        return None


class _Renderer:
    def __init__(self, assets: _Assets) -> None:
        self.assets = assets
        self.texts: list[str] = []

    def block(self, node: dict) -> str:
        kind = node.get("object")
        if kind == "text" or kind == "inline":
            # Stray inline content at block level: give it a paragraph of its own.
            return self._leaf("p", [node])
        node_type = node.get("type") or "paragraph"
        if node_type in IMAGE_TYPES:
            return self._image(node)
        if node_type in EMBED_TYPES:
            return self._embed(node)
        tag = BLOCK_TAGS.get(node_type, "p")
        children = _nodes(node)
        if any(child.get("object") == "block" for child in children):
            inner = "".join(self.block(child) for child in children)
            return f"<{tag}>{inner}</{tag}>" if tag != "p" else inner
        if tag in ("ul", "ol", "blockquote"):
            tag_inner = "li" if tag != "blockquote" else "p"
            return f"<{tag}>{self._leaf(tag_inner, children)}</{tag}>"
        return self._leaf(tag, children)

    def _leaf(self, tag: str, children: list[dict]) -> str:
        html, _ = self._content(children)
        return f"<{tag}>{html}</{tag}>"

    def _content(self, children: list[dict]) -> tuple[str, str]:
        """HTML and text of a leaf block's inline nodes; a non-empty text is a block of body_text."""
        html = "".join(self.inline(child) for child in children)
        text = "".join(_plain(child) for child in children).strip()
        if text:
            self.texts.append(text)
        return html, text

    def inline(self, node: dict) -> str:
        if node.get("object") == "text":
            return _marked(node)
        inner = "".join(self.inline(child) for child in _nodes(node))
        if node.get("type") == "link":
            data = node.get("data") or {}
            href = safe_href(data.get("href") or data.get("url"))
            if href:
                return f'<a href="{escape(href)}" rel="nofollow noopener">{inner}</a>'
        return inner

    def _image(self, node: dict) -> str:
        data = node.get("data") or {}
        url = self.assets.image_url(self.assets.find(node), data)
        caption_nodes = [c for c in _nodes(node) if c.get("object") == "block"]
        alt = data.get("alt") or data.get("altText") or ""
        img = f'<img src="{escape(url)}" alt="{escape(str(alt))}">' if url else ""
        caption = ""
        for child in caption_nodes:
            inner, text = self._content(_nodes(child))
            if text:  # an empty caption is left out (an empty paragraph stays: a blank line)
                caption += f"<figcaption>{inner}</figcaption>"
        return f"<figure>{img}{caption}</figure>"

    def _embed(self, node: dict) -> str:
        url = self.assets.embed_url(self.assets.find(node), node.get("data") or {})
        if not url:
            return ""
        self.texts.append(url)
        return f'<p><a href="{escape(url)}" rel="nofollow noopener">{escape(url)}</a></p>'


def _plain(node: dict) -> str:
    if node.get("object") == "text":
        return _text_of(node)
    return "".join(_plain(child) for child in _nodes(node))


def _text_of(node: dict) -> str:
    if isinstance(node.get("text"), str):
        return node["text"]
    # Older Slate keeps text in "leaves": [{"text": ..., "marks": [...]}].
    return "".join(leaf.get("text", "") for leaf in node.get("leaves") or [] if isinstance(leaf, dict))


def _marked(node: dict) -> str:
    html = escape(_text_of(node)).replace("\n", "<br>")
    for mark in node.get("marks") or []:
        mark_type = mark.get("type") if isinstance(mark, dict) else mark
        tag = MARK_TAGS.get(str(mark_type))
        if tag and html:
            html = f"<{tag}>{html}</{tag}>"
    return html
