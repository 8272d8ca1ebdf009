"""Whether a page's record is the story, creator or community it should be.

A maintenance page ("We'll be right back") or an error page served with status 200, an
empty body, a page cut short: each extracts as a record of its URL's kind holding nothing of
the page's own (at best the maintenance text as a title). Stored, it would replace a good row
with a worse one; the store records it as an error instead (docs/faults.md).
"""

from __future__ import annotations

from swampcrawl.records.base import Record, Source
from swampcrawl.records.community import Community
from swampcrawl.records.creator import Creator
from swampcrawl.records.story import Story


def unusable_reason(record: Record) -> str | None:
    """Why ``record`` is not a page of its kind, for the ``errors`` table (None: it is one)."""
    if isinstance(record, Story):
        return None if record.body_text else _reason("no story body", record.title)
    if isinstance(record, Creator):
        signs = record.story_count is not None or record.stories or record.joined or record.bio
        return _profile_reason(record, record.name, bool(signs), "creator")
    if isinstance(record, Community):
        signs = record.story_count is not None or record.creator_count is not None
        return _profile_reason(record, record.name, bool(signs), "community")
    return None


def _profile_reason(record: Record, name: str | None, signs: bool, kind: str) -> str | None:
    # A profile read from the visible text alone needs more than a heading: any page has one.
    if name and (record.source is not Source.VISIBLE_TEXT or signs):
        return None
    return _reason(f"no {kind} profile", name)


def _reason(missing: str, heading: str | None) -> str:
    seen = f" (the page says {heading[:80]!r})" if heading else ""
    return f"unparseable: {missing}{seen}"
