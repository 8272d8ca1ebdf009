"""Validation of swampcrawl's settings and spider arguments.

Pure functions shared by the spiders and the ``scrapy crawl`` wrapper, so a
bad value stops the crawl with one readable line before anything starts.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


def command_default(name: str) -> str:
    """A path setting for the commands that run without Scrapy (summary, reparse, wacz,
    archive): ``$NAME`` when set, else the project settings' value."""
    from swampcrawl import settings

    return os.environ.get(name) or str(getattr(settings, name))


class SettingsError(ValueError):
    """A swampcrawl setting or spider argument that cannot be used."""


def is_loopback(base_url: str) -> bool:
    host = urlsplit(base_url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_base_url(value: str) -> str:
    """The base URL without a trailing slash; one readable error when unusable."""
    parts = urlsplit(str(value).strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"SWAMPCRAWL_BASE_URL must be an http(s) URL such as https://vocal.media, not {value!r}")
    if parts.path not in ("", "/") or parts.query:
        raise SettingsError(f"SWAMPCRAWL_BASE_URL must name a site, without a path or query: {value!r}")
    try:
        parts.port
    except ValueError as exc:
        raise SettingsError(f"SWAMPCRAWL_BASE_URL has a bad port: {value!r}") from exc
    return f"{parts.scheme}://{parts.netloc.rstrip('.').lower()}"


def parse_communities(value: str | None) -> frozenset[str]:
    """``-a community=theSwamp,fiction`` -> {"theSwamp", "fiction"}; slugs are case-sensitive."""
    if value is None:
        return frozenset()
    slugs = frozenset(s.strip().strip("/") for s in str(value).split(",") if s.strip())
    bad = sorted(s for s in slugs if "/" in s or "?" in s or " " in s)
    if not slugs or bad:
        raise SettingsError(f"-a community takes slugs separated by commas, such as theSwamp,fiction; got {value!r}")
    return slugs


def parse_size(name: str, value: object, minimum: int = 0) -> int:
    """An integer setting such as SWAMPCRAWL_WARC_MAX_SIZE, or one readable error."""
    try:
        number = int(str(value).replace("_", ""))
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {value!r}") from None
    if number < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, not {number}")
    return number


# Defaults of the WARC writer's settings, for a capture extension used outside this project.
WARC_DEFAULTS = {"SWAMPCRAWL_WARC_PREFIX": "swampcrawl", "SWAMPCRAWL_WARC_GZIP_LEVEL": 3,
                 "SWAMPCRAWL_WARC_MAX_SIZE": 1_000_000_000}


def warc_writer_options(settings: Any) -> dict[str, Any]:
    """The WARC writer's options from Scrapy settings (anything with ``.get(name, default)``):
    ``prefix``, ``gzip_level`` (0-9), ``max_size``; a bad value is one SettingsError line.
    The capture extension calls it in ``from_crawler``; ``scrapy crawl`` before any request."""
    value = {name: settings.get(name, default) for name, default in WARC_DEFAULTS.items()}
    prefix = str(value["SWAMPCRAWL_WARC_PREFIX"])
    if not prefix or prefix.startswith(".") or any(char in prefix for char in "/\\\0"):
        raise SettingsError(f"SWAMPCRAWL_WARC_PREFIX must be a file name prefix without '/', such as swampcrawl; got {prefix!r}")
    level = parse_size("SWAMPCRAWL_WARC_GZIP_LEVEL", value["SWAMPCRAWL_WARC_GZIP_LEVEL"])
    if level > 9:
        raise SettingsError(f"SWAMPCRAWL_WARC_GZIP_LEVEL must be from 0 to 9, not {level}")
    max_size = parse_size("SWAMPCRAWL_WARC_MAX_SIZE", value["SWAMPCRAWL_WARC_MAX_SIZE"], minimum=1)
    return {"prefix": prefix, "gzip_level": level, "max_size": max_size}


def check_writable_dir(name: str, path: str | os.PathLike[str]) -> Path:
    """Create ``path`` if needed and make sure files can be written in it."""
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingsError(f"{name}: cannot create folder {str(folder)!r}: {exc.strerror}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise SettingsError(f"{name}: folder {str(folder)!r} is not writable")
    return folder
