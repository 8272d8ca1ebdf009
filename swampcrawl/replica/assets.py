"""The site's static assets, named by the build as a Next.js deployment names them.

Every page references, like a Next.js page does, one stylesheet (which ``@import``s a
second, small one and loads a web font with ``@font-face``), the preloaded font, and the
deferred script chunks of its route plus the build's manifests:

    /_next/static/css/<hash>.css                    the main stylesheet (text/css)
    /_next/static/css/<hash>.css                    the theme it @imports (relative URL)
    /_next/static/media/swamp-sans-<hash>.woff2     the font (font/woff2), url(../media/...)
    /_next/static/chunks/webpack-<hash>.js          (application/javascript)
    /_next/static/chunks/framework-<hash>.js
    /_next/static/chunks/main-<hash>.js
    /_next/static/chunks/pages/_app-<hash>.js
    /_next/static/chunks/pages/<route>-<hash>.js    one per route, e.g. pages/index-<hash>.js,
                                                    pages/%5BsiteSlug%5D/%5BpostSlug%5D-<hash>.js
    /_next/static/<buildId>/_buildManifest.js
    /_next/static/<buildId>/_ssgManifest.js

``<hash>`` is 16 hex digits of the file's SHA-256, and every file names the build, so every
name changes with ``--build``. Pages also name ``/favicon.ico`` (``<link rel="icon">``), a
public file like Next.js's ``public/`` folder: the same name in every build, cached a day. The scripts only record that they ran (a ``data-swamp-chunks``
attribute on ``<html>``) and load nothing. The font is placeholder bytes behind a WOFF2
signature, not a real font: browsers refuse it and fall back to the next family, so no
style test may rest on it. The stylesheets set what ``STYLE_PROBES`` lists, which nothing
else on the pages sets.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from html import escape
from urllib.parse import quote, unquote, urljoin

from swampcrawl.replica.images import png

CSS = "text/css; charset=utf-8"
JS = "application/javascript; charset=utf-8"
WOFF2 = "font/woff2"
CACHE_CONTROL = "public, max-age=31536000, immutable"
PUBLIC_CACHE_CONTROL = "public, max-age=86400"
STATIC = "/_next/static/"
FAVICON = "/favicon.ico"

# Every route (``__NEXT_DATA__.page``) a replica page can have; each has its own chunk.
ROUTES = ("/", "/latest-stories", "/top-stories", "/[siteSlug]", "/[siteSlug]/latest-stories",
          "/[siteSlug]/top-stories", "/[siteSlug]/tag/[tagSlug]", "/[siteSlug]/[postSlug]",
          "/resources/[postSlug]", "/authors/[authorSlug]", "/challenges", "/vocal-plus",
          "/signup", "/search", "/404")

H1_COLOUR = "rgb(22, 101, 52)"  # #166534, set by the main stylesheet
BACKGROUND = "rgb(247, 244, 236)"  # #f7f4ec, set by the @import-ed theme
STYLE_PROBE = {"selector": "h1", "property": "color", "value": H1_COLOUR}
THEME_PROBE = {"selector": "body", "property": "background-color", "value": BACKGROUND}

MAIN_RULES = """\
body{font-family:"Swamp Sans",system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;line-height:1.6}
h1{color:#166534;font-size:2.25rem;line-height:1.2;margin:.5em 0}
h2,h3,h4{color:#1f2937;line-height:1.3}
main{max-width:760px;margin:0 auto;padding:24px 16px}
img{max-width:100%;height:auto}
picture{display:block}
figure{margin:24px 0}
figcaption{font-size:.875rem;color:#57534e}
a{color:#14532d}
span{margin-right:.35em}
svg{width:1em;height:1em}
img[width="40"]{border-radius:50%;vertical-align:middle;margin-right:.5em}
a[tabindex="-1"] img{width:320px;height:180px;object-fit:cover}
[hidden]{display:none!important}
footer{border-top:1px solid #d6d3d1;margin-top:48px;padding:24px 16px;font-size:.875rem}
"""
THEME_RULES = "body{background-color:#f7f4ec;color:#1c1917;margin:0}\n"


@dataclass(frozen=True)
class Asset:
    path: str  # as pages reference it (percent-encoded, as Next.js writes it)
    content_type: str
    body: bytes
    references: tuple[str, ...] = ()  # paths a stylesheet loads (@import, url())
    cache_control: str = CACHE_CONTROL

    @property
    def headers(self) -> dict[str, str]:
        return {"Content-Type": self.content_type, "Cache-Control": self.cache_control}


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:16]


def _chunk_body(name: str, build_id: str) -> bytes:
    return (f"/* swampcrawl replica: {name} of build {build_id}. It loads nothing. */\n"
            f'(self.__SWAMP_CHUNKS=self.__SWAMP_CHUNKS||[]).push("{name}");\n'
            'document.documentElement.setAttribute("data-swamp-chunks",self.__SWAMP_CHUNKS.join(" "));\n'
            ).encode()


def favicon() -> bytes:
    """An ICO file holding one 32x32 PNG (browsers read PNG entries)."""
    image = png(32, 32, b"\x16\x65\x34", b"\xf7\xf4\xec")
    entry = bytes([32, 32, 0, 0]) + (1).to_bytes(2, "little") + (32).to_bytes(2, "little")
    entry += len(image).to_bytes(4, "little") + (22).to_bytes(4, "little")
    return b"\x00\x00\x01\x00\x01\x00" + entry + image


def _page_name(route: str) -> str:
    """Next.js's chunk name of a route: ``/`` is ``pages/index``."""
    return "pages/index" if route == "/" else "pages" + route


class SiteAssets:
    """The static files of one build, by path, and the tags pages reference them with."""

    def __init__(self, build_id: str) -> None:
        self.build_id = build_id
        self._by_path: dict[str, Asset] = {}
        font_body = self._font_body()
        self.font = self._add(f"{STATIC}media/swamp-sans-{_digest(font_body)}.woff2", WOFF2, font_body)
        theme_body = f"/* swampcrawl replica theme, build {build_id} */\n{THEME_RULES}".encode()
        self.theme = self._add(f"{STATIC}css/{_digest(theme_body)}.css", CSS, theme_body)
        self.stylesheet = self._stylesheet()
        self.chunks = {name: self._js(name) for name in ("webpack", "framework", "main", "pages/_app")}
        self.pages = {route: self._js(_page_name(route)) for route in ROUTES}
        self.favicon = self._add(FAVICON, "image/x-icon", favicon(), cache_control=PUBLIC_CACHE_CONTROL)
        self.manifests = [self._manifest("_buildManifest", self._build_manifest()),
                          self._manifest("_ssgManifest", "self.__SSG_MANIFEST=new Set([]);"
                                         "self.__SSG_MANIFEST_CB&&self.__SSG_MANIFEST_CB();\n")]

    def _font_body(self) -> bytes:
        """Deterministic placeholder bytes (about 200) behind the WOFF2 signature."""
        seed = hashlib.sha256(f"swamp-sans:{self.build_id}".encode()).digest()
        filler = b"".join(hashlib.sha256(seed + bytes([n])).digest() for n in range(6))
        return b"wOF2\x00\x01\x00\x00" + filler

    def _stylesheet(self) -> Asset:
        # Both relative to the stylesheet's own URL, as CSS resolves them.
        theme_url = self.theme.path.rsplit("/", 1)[1]  # "<hash>.css"
        font_url = "../media/" + self.font.path.rsplit("/", 1)[1]  # "../media/swamp-sans-<hash>.woff2"
        body = (f'@import url("{theme_url}");\n'
                f"/* swampcrawl replica stylesheet, build {self.build_id} */\n"
                '@font-face{font-family:"Swamp Sans";font-style:normal;font-weight:400;font-display:swap;'
                f'src:url({font_url}) format("woff2")}}\n{MAIN_RULES}').encode()
        path = f"{STATIC}css/{_digest(body)}.css"
        references = tuple(urljoin(path, url) for url in (theme_url, font_url))
        return self._add(path, CSS, body, references)

    def _js(self, name: str) -> Asset:
        body = _chunk_body(name, self.build_id)
        return self._add(f"{STATIC}chunks/{quote(name)}-{_digest(body)}.js", JS, body)

    def _build_manifest(self) -> str:
        pages = ",".join(f'"{route}":["static/chunks/{unquote(asset.path.split("/chunks/", 1)[1])}"]'
                         for route, asset in self.pages.items())
        return (f'self.__BUILD_MANIFEST={{"__rewrites":{{"beforeFiles":[],"afterFiles":[],"fallback":[]}},'
                f'{pages},"sortedPages":["/_app","/_error"]}};'
                "self.__BUILD_MANIFEST_CB&&self.__BUILD_MANIFEST_CB();\n")

    def _manifest(self, name: str, text: str) -> Asset:
        body = f"/* swampcrawl replica, build {self.build_id} */\n{text}".encode()
        return self._add(f"{STATIC}{self.build_id}/{name}.js", JS, body)

    def _add(self, path: str, content_type: str, body: bytes, references: tuple[str, ...] = (),
             cache_control: str = CACHE_CONTROL) -> Asset:
        asset = Asset(path, content_type, body, references, cache_control)
        self._by_path[unquote(path)] = asset
        return asset

    def get(self, path: str) -> Asset | None:
        """The asset at a request path, its brackets percent-encoded or not."""
        return self._by_path.get(unquote(path)) if path.startswith(STATIC) or path == FAVICON else None

    def all(self) -> list[Asset]:
        return list(self._by_path.values())

    def scripts(self, route: str) -> list[Asset]:
        """The deferred scripts of a route's pages, in Next.js's order."""
        return [*self.chunks.values(), self.pages[route], *self.manifests]

    def head(self, route: str) -> str:
        """The ``<head>`` tags of a page of ``route``, shaped as Next.js writes them."""
        font, css = escape(self.font.path), escape(self.stylesheet.path)
        tags = [f'<link rel="preload" href="{font}" as="font" type="font/woff2" crossorigin="anonymous" data-next-font=""/>',
                f'<link rel="preload" href="{css}" as="style"/>',
                f'<link rel="stylesheet" href="{css}" data-n-g=""/>',
                '<noscript data-n-css=""></noscript>', f'<link rel="icon" href="{FAVICON}"/>']
        tags += [f'<script src="{escape(asset.path)}" defer=""></script>' for asset in self.scripts(route)]
        return "".join(tags)
