"""Which page requisites a crawl fetches (the scope), and what kind of file each one is.

``SWAMPCRAWL_REQUISITES``: ``all`` (the default) fetches what pages load from the site itself
and from the platform's image hosts (``SWAMPCRAWL_REQUISITE_HOSTS``); ``site`` only from the
site; ``none`` fetches no requisites. Against a loopback site (the replica), every port of
the loopback host counts as an image host, since the replica serves its images from one.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from swampcrawl.config import SettingsError, is_loopback, parse_size

SCOPES = ("all", "site", "none")
DEFAULT_HOSTS = "res.cloudinary.com,images.unsplash.com"
DEFAULT_MAX_SIZE = 20_000_000

# What a requisite is, by its Content-Type, else by the extension of its path.
_MIME_KINDS = (("text/css", "stylesheet"), ("javascript", "script"), ("ecmascript", "script"),
               ("font/", "font"), ("application/font", "font"), ("application/x-font", "font"),
               ("image/", "image"))
_EXTENSION_KINDS = {
    ".css": "stylesheet", ".js": "script", ".mjs": "script",
    ".woff": "font", ".woff2": "font", ".ttf": "font", ".otf": "font", ".eot": "font",
    ".png": "image", ".jpg": "image", ".jpeg": "image", ".gif": "image", ".webp": "image",
    ".svg": "image", ".avif": "image", ".ico": "image",
}  # fmt: skip
REQUISITE_KINDS = frozenset({"stylesheet", "script", "font", "image"})


def requisite_kind(url: str, content_type: str | None) -> str | None:
    """``stylesheet``, ``script``, ``font`` or ``image``; None when it is none of these."""
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    for marker, kind in _MIME_KINDS:
        if marker in mime:
            return kind
    extension = posixpath.splitext(urlsplit(url).path)[1].lower()
    return _EXTENSION_KINDS.get(extension)


@dataclass(frozen=True)
class RequisiteScope:
    """Which requisite URLs a crawl of ``base_url`` fetches."""

    mode: str
    base_netloc: str
    hosts: frozenset[str]  # "host" (any port) or "host:port"
    max_size: int

    @classmethod
    def from_settings(cls, settings: Any, base_url: str) -> RequisiteScope:
        """From Scrapy settings (anything with ``.get(name, default)``); one SettingsError line."""
        mode = str(settings.get("SWAMPCRAWL_REQUISITES", "all")).strip().lower()
        if mode not in SCOPES:
            raise SettingsError(f"SWAMPCRAWL_REQUISITES must be one of {', '.join(SCOPES)}, not {mode!r}")
        raw_hosts = settings.get("SWAMPCRAWL_REQUISITE_HOSTS", DEFAULT_HOSTS)
        if isinstance(raw_hosts, str):
            raw_hosts = raw_hosts.replace(",", " ").split()
        hosts = {str(host).strip().lower() for host in raw_hosts or () if str(host).strip()}
        if is_loopback(base_url):
            # A crawl of a site on this machine (the replica) never reaches beyond it: its
            # image host is another port of the same loopback host.
            hosts = {host for host in hosts if is_loopback(f"http://{host}")} | {urlsplit(base_url).hostname or ""}
        max_size = parse_size("SWAMPCRAWL_REQUISITE_MAX_SIZE",
                              settings.get("SWAMPCRAWL_REQUISITE_MAX_SIZE", DEFAULT_MAX_SIZE), minimum=1)
        return cls(mode, urlsplit(base_url).netloc.lower(), frozenset(hosts), max_size)

    @property
    def enabled(self) -> bool:
        return self.mode != "none"

    def allowed_hostnames(self) -> list[str]:
        """Host names a crawl must allow (Scrapy's offsite filter) to fetch these requisites."""
        return sorted({host.split(":")[0] for host in self.hosts}) if self.mode == "all" else []

    def kind_of(self, url: str) -> str:
        """A requisite's kind without its response: by extension; on an image host, an image."""
        kind = requisite_kind(url, None)
        if kind is None:
            netloc = urlsplit(url).netloc.lower()
            kind = "image" if netloc != self.base_netloc and self.allows(url) else "requisite"
        return kind

    def allows(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or self.mode == "none":
            return False
        netloc = parts.netloc.lower().rsplit("@", 1)[-1]
        if netloc == self.base_netloc:
            return True
        return self.mode == "all" and (netloc in self.hosts or parts.hostname.lower() in self.hosts)
