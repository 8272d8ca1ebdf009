"""Page requisites: what a browser loads to show a page (stylesheets, scripts, fonts, images).

Read from the parsed page (``html_requisites``) and from stylesheets (``css_requisites``), as
absolute http(s) URLs, de-duplicated, in document order. Which of them are fetched (the
scope, the hosts) is the crawler's decision, not this module's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

from lxml import etree
from w3lib.url import safe_url_string

# <link rel=...> values whose href a browser loads to show the page.
_LOADED_RELS = frozenset({"stylesheet", "preload", "modulepreload", "icon", "apple-touch-icon", "shortcut"})
_ELEMENTS = ("link", "script", "img", "source", "video", "style", "input", "base")
_STYLE_ATTRIBUTES = etree.XPath("//@style[contains(., 'url(')]")
# url(...) in CSS (quoted or not) and @import "..." without url().
_CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s][^)]*?))\s*\)""", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"""@import\s+(?:"([^"]+)"|'([^']+)')""", re.IGNORECASE)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


def html_requisites(root: etree._Element, page_url: str) -> list[str]:
    """What the page at ``page_url`` loads: link (stylesheet, preload, icon), script, img,
    picture/source (src and every srcset candidate), video posters, and url(...) in its
    ``<style>`` elements and style attributes."""
    found: list[str] = []
    srcsets: list[str] = []
    styles: list[str] = []
    base = page_url
    for element in root.iter(_ELEMENTS):
        tag, get = element.tag, element.get
        if tag == "base":
            base = urljoin(page_url, (get("href") or "").strip())
        elif tag == "link":
            if get("href") and _LOADED_RELS.intersection((get("rel") or "").lower().split()):
                found.append(get("href"))
                if get("imagesrcset"):
                    srcsets.append(get("imagesrcset"))
        elif tag == "style":
            styles.append(element.text or "")
        elif tag == "video":
            found.append(get("poster") or "")
        elif tag != "input" or (get("type") or "").lower() == "image":
            found.append(get("src") or "")
            if tag in ("img", "source") and get("srcset"):
                srcsets.append(get("srcset"))
    for srcset in srcsets:
        found += srcset_urls(srcset)
    for text in styles + [str(value) for value in _STYLE_ATTRIBUTES(root)]:
        found += _css_references(text)
    return list(_absolute(found, base))


def css_requisites(css: str, css_url: str) -> list[str]:
    """What a stylesheet loads: its ``@import``s and ``url(...)`` (fonts, images), resolved
    against the stylesheet's own URL."""
    return list(_absolute(_css_references(css), css_url))


def srcset_urls(srcset: str) -> list[str]:
    """The URLs of a srcset, parsed as the HTML standard does: a candidate's URL runs to the
    next white space (so commas inside it, as in Cloudinary's ``c_fill,w_720``, stay), and
    its descriptors ("720w", "2x") run to the next comma."""
    urls, position, length = [], 0, len(srcset)
    while position < length:
        while position < length and (srcset[position].isspace() or srcset[position] == ","):
            position += 1
        start = position
        while position < length and not srcset[position].isspace():
            position += 1
        url = srcset[start:position]
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            comma = srcset.find(",", position)
            position = length if comma < 0 else comma + 1
        if url:
            urls.append(url)
    return urls


def _css_references(css: str) -> list[str]:
    css = _CSS_COMMENT.sub("", css)
    found = [next(group for group in match.groups() if group is not None) for match in _CSS_URL.finditer(css)]
    found += [match.group(1) or match.group(2) for match in _CSS_IMPORT.finditer(css)]
    return found


def _absolute(references: Iterable[str], base: str) -> Iterator[str]:
    seen: set[str] = set()
    origin = _origin(base)
    for reference in references:
        reference = reference.strip()
        if not reference or reference.startswith(("data:", "#", "about:", "blob:", "javascript:")):
            continue
        # An absolute or root-relative reference resolves alike against any page of the site:
        # keyed by the site alone, the same stylesheets, scripts and images named page after
        # page are resolved once (resolving was most of the requisite extraction's cost).
        url = _resolved(origin if origin and reference.startswith(_SITE_RELATIVE) else base, reference)
        if url is not None and url not in seen:
            seen.add(url)
            yield url


_SITE_RELATIVE = ("http://", "https://", "/")


def _origin(base: str) -> str | None:
    """``scheme://host/`` of an http(s) base URL: what an absolute or root-relative reference
    takes from it (None for any other base)."""
    try:
        parts = urlsplit(base)
    except ValueError:
        return None
    return f"{parts.scheme}://{parts.netloc}/" if parts.scheme in ("http", "https") and parts.netloc else None


@lru_cache(maxsize=8192)
def _resolved(base: str, reference: str) -> str | None:
    """The absolute http(s) URL ``reference`` names from ``base``, without its fragment; None
    for a malformed URL or another scheme."""
    try:
        url = safe_url_string(urljoin(base, reference)).split("#", 1)[0]
        parts = urlsplit(url)
    except ValueError:  # a malformed URL: nothing to fetch
        return None
    return url if parts.scheme in ("http", "https") and parts.hostname else None
