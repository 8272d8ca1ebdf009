"""read_page (one parse, what the spiders call) gives what extract and extract_links give."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from swampcrawl.pages import extract, extract_links, read_page

CASES = sorted(path.parent for path in (Path(__file__).parent / "fixtures").glob("*/*/meta.json"))


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_read_page_equals_extract_and_extract_links(case):
    meta = json.loads((case / "meta.json").read_text())
    body = (case / "body.html").read_bytes()
    captured_at = datetime.fromisoformat(meta["captured_at"].replace("Z", "+00:00"))
    base = "/".join(meta["url"].split("/")[:3])
    content_type = meta.get("content_type")
    record, links = read_page(body, meta["url"], captured_at, base, content_type=content_type)
    assert links == extract_links(body, meta["url"], base, content_type=content_type)
    expected = extract(body, meta["url"], captured_at, base, content_type=content_type)
    if case.parent.name == "listing":
        assert record is None and links == expected
    else:
        assert record == expected
    assert read_page(body, meta["url"], captured_at, base, want_record=False, content_type=content_type) == (None, links)
