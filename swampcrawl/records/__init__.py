"""Typed records extracted from Vocal pages (pydantic v2), one module per concept."""

from swampcrawl.records.base import Record, Source, UtcDateTime, as_utc, format_utc
from swampcrawl.records.community import Community
from swampcrawl.records.creator import Creator
from swampcrawl.records.listing import Listing
from swampcrawl.records.story import Story
from swampcrawl.records.tag import Tag

__all__ = [
    "Community",
    "Creator",
    "Listing",
    "Record",
    "Source",
    "Story",
    "Tag",
    "UtcDateTime",
    "as_utc",
    "format_utc",
]
