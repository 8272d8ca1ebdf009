"""Turning incoming rows (dicts or pydantic records) into values SQLite stores.

Times are stored as ``YYYY-MM-DDTHH:MM:SSZ`` strings: in that one form, comparing
strings compares moments, which the first/last-seen logic relies on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def format_time(value: datetime) -> str:
    """A datetime as ``2026-11-24T09:30:00Z`` (naive datetimes are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime(TIME_FORMAT)


def now_iso() -> str:
    return format_time(datetime.now(UTC))


def to_iso(value: Any) -> str | None:
    """A time in the store's one textual form; text that is not a time is kept as given."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return format_time(value)
    text = str(value)
    try:
        return format_time(datetime.fromisoformat(text))
    except ValueError:
        return text


def as_dict(row: Any) -> dict[str, Any]:
    """A plain dict from a dict or a pydantic record (JSON mode: enums and times as text)."""
    if isinstance(row, Mapping):
        return dict(row)
    if hasattr(row, "model_dump"):
        return row.model_dump(mode="json")
    raise TypeError(f"a row must be a dict or a pydantic model, not {type(row).__name__}")


def to_json(value: Any) -> str | None:
    """JSON text for lists and dicts (stats, errors); datetimes become ISO strings."""
    if value is None:
        return None
    return json.dumps(value, default=_json_default, sort_keys=True, ensure_ascii=False)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_time(value)
    if hasattr(value, "total_seconds"):  # timedelta
        return value.total_seconds()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def to_flag(value: Any) -> int | None:
    """Booleans are 0/1 in the contract; unknown stays NULL."""
    return None if value is None else int(bool(value))


def provenance(row: Mapping[str, Any]) -> dict[str, Any]:
    """The capture time, extraction errors and source that every captured row carries."""
    source = row.get("source")
    return {
        "captured_at": to_iso(row.get("captured_at")) or now_iso(),
        "extraction_errors": to_json(row.get("extraction_errors") or row.get("errors") or None),
        "source": None if source is None else str(source),
    }


def pick(row: Mapping[str, Any], columns: Iterable[str]) -> dict[str, Any]:
    """Only the table's columns: extra keys (a creator's ``stories`` list) are not stored."""
    return {column: row.get(column) for column in columns}


def chunks(items: list[Any], size: int = 500) -> Iterable[list[Any]]:
    """Slices small enough for SQLite's limit on ``?`` parameters in one statement."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def slug_from_url(url: str | None) -> str | None:
    """The last path segment: a creator's or community's slug when the record lacks one."""
    if not url:
        return None
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1] or None
