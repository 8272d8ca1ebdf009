"""Saved pages under tests/fixtures/<kind>/<case>/ extract to their reviewed output.json.

One test per field (ids like ``story/hand-sample-swamp/title``), so a failure names the
field. New cases: ``swampcrawl fixture FILE --url URL --captured-at ISO --name CASE
[--content-type CT]`` (or scripts/replica_fixtures.py for the replica's variants); review
output.json. meta.json holds the URL, the capture time and, when the page came with one
that matters, its ``Content-Type`` header.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path

import pytest

from swampcrawl.pages import extract

FIXTURES = Path(__file__).parent / "fixtures"
CASES = sorted(path.parent for path in FIXTURES.glob("*/*/output.json"))


@cache
def extracted(case: Path) -> dict:
    meta = json.loads((case / "meta.json").read_text())
    captured_at = datetime.fromisoformat(meta["captured_at"].replace("Z", "+00:00"))
    record = extract((case / "body.html").read_bytes(), meta["url"], captured_at, content_type=meta.get("content_type"))
    return record.page_dump()


def field_params() -> list:
    params = []
    for case in CASES:
        expected = json.loads((case / "output.json").read_text(encoding="utf-8"))
        case_id = f"{case.parent.name}/{case.name}"
        params += [pytest.param(case, name, value, id=f"{case_id}/{name}") for name, value in expected.items()]
    return params


@pytest.mark.parametrize("case, field, expected", field_params())
def test_field(case: Path, field: str, expected: object) -> None:
    assert extracted(case)[field] == expected


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_no_field_unreviewed(case: Path) -> None:
    """A field the extractor gained since the fixture was reviewed must be reviewed too."""
    expected = json.loads((case / "output.json").read_text(encoding="utf-8"))
    assert sorted(extracted(case)) == sorted(expected)


def test_every_page_kind_has_fixtures() -> None:
    kinds = {case.parent.name for case in CASES}
    assert kinds >= {"story", "creator", "community", "listing"}
