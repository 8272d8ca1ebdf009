"""Redis for a fleet crawl, from ``SWAMPCRAWL_REDIS_URL``: one readable line for every problem.

A bad URL is a ``SettingsError`` (``scrapy crawl`` exits 2); a server that cannot be reached,
or refuses the password, is ``RedisUnreachable`` (exit 1). Redis is local-only by default:
whoever can write to it decides what every worker fetches, so a URL naming another machine
without a password is logged as a warning (docs/fleet.md shows how to bind and password it).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis

from swampcrawl.config import SettingsError, is_loopback

logger = logging.getLogger(__name__)

SETTING = "SWAMPCRAWL_REDIS_URL"
SCHEMES = ("redis", "rediss", "unix")
# Seconds before a connection attempt or a command is given up: a worker never hangs forever
# on a Redis that went away, and a slow one (a large ZRANGE) still answers.
CONNECT_TIMEOUT = 10
COMMAND_TIMEOUT = 30
# URLs already warned about in this process (each fleet component opens its own client).
_warned: set[str] = set()


class RedisUnreachable(RuntimeError):
    """The server named by SWAMPCRAWL_REDIS_URL does not answer (or refuses us): one line."""


def redis_from_settings(settings: Any) -> redis.Redis:
    """A client for ``SWAMPCRAWL_REDIS_URL``, checked with a PING.

    Raises SettingsError for a URL that is not a Redis URL, RedisUnreachable when the server
    cannot be reached or refuses the password. Values come back as bytes (requests are JSON
    text, but fingerprints and lease ids are compared as they were stored).
    """
    url = parse_redis_url(settings.get(SETTING))
    warn_if_exposed(url)
    server = redis.Redis.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=COMMAND_TIMEOUT,
                                  retry_on_timeout=True)
    try:
        server.ping()
    except redis.RedisError as error:
        server.close()
        raise RedisUnreachable(f"cannot reach Redis at {redacted(url)}: {reason(error)}") from None
    return server


def parse_redis_url(value: object) -> str:
    """The URL as given, or one SettingsError line saying what a Redis URL looks like."""
    url = str(value or "").strip()
    example = "such as redis://127.0.0.1:6379/0"
    if not url:
        raise SettingsError(f"{SETTING} is empty: give the fleet's Redis, {example}")
    try:
        redis.connection.parse_url(url)  # the scheme, the port
        parts = urlsplit(url)
        usable = parts.scheme in SCHEMES and (parts.scheme == "unix" or _network_url_usable(parts.hostname, parts.path))
    except ValueError:
        usable = False
    if not usable:
        raise SettingsError(f"{SETTING} must be a Redis URL {example}, not {redacted(url)!r}")
    return url


def _network_url_usable(host: str | None, path: str) -> bool:
    """A host, and a database number or none (redis-py would quietly use 0 for ``/abc``)."""
    database = path.strip("/")
    return bool(host) and (not database or database.isdigit())


def is_local(url: str) -> bool:
    """A Unix socket, or a loopback host: only this machine can reach the server."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    return parts.scheme == "unix" or is_loopback(f"http://[{host}]" if ":" in host else f"http://{host}")


def warn_if_exposed(url: str) -> None:
    """One warning line (once per process) for a server on the network without a password."""
    if is_local(url) or urlsplit(url).password or url in _warned:
        return
    _warned.add(url)
    logger.warning("%s names %s, not this machine, and has no password: whoever can reach that Redis "
                   "decides what every worker fetches (docs/fleet.md: bind it and set requirepass)",
                   SETTING, urlsplit(url).hostname)


def redacted(url: str) -> str:
    """The URL with its password replaced by ``***``, for messages and logs."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    user = f"{parts.username}:***" if parts.username else ":***"
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    netloc = f"{user}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def reason(error: redis.RedisError) -> str:
    """redis-py's message, on one line ("Error 111 connecting to 127.0.0.1:6390. Connection refused.")."""
    text = " ".join(str(error).split())
    return text or type(error).__name__
