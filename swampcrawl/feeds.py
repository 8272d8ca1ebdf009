"""Scrapy's feed exporters, giving the values the database holds.

``scrapy crawl stories -O stories.csv`` (or ``.jsonl``, ``.json``, ``.xml``) writes each record
as the ``stories`` table would: times as ``2026-11-24T09:30:00Z``, tags as their slugs,
enumerations as their text. Named in the ``FEED_EXPORTERS`` setting.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

from scrapy import exporters

from swampcrawl.records import Tag, format_utc


def feed_value(value: Any) -> Any:
    """A record's field value as the database stores it."""
    if isinstance(value, datetime):
        return format_utc(value)
    if isinstance(value, Tag):
        return value.slug
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [feed_value(item) for item in value]
    return value


class DatabaseValues:
    """Mixin for an exporter: each field converted by ``feed_value`` first."""

    def serialize_field(self, field: Any, name: str, value: Any) -> Any:
        return super().serialize_field(field, name, feed_value(value))  # type: ignore[misc]


class JsonItemExporter(DatabaseValues, exporters.JsonItemExporter):
    pass


class JsonLinesItemExporter(DatabaseValues, exporters.JsonLinesItemExporter):
    pass


class CsvItemExporter(DatabaseValues, exporters.CsvItemExporter):
    pass


class XmlItemExporter(DatabaseValues, exporters.XmlItemExporter):
    pass
