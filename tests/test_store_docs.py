"""docs/schema.md is the researchers' reference: every column named, every example runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from store_rows import creator_row, story_row

from swampcrawl.store import Store
from swampcrawl.store.schema import TABLES

DOC = Path(__file__).resolve().parent.parent / "docs" / "schema.md"


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "swamp.db") as opened:
        opened.upsert_stories([story_row(1), story_row(2, author="some-creator")])
        opened.upsert_creators([creator_row("some-creator")])
        yield opened


def test_every_table_and_column_is_documented(store: Store) -> None:
    text = DOC.read_text()
    for table in (*TABLES, "stories_fts", "schema_migrations"):
        assert f"`{table}`" in text, table
        if table != "stories_fts":
            for column in store.db[table].columns_dict:
                assert f"`{column}`" in text, f"{table}.{column}"


def test_example_queries_run(store: Store) -> None:
    queries = re.findall(r"```sql\n(.*?)```", DOC.read_text(), re.S)
    assert len(queries) >= 5
    for sql in queries:
        store.db.execute(sql).fetchall()
    by_author = store.db.execute(queries[-1]).fetchall()
    assert len(by_author) == 1 and by_author[0][3] == "nature, Challenge"
