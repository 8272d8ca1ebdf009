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


# Scrapy's own settings that `scrapy crawl -s NAME=value` can get wrong, by kind: a bad value
# would otherwise end in a traceback deep in a component, or be silently read as something else.
_SCRAPY_FLOATS = ("DOWNLOAD_DELAY", "DOWNLOAD_DELAY_JITTER", "DOWNLOAD_TIMEOUT", "AUTOTHROTTLE_START_DELAY",
                  "AUTOTHROTTLE_MAX_DELAY", "AUTOTHROTTLE_TARGET_CONCURRENCY", "CLOSESPIDER_TIMEOUT",
                  "CLOSESPIDER_TIMEOUT_NO_ITEM")
_SCRAPY_INTS = ("CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN", "CONCURRENT_ITEMS", "RETRY_TIMES",
                "REDIRECT_MAX_TIMES", "DEPTH_LIMIT", "DOWNLOAD_MAXSIZE", "DOWNLOAD_WARNSIZE",
                "CLOSESPIDER_PAGECOUNT", "CLOSESPIDER_ITEMCOUNT", "CLOSESPIDER_ERRORCOUNT")
_AT_LEAST_ONE = ("CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN", "CONCURRENT_ITEMS")
_POSITIVE = ("DOWNLOAD_TIMEOUT", "AUTOTHROTTLE_TARGET_CONCURRENCY")
_SCRAPY_BOOLS = ("ROBOTSTXT_OBEY", "AUTOTHROTTLE_ENABLED", "COOKIES_ENABLED", "RETRY_ENABLED", "REDIRECT_ENABLED",
                 "HTTPCACHE_ENABLED", "DOWNLOAD_FAIL_ON_DATALOSS", "SWAMPCRAWL_CONDITIONAL_REQUESTS")
_BOOL_WORDS = {"1", "0", "true", "false", "yes", "no", "on", "off"}
LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


def check_scrapy_settings(settings: Any) -> None:
    """Scrapy's own settings a crawl relies on, checked before anything starts: one
    SettingsError line for the first bad value (``settings``: anything with ``.get``)."""
    for name in _SCRAPY_FLOATS:
        _number(name, settings.get(name), float, 0.0 if name not in _POSITIVE else None)
    for name in _SCRAPY_INTS:
        _number(name, settings.get(name), int, 1 if name in _AT_LEAST_ONE else 0)
    for name in _SCRAPY_BOOLS:
        value = settings.get(name)
        if value is not None and not isinstance(value, bool) and str(value).strip().lower() not in _BOOL_WORDS:
            raise SettingsError(f"{name} must be True or False, not {value!r}")
    level = settings.get("LOG_LEVEL")
    if level is not None and not isinstance(level, int) and str(level).upper() not in LOG_LEVELS:
        raise SettingsError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {level!r}")


def _number(name: str, value: Any, kind: type, minimum: float | None) -> None:
    if value is None or value == "":
        return
    try:
        number = kind(str(value).replace("_", "")) if not isinstance(value, (int, float)) else kind(value)
    except ValueError:
        word = "a number" if kind is float else "a whole number"
        raise SettingsError(f"{name} must be {word}, not {value!r}") from None
    if minimum is None and number <= 0:
        raise SettingsError(f"{name} must be more than 0, not {value!r}")
    if minimum is not None and number < minimum:
        raise SettingsError(f"{name} must be at least {minimum:g}, not {value!r}")
