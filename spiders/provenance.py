"""Where a page is archived, carried from the response into its record.

The capture extension (``archive.capture``) writes each response to the WARC
at ``response_downloaded`` and leaves the record's location in
``request.meta["warc"]``; by the time an item reaches a pipeline the
response is gone, so the spider copies the location into the record.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scrapy.http import Response


def warc_location(response: Response) -> Any | None:
    return response.meta.get("warc")


def captured_at(response: Response) -> datetime:
    """The moment the page was captured: its WARC-Date when archived."""
    location = warc_location(response)
    date = getattr(location, "date", None)
    if isinstance(date, datetime):
        return date
    return datetime.now(UTC).replace(microsecond=0)


def with_provenance(record: Any, response: Response) -> Any:
    """A copy of ``record`` that names the WARC record it was extracted from."""
    location = warc_location(response)
    return record.model_copy(
        update={
            "warc_filename": getattr(location, "filename", None),
            "warc_offset": getattr(location, "offset", None),
            "warc_record_id": getattr(location, "record_id", None),
            "captured_at": captured_at(response),
        }
    )
