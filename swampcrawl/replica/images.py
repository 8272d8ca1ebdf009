"""The image host: where the replica's pages point their images, and the images it serves.

The data keeps the platform's own image URLs (``https://res.cloudinary.com/jerrick/...``,
``https://images.unsplash.com/photo-...``). Pages, ``__NEXT_DATA__`` and the ground truth
name them on the replica's image host instead (``ImageUrls.url``): the same path and query
under one base URL, ``http://127.0.0.1:IPORT`` by default, which a second HTTP server of the
replica process serves (``render_image``).

Every image is a small real picture, generated on request: a PNG (two-colour palette,
1 bit a pixel, so that even a 1200-pixel wide one is a few hundred bytes) or, when the URL
asks for WebP (Cloudinary ``f_webp``, Unsplash ``fm=webp``, a ``.webp`` name), a lossless
WebP of one colour. Its size follows the URL (``w_``/``h_``, ``w=``/``h=``) and its colours
a hash of the image's id, so every size of one picture looks alike. Like Cloudinary's
``f_auto``, the format does not follow the file name: a ``.jpg`` name answers a PNG.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from functools import lru_cache
from typing import Any, Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit

PLATFORM_HOSTS = ("res.cloudinary.com", "images.unsplash.com")
CLOUDINARY_PREFIX = "/jerrick/image/upload/"
MAX_SIDE = 4000
PNG = "image/png"
WEBP = "image/webp"


class ImageUrls:
    """Maps the platform's image URLs to the image host at ``base`` (no trailing slash)."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")

    def url(self, url: str | None) -> str | None:
        """The URL the pages use for a platform image URL (others are returned as they are)."""
        if not url:
            return url
        parts = urlsplit(url)
        if parts.hostname not in PLATFORM_HOSTS:
            return url
        return self.base + parts.path + (f"?{parts.query}" if parts.query else "")

    def media(self, media: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
        """A story's ``content`` media lists with their image URLs on the image host."""
        served = {}
        for key, items in media.items():
            served[key] = [{**item, **{name: self.url(item[name]) for name in ("url", "publicUrl")
                                       if isinstance(item.get(name), str)}} for item in items]
        return served

    def hero(self, hero: dict[str, Any]) -> dict[str, Any]:
        """``heroImage`` / ``heroUnsplashImage`` with their URLs on the image host."""
        served = dict(hero)
        if hero.get("heroImage"):
            image = hero["heroImage"]
            served["heroImage"] = {**image, "large": self.url(image["large"]),
                                   "socialMedia": self.url(image["socialMedia"])}
        if hero.get("heroUnsplashImage"):
            image = hero["heroUnsplashImage"]
            served["heroUnsplashImage"] = {**image, "publicUrl": self.url(image["publicUrl"])}
        return served


def variant(url: str, width: int | None = None, webp: bool = False) -> str:
    """The same picture at another width and/or as WebP (Cloudinary or Unsplash syntax)."""
    parts = urlsplit(url)
    if CLOUDINARY_PREFIX in parts.path:
        head, _, rest = parts.path.partition(CLOUDINARY_PREFIX)
        transform, _, public_id = rest.rpartition("/")
        params = [p for p in transform.split(",") if p] if transform else []
        for prefix, value in (("f_", "webp" if webp else None), ("w_", str(width) if width else None)):
            if value is None:
                continue
            index = next((i for i, p in enumerate(params) if p.startswith(prefix)), len(params))
            params[index:index + 1] = [prefix + value]
        path = f"{head}{CLOUDINARY_PREFIX}{','.join(params)}/{public_id}"
        return parts._replace(path=path).geturl()
    query = dict(parse_qsl(parts.query))
    if width:
        query["w"] = str(width)
    if webp:
        query["fm"] = "webp"
    return parts._replace(query=urlencode(query)).geturl()


def image_key(path: str) -> str | None:
    """The picture a served path shows (Cloudinary public id, ``photo-...``), else None."""
    if path.startswith(CLOUDINARY_PREFIX):
        public_id = path.rsplit("/", 1)[-1]
        return public_id.rsplit(".", 1)[0] or None
    if path.startswith("/photo-") and path.count("/") == 1:
        return path[1:]
    return None


def known_keys(urls: Iterable[str | None]) -> set[str]:
    """The pictures of these platform URLs: the image host answers 404 to any other."""
    keys = set()
    for url in urls:
        if url:
            key = image_key(urlsplit(url).path)
            if key:
                keys.add(key)
    return keys


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and len(text) < 6 else None


def requested_image(path: str, query: str) -> tuple[int, int, str]:
    """(width, height, content type) a served path and query ask for."""
    if path.startswith(CLOUDINARY_PREFIX):
        params: dict[str, str] = {}
        for segment in path[len(CLOUDINARY_PREFIX):].split("/")[:-1]:
            for param in segment.split(","):
                name, _, value = param.partition("_")
                params[name] = value
        width, height, ratio = _int(params.get("w")), _int(params.get("h")), 9 / 16
        if params.get("c") == "fit" and width is None:
            ratio = 1 / 3  # logos: wide
        webp = params.get("f") == "webp" or path.endswith(".webp")
        default = (1200, 675)
    else:
        values = dict(parse_qsl(query))
        width, height, ratio = _int(values.get("w")), _int(values.get("h")), 2 / 3
        webp = values.get("fm") == "webp"
        default = (1080, 720)
    if width is None and height is None:
        width, height = default
    elif height is None:
        height = round(width * ratio)
    elif width is None:
        width = round(height / ratio)
    side = lambda n: max(1, min(MAX_SIDE, n))  # noqa: E731
    return side(width), side(height), WEBP if webp else PNG


def colours(key: str) -> tuple[bytes, bytes]:
    """A picture's two colours: a mid tone and a lighter one, from a hash of its id."""
    digest = hashlib.sha256(key.encode()).digest()
    base = bytes(40 + b % 150 for b in digest[:3])
    light = bytes(min(255, c + 70) for c in base)
    return base, light


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@lru_cache(maxsize=2048)
def png(width: int, height: int, top: bytes, bottom: bytes) -> bytes:
    """A palette PNG, 1 bit a pixel: ``top`` over the upper two thirds, ``bottom`` below."""
    row = (width + 7) // 8
    split = max(1, height * 2 // 3)
    raw = (b"\x00" + b"\x00" * row) * split + (b"\x00" + b"\xff" * row) * (height - split)
    header = struct.pack(">IIBBBBB", width, height, 1, 3, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"PLTE", top + bottom)
            + _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(b"IEND", b""))


class _Bits:
    """Least significant bit first, as VP8L packs its header and codes."""

    def __init__(self) -> None:
        self.value = self.count = 0

    def put(self, value: int, bits: int) -> None:
        self.value |= value << self.count
        self.count += bits

    def bytes(self) -> bytes:
        return self.value.to_bytes((self.count + 7) // 8, "little")


@lru_cache(maxsize=2048)
def webp(width: int, height: int, colour: bytes) -> bytes:
    """A lossless WebP (VP8L) of one colour: five one-symbol prefix codes, no pixel bits."""
    bits = _Bits()
    bits.put(width - 1, 14)
    bits.put(height - 1, 14)
    bits.put(0, 1)  # alpha is not used
    bits.put(0, 3)  # version 0
    bits.put(0, 1)  # no transform
    bits.put(0, 1)  # no colour cache
    bits.put(0, 1)  # no meta prefix codes
    red, green, blue = colour
    for symbol in (green, red, blue, 255, 0):  # green, red, blue, alpha, distance
        bits.put(1, 1)  # a simple code...
        bits.put(0, 1)  # ...of one symbol...
        bits.put(1, 1)  # ...written in 8 bits
        bits.put(symbol, 8)
    data = b"\x2f" + bits.bytes()
    chunk = b"VP8L" + struct.pack("<I", len(data)) + data + (b"\x00" if len(data) % 2 else b"")
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def render_image(path: str, query: str, known: set[str]) -> tuple[str, bytes] | None:
    """(content type, bytes) of a served image path, or None (404: not a known picture)."""
    key = image_key(path)
    if key is None or key not in known:
        return None
    width, height, content_type = requested_image(path, query)
    top, bottom = colours(key)
    if content_type == WEBP:
        return content_type, webp(width, height, top)
    return content_type, png(width, height, top, bottom)


def image_robots() -> bytes:
    return ("# The swampcrawl replica's image host: everything may be fetched.\n"
            "User-agent: *\nAllow: /\n").encode()
