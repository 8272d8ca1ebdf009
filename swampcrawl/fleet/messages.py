"""The messages fleet workers push to ``swampcrawl ingest``: JSON, with the rows exactly as built.

A worker's pipeline (pipelines/fleet.py) turns each item, archived response and failed request
into the rows a single crawl's store pipeline writes (``swampcrawl.store.ingest``) and pushes
them as one message to the crawl's ``rows`` list; the writer decodes them back into the same
values and writes them with the same ``RowBuffer``. One JSON object per message:

- ``{"worker": W, "seq": 0, "opened": {"spider": S, "settings": {...}, "at": ISO}}``
- ``{"worker": W, "seq": N, "rows": [[table, row], ...]}``
- ``{"worker": W, "seq": N, "closed": {"status": STATUS, "stats": {...}}}``

``seq`` counts a worker's messages from 0, so no two messages of a crawl are the same text.
JSON knows no datetime and no record: a datetime is ``{"$datetime": ISO}`` (``isoformat``,
so its microseconds and time zone come back as they were), a record ``{"$record": "Story",
"fields": {...}}``. Anything else JSON would change (a tuple, bytes, a set, a nested dict) is
refused with a TypeError rather than stored as something else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from swampcrawl.records import Community, Creator, Record, Story
from swampcrawl.store.ingest import WRITE_ORDER, Rows
from swampcrawl.store.values import to_json

RECORDS: dict[str, type[Record]] = {cls.__name__: cls for cls in (Story, Creator, Community)}
KINDS = ("opened", "rows", "closed")
DATETIME, RECORD = "$datetime", "$record"
_PLAIN = (str, int, float, bool, type(None))


class MessageError(ValueError):
    """A message the writer cannot read (not one a FleetPipeline pushed)."""


@dataclass(frozen=True)
class Message:
    worker: str
    seq: int
    kind: str  # opened, rows or closed
    body: Any  # opened: dict; rows: Rows (decoded); closed: {"status": ..., "stats": {...}}


# -- building ---------------------------------------------------------------------------------


def message_text(worker: str, seq: int, kind: str, body: Any) -> str:
    assert kind in KINDS
    return json.dumps({"worker": worker, "seq": seq, kind: body}, separators=(",", ":"))


def rows_text(worker: str, seq: int, rows: Rows) -> str:
    return message_text(worker, seq, "rows", [[table, encode_row(row)] for table, row in rows])


def closed_text(worker: str, seq: int, status: str, stats: dict[str, Any]) -> str:
    """Stats as the store keeps them (times as ISO text): they are summed, not written as rows."""
    return message_text(worker, seq, "closed", {"status": status, "stats": json.loads(to_json(stats) or "{}")})


def encode_row(row: Any) -> dict[str, Any]:
    """A row (a dict of plain values and datetimes, or a record) as JSON values."""
    if isinstance(row, Record):
        return encode_value(row)
    if not isinstance(row, dict):
        raise TypeError(f"a row must be a dict or a record, not {type(row).__name__}")
    return {str(key): encode_value(value) for key, value in row.items()}


def encode_value(value: Any) -> Any:
    if isinstance(value, str):
        return str(value)  # a StrEnum (a page kind) as its text, which it equals
    if type(value) in _PLAIN:
        return value
    if isinstance(value, datetime):
        return {DATETIME: value.isoformat()}
    if type(value) in RECORDS.values():
        return {RECORD: type(value).__name__, "fields": value.model_dump(mode="json")}
    if isinstance(value, list):
        return [encode_value(item) for item in value]
    raise TypeError(f"cannot send a {type(value).__name__} to the writer exactly: {value!r:.80}")


# -- reading ----------------------------------------------------------------------------------


def parse_message(text: str | bytes) -> Message:
    """A message as the worker built it, rows decoded; MessageError when it is not one."""
    try:
        data = json.loads(text)
    except ValueError as error:
        raise MessageError(f"not JSON: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("worker"), str) or not isinstance(data.get("seq"), int):
        raise MessageError("not a worker's message (no worker or seq)")
    kinds = [kind for kind in KINDS if kind in data]
    if len(kinds) != 1:
        raise MessageError(f"a message holds one of {', '.join(KINDS)}")
    kind, body = kinds[0], data[kinds[0]]
    if kind == "rows":
        body = decode_rows(body)
    elif not isinstance(body, dict) or (kind == "closed" and not isinstance(body.get("stats"), dict)):
        raise MessageError(f"a malformed {kind} message")
    return Message(data["worker"], data["seq"], kind, body)


def decode_rows(data: Any) -> Rows:
    if not isinstance(data, list):
        raise MessageError("rows must be a list")
    rows: Rows = []
    for pair in data:
        if not (isinstance(pair, list) and len(pair) == 2 and pair[0] in WRITE_ORDER and isinstance(pair[1], dict)):
            raise MessageError(f"not a [table, row] pair: {json.dumps(pair)[:80]}")
        rows.append((pair[0], decode_row(pair[1])))
    return rows


def decode_row(row: dict[str, Any]) -> Any:
    if RECORD in row:
        return decode_value(row)
    return {key: decode_value(value) for key, value in row.items()}


def decode_value(value: Any) -> Any:
    if isinstance(value, list):
        return [decode_value(item) for item in value]
    if not isinstance(value, dict):
        return value
    try:
        if set(value) == {DATETIME}:
            return datetime.fromisoformat(value[DATETIME])
        if set(value) == {RECORD, "fields"} and value[RECORD] in RECORDS:
            return RECORDS[value[RECORD]].model_validate(value["fields"])
    except (TypeError, ValueError, ValidationError) as error:
        raise MessageError(f"a malformed value: {str(error).splitlines()[0]}") from None
    raise MessageError(f"an unknown value: {json.dumps(value)[:80]}")
