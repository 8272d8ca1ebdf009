"""Where a record is archived: one ``WarcRef`` type, from the WARC writer to the database.

The WARC writer returns a ``WarcRef`` for each record it writes; the crawl carries it from
the response to the record extracted from it (the response is gone by the time an item
reaches a pipeline), and ``reparse`` builds one for each record it reads back. Every row
of the database names its WARC record through these fields.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from swampcrawl.records.base import Record

R = TypeVar("R", bound=Record)


@dataclass(frozen=True)
class WarcRef:
    """A record in a WARC file: which file, where in it, which record, written when."""

    filename: str
    offset: int
    record_id: str
    date: datetime  # the record's WARC-Date (UTC): relative dates on the page resolve against it
    length: int | None = None  # bytes of the record's gzip member, when known
    revisit: bool = False  # written as a revisit record (payload identical to an earlier one)
    payload_digest: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly: the date as the WARC-Date text (microseconds only when it has them)."""
        data = asdict(self)
        moment = self.date.astimezone(UTC)
        data["date"] = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if moment.microsecond else "%Y-%m-%dT%H:%M:%SZ")
        return data


def capture_time(ref: WarcRef | None) -> datetime:
    """The moment a page was captured: its WARC-Date when archived, else now."""
    if ref is not None:
        return ref.date
    return datetime.now(UTC).replace(microsecond=0)


def with_provenance(record: R, ref: WarcRef | None) -> R:
    """A copy of ``record`` that names the WARC record it was extracted from."""
    return record.model_copy(
        update={
            "warc_filename": ref.filename if ref else None,
            "warc_offset": ref.offset if ref else None,
            "warc_record_id": ref.record_id if ref else None,
            "captured_at": capture_time(ref),
        }
    )
