"""What every extracted record shares: where its data came from, what went wrong, and
how times look in JSON (ISO 8601, UTC, ``Z``, whole seconds: docs/ARCHITECTURE.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, PlainSerializer


class Source(StrEnum):
    """The first source that gave a record its data, in the order they are tried."""

    NEXT_DATA = "next_data"
    JSON_LD = "json_ld"
    META = "meta"
    VISIBLE_TEXT = "visible_text"
    NONE = "none"  # nothing extractable: see the record's errors


def as_utc(value: datetime) -> datetime:
    """The same moment in UTC, whole seconds; a naive time is taken as UTC (as the site's are)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0)


def format_utc(value: datetime) -> str:
    """``2026-11-24T09:30:00Z``: the one textual form of a time in the project."""
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


UtcDateTime = Annotated[
    datetime,
    AfterValidator(as_utc),
    PlainSerializer(format_utc, return_type=str, when_used="json"),
]


class Record(BaseModel):
    """Base of every record: provenance and errors travel with the data."""

    model_config = ConfigDict(extra="forbid")

    source: Source = Source.NONE
    errors: list[str] = []

    # Where the page is archived: set by the crawl (or by reparse) from the WARC record
    # the page was read from, never by extraction, which knows only the page.
    captured_at: UtcDateTime | None = None
    warc_filename: str | None = None
    warc_offset: int | None = None
    warc_record_id: str | None = None

    def page_dump(self) -> dict:
        """The record as JSON values, without the provenance fields: what the page says."""
        return self.model_dump(mode="json", exclude=PROVENANCE_FIELDS)


PROVENANCE_FIELDS = frozenset({"captured_at", "warc_filename", "warc_offset", "warc_record_id"})
