"""The frame every replica page shares: Emotion class names, head, menu, footer, __NEXT_DATA__."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from html import escape
from typing import Any, Callable

from swampcrawl.replica.assets import SiteAssets
from swampcrawl.replica.images import ImageUrls

BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
ClassNames = Callable[[str], str]


def _base36(number: int) -> str:
    digits = []
    while number:
        number, rest = divmod(number, 36)
        digits.append(BASE36[rest])
    return "".join(reversed(digits)) or "0"


class EmotionClasses:
    """``css-<hash>-<Label>`` names whose hash changes with the deployment (``--build``).

    Some labels also get Emotion's second ``e<hash>0`` class, as on Vocal. The hash
    is never meant to be keyed on; only ``post-name`` is stable.
    """

    def __init__(self, build: str) -> None:
        self.build = build
        self._names: dict[str, str] = {}

    def __call__(self, label: str) -> str:
        name = self._names.get(label)
        if name is None:
            digest = hashlib.sha1(f"{self.build}\0{label}".encode()).digest()
            name = f"css-{_base36(int.from_bytes(digest[:5], 'big'))}-{label}"
            if digest[5] % 3 == 0:
                name += f" e{_base36(int.from_bytes(digest[6:9], 'big'))}0"
            self._names[label] = name
        return name

    def build_id(self) -> str:
        """Next.js's per-deployment id, as found in ``__NEXT_DATA__.buildId``."""
        return hashlib.sha1(f"build:{self.build}".encode()).hexdigest()[:21]


def next_data_json(data: dict[str, Any]) -> str:
    """JSON safe inside a <script> element, escaped the way Next.js escapes it."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, code in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"),
                       ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, code)
    return text


@dataclass
class Frame:
    """What the shared parts of a page need from the site."""

    css: EmotionClasses
    year: int
    communities: list[tuple[str, str]]  # (slug, name)
    featured_path: str  # a live story the menu links to with tracking parameters
    host: str
    port: int
    assets: SiteAssets
    images: ImageUrls  # platform image URLs -> the image host

    @cached_property
    def chrome(self) -> tuple[str, str]:
        """The menu and the footer, the same on every page: rendered once."""
        return menu(self), footer(self)


def _link(href: str, label: str, css: str = "") -> str:
    klass = f' class="{css}"' if css else ""
    return f'<a{klass} href="{escape(href)}">{escape(label)}</a>'


def menu(frame: Frame) -> str:
    """The closed navigation drawer (``hidden``: not visible text) present on every page.

    Besides the communities it holds the links a crawler must NOT follow: other hosts,
    mirror domains, other schemes, sign-up and search, tracking parameters on a real
    story, and a trailing-dot form of the serving host.
    """
    css, story = frame.css, frame.featured_path
    links = [_link("/", "Home"), _link("/latest-stories", "Latest Stories"),
             _link("/top-stories", "Top Stories")]
    links += [_link(f"/{slug}", name) for slug, name in frame.communities]
    traps = [("/signup", "Join Vocal"), ("/search?q=politics", "Search"), ("/challenges", "Challenges"),
             ("/vocal-plus", "Vocal+"), ("mailto:support@vocal.media", "Email us"),
             ("tel:+18005550199", "Call us"), ("javascript:void(0)", "Close menu"),
             (f"{story}?vocal_referral=menu", "Featured"), (f"{story}?via=homepage", "Featured story"),
             (f"{story}?_ga=2.1234567.890123.1700000000-1", "Pick of the day"),
             (f"{story}?utm_source=newsletter&utm_medium=email", "From the newsletter"),
             (f"http://{frame.host}.:{frame.port}{story}", "Permalink"),
             (f"https://vocal.media{story}", "On vocal.media"),
             (f"https://vocalmirror.net{story}", "Mirror"), ("https://poets.media/", "Poets (old site)"),
             ("https://theswamp.media/", "The Swamp (old site)"), ("/admin/api", "API")]
    links += [_link(href, label) for href, label in traps]
    items = "".join(f"<li>{link}</li>" for link in links)
    return f'<nav class="{css("Drawer")}" hidden=""><ul>{items}</ul></nav>'


def footer(frame: Frame) -> str:
    css = frame.css
    social = "".join(
        f'<a class="{css("SocialIcon")}" href="{href}" aria-label="{label}"><svg aria-hidden="true"></svg></a>'
        for href, label in (("https://twitter.com/vocal_creators", "Twitter"),
                            ("https://www.facebook.com/jointhevocal", "Facebook"),
                            ("https://www.instagram.com/vocal.creators/", "Instagram")))
    misc = "".join(f'<li>{_link(href, label)}</li>' for href, label in (
        ("/challenges", "Explore"), ("mailto:support@vocal.media", "Contact"),
        ("https://shop.vocal.media/privacy-policy", "Privacy Policy"),
        ("https://shop.vocal.media/terms-of-use", "Terms of Use"), ("https://support.vocal.media/", "Support")))
    return (f'<footer class="{css("Footer")}"><div><h4 class="{css("Text")}">Find us on social media</h4>'
            f'{social}</div><div><h4 class="{css("Text")}">Miscellaneous links</h4><ul>{misc}</ul></div>'
            f'<p class="{css("Copyright")}">© {frame.year} Creatd, Inc. All Rights Reserved.</p></footer>')


def page(frame: Frame, title: str, main: str, next_data: dict[str, Any]) -> bytes:
    """A whole HTML page with exactly one ``__NEXT_DATA__`` script.

    Its head references the build's stylesheet, font and the script chunks of its route
    (``next_data["page"]``) as a Next.js page does (``assets.py``).
    """
    css, build_id = frame.css, frame.css.build_id()
    next_data = {**next_data, "buildId": build_id, "isFallback": False, "gssp": True,
                 "scriptLoader": []}
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charSet="utf-8"/>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"/>'
        f"<title>{escape(title)}</title>{frame.assets.head(next_data['page'])}</head>"
        f'<body><div id="__next"><div class="{css("Layout")}">{frame.chrome[0]}'
        f'<main class="{css("Main")}">{main}</main>{frame.chrome[1]}</div></div>'
        f'<script id="__NEXT_DATA__" type="application/json">{next_data_json(next_data)}</script>'
        "</body></html>"
    ).encode("utf-8")
