"""crawl_runs and captures: a row per run with Scrapy's stats, a row per response."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from store_rows import BASE

from swampcrawl.store import Store, StoreError


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "swamp.db") as opened:
        yield opened


def test_run_stats_round_trip(store: Store) -> None:
    run_id = store.start_run("stories", {"SWAMPCRAWL_BASE_URL": "http://127.0.0.1:8000"})
    running = store.run(run_id)
    assert running["status"] == "running" and running["finished_at"] is None
    assert running["started_at"].endswith("Z") and len(running["started_at"]) == 20
    stats = {
        "start_time": datetime(2026, 11, 24, 9, 30, tzinfo=UTC),
        "finish_reason": "finished",
        "response_received_count": 120,
        "item_scraped_count": 50,
        "elapsed_time_seconds": 12.5,
        "swampcrawl/warc/records_written": 240,
    }
    store.finish_run(run_id, "finished", stats)
    run = store.run(run_id)
    assert run["status"] == "finished" and run["finished_at"].endswith("Z")
    assert run["stats"] == {**stats, "start_time": "2026-11-24T09:30:00Z"}
    assert (run["pages"], run["items"]) == (120, 50)
    assert run["settings"] == {"SWAMPCRAWL_BASE_URL": "http://127.0.0.1:8000"}
    raw = store.db.execute("SELECT stats FROM crawl_runs WHERE id = ?", [run_id]).fetchone()[0]
    assert json.loads(raw)["start_time"] == "2026-11-24T09:30:00Z"


def test_each_run_gets_its_own_row(store: Store) -> None:
    first, second = store.start_run("stories"), store.start_run("creators")
    assert first != second and store.counts()["crawl_runs"] == 2
    with pytest.raises(StoreError, match="no crawl run"):
        store.finish_run(999, "finished", {})


def test_captures_one_row_per_response(store: Store) -> None:
    run_id = store.start_run("stories")
    rows = [
        {"url": f"{BASE}/fiction/story-{n}", "status": 200, "kind": "story",
         "captured_at": datetime(2026, 11, 24, 9, 30, n, tzinfo=UTC),
         "warc_filename": "swampcrawl-1.warc.gz", "warc_offset": 100 * n,
         "warc_record_id": f"<urn:uuid:{n}>", "run_id": run_id}
        for n in range(3)
    ]  # fmt: skip
    rows.append({"url": f"{BASE}/latest-stories", "status": 301, "kind": "global_listing",
                 "captured_at": "2026-11-24T09:31:00Z", "run_id": run_id,
                 "location": f"{BASE}/latest"})  # fmt: skip
    assert store.add_captures(rows) == 4
    stored = list(store.db.query("SELECT * FROM captures ORDER BY id"))
    assert [r["id"] for r in stored] == [1, 2, 3, 4]
    assert stored[1]["captured_at"] == "2026-11-24T09:30:01Z" and stored[1]["warc_offset"] == 100
    assert (stored[3]["kind"], stored[3]["page_kind"], stored[3]["status"]) == ("listing", "global_listing", 301)
    assert store.add_captures([]) == 0
