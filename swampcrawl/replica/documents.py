"""Deterministic Slate 0.4x story bodies, using every block, inline and mark type.

Every random draw comes from the ``random.Random`` handed in, never the global
generator, so a seed always gives the same documents.
"""

from __future__ import annotations

import random
from typing import Any

from swampcrawl.replica.vocabulary import SENTENCE_WORDS, UNSPLASH_PHOTOGRAPHERS

Node = dict[str, Any]
CLOUDINARY = "https://res.cloudinary.com/jerrick/image/upload"
EXTERNAL_LINKS = ["https://en.wikipedia.org/wiki/Backchannel", "https://www.reuters.com/world/",
                  "https://www.poetryfoundation.org/", "https://vocal.media/resources/vocal-challenges"]
MARKS = ["bold", "italic", "underline", "strikethrough"]


def text(value: str, *marks: str) -> Node:
    return {"object": "text", "text": value,
            "marks": [{"object": "mark", "type": m, "data": {}} for m in marks]}


def block(kind: str, nodes: list[Node], data: dict[str, Any] | None = None) -> Node:
    return {"object": "block", "type": kind, "data": data or {}, "nodes": nodes}


def link(href: str, label: str) -> Node:
    return {"object": "inline", "type": "link", "data": {"href": href}, "nodes": [text(label)]}


def document(blocks: list[Node]) -> Node:
    return {"object": "document", "data": {}, "nodes": blocks}


def hex_id(rng: random.Random, length: int = 24) -> str:
    return f"{rng.getrandbits(length * 4):0{length}x}"


def cloudinary_url(public_id: str, transform: str = "c_limit,f_auto,q_auto,w_1200") -> str:
    return f"{CLOUDINARY}/{transform}/{public_id}.jpg"


class DocumentWriter:
    """Writes one story body at a time; ``media`` collects what blocks point to."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.media: dict[str, list[dict[str, Any]]] = {}

    def sentence(self) -> str:
        words = self.rng.choices(SENTENCE_WORDS, k=self.rng.randint(7, 16))
        return " ".join(words).capitalize() + self.rng.choice([".", ".", ".", "?", "!"])

    def sentences(self, low: int, high: int) -> list[str]:
        return [self.sentence() for _ in range(self.rng.randint(low, high))]

    def paragraph(self, decorate: bool = False) -> Node:
        parts = self.sentences(2, 5)
        if not decorate or len(parts) < 3:
            return block("paragraph", [text(" ".join(parts))])
        mark = self.rng.choice(MARKS)
        nodes = [text(parts[0] + " "), text(parts[1], mark), text(" ")]
        nodes.append(link(self.rng.choice(EXTERNAL_LINKS), parts[2]))
        rest = " ".join(parts[3:])
        nodes.append(text(" " + rest if rest else ""))
        return block("paragraph", nodes)

    def every_mark_paragraph(self) -> Node:
        nodes = [text(self.sentence() + " ")]
        for mark in MARKS:
            nodes += [text(self.sentence(), mark), text(" ")]
        nodes += [text("Both at once", "bold", "italic"), text(" and "),
                  link(EXTERNAL_LINKS[0], "a link"), text(".")]
        return block("paragraph", nodes)

    def heading(self) -> Node:
        words = self.rng.choices(SENTENCE_WORDS, k=self.rng.randint(2, 6))
        return block("heading", [text(" ".join(w.capitalize() for w in words))])

    def listing(self) -> Node:
        kind = self.rng.choice(["unordered-list", "ordered-list"])
        items = [block("list-item", [text(self.sentence())]) for _ in range(self.rng.randint(2, 5))]
        return block(kind, items)

    def quote(self) -> Node:
        return block("blockquote", [self.paragraph() for _ in range(self.rng.randint(1, 2))])

    def caption(self, words: str) -> Node:
        return block("caption", [text(words)])

    def cloudinary_image(self) -> Node:
        image_id, public_id = hex_id(self.rng), hex_id(self.rng)
        self.media.setdefault("images", []).append(
            {"id": image_id, "publicId": public_id, "url": cloudinary_url(public_id),
             "width": 1200, "height": self.rng.choice([675, 800, 900])})
        self.media.setdefault("cloudinaryImages", []).append({"id": image_id, "publicId": public_id})
        caption = self.sentence() if self.rng.random() < 0.6 else ""
        return block("cloudinaryImage", [self.caption(caption)], {"_joinIds": [image_id]})

    def unsplash_image(self) -> Node:
        image_id = hex_id(self.rng)
        name = self.rng.choice(UNSPLASH_PHOTOGRAPHERS)
        self.media.setdefault("unsplashImages", []).append(
            {"id": image_id, "publicUrl": unsplash_url(self.rng),
             "user": {"name": name, "url": unsplash_profile(name)}})
        return block("unsplashImage", [self.caption(f"Photo by {name} on Unsplash")],
                     {"_joinIds": [image_id]})

    def embed(self) -> Node:
        embed_id = hex_id(self.rng)
        url = f"https://www.youtube.com/watch?v={hex_id(self.rng, 11)}"
        self.media.setdefault("oEmbeds", []).append(
            {"id": embed_id, "embed": {"originalUrl": url, "type": "video",
                                      "html": f'<iframe src="{url}"></iframe>'}})
        return block("oEmbed", [text("")], {"_joinIds": [embed_id]})

    def stanza(self) -> Node:
        lines = [" ".join(self.rng.choices(SENTENCE_WORDS, k=self.rng.randint(3, 7)))
                 for _ in range(self.rng.randint(2, 5))]
        return block("paragraph", [text("\n".join(line.capitalize() for line in lines))])

    def poem(self) -> Node:
        blocks: list[Node] = []
        for index in range(self.rng.randint(2, 5)):
            if index:
                blocks.append(block("paragraph", [text("")]))  # a blank line between stanzas
            blocks.append(self.stanza())
        return document(blocks)

    def extra(self) -> Node:
        makers = [self.listing, self.quote, self.cloudinary_image, self.unsplash_image,
                  self.embed, self.heading]
        return self.rng.choices(makers, weights=[3, 2, 2, 2, 1, 4])[0]()

    def article(self) -> Node:
        blocks = [self.paragraph(decorate=self.rng.random() < 0.3)]
        for _ in range(self.rng.randint(2, 14)):
            if self.rng.random() < 0.3:
                blocks.append(self.extra())
            blocks.append(self.paragraph(decorate=self.rng.random() < 0.2))
        return document(blocks)

    def showcase(self) -> Node:
        """One body holding every block, inline and mark type of STRUCTURE.md section 3."""
        blocks = [self.paragraph(), self.every_mark_paragraph(), self.heading(),
                  block("unordered-list", [block("list-item", [text(self.sentence())]) for _ in range(2)]),
                  block("ordered-list", [block("list-item", [text(self.sentence())]) for _ in range(3)]),
                  self.quote(), self.cloudinary_image(), self.unsplash_image(), self.embed(),
                  self.stanza(), block("paragraph", [text("")]), self.paragraph()]
        return document(blocks)


def unsplash_url(rng: random.Random) -> str:
    stamp = rng.randint(1_400_000_000_000, 1_700_000_000_000)
    return f"https://images.unsplash.com/photo-{stamp}-{hex_id(rng, 12)}?ixlib=rb-4.0.3&q=80&w=1080"


def unsplash_profile(name: str) -> str:
    return "https://unsplash.com/@" + name.lower().replace(" ", "")


def document_from_outline(outline: list[tuple[str, str]]) -> Node:
    """A body from ("p"|"h"|"li", text) lines; consecutive "li" make one unordered list."""
    blocks: list[Node] = []
    for kind, line in outline:
        if kind == "li":
            if not blocks or blocks[-1]["type"] != "unordered-list":
                blocks.append(block("unordered-list", []))
            blocks[-1]["nodes"].append(block("list-item", [text(line)]))
        else:
            blocks.append(block("heading" if kind == "h" else "paragraph", [text(line)]))
    return document(blocks)
