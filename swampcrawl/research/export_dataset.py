"""``swampcrawl export --dataset DIR``: every table as ``DIR/TABLE.csv``, described by a
Frictionless Data Package (https://specs.frictionlessdata.io/data-package/) in
``DIR/datapackage.json``: per file its columns with a type from the SQLite declared type,
its primary key and foreign keys, so a reader (``frictionless``, pandas, R) can load it typed.

All tables are read in one read transaction: the files agree with each other even while a
crawl writes to the database. The full-text index is left out (it is rebuilt from stories).
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

from swampcrawl.research.database import ResearchError
from swampcrawl.research.export import Progress, export_table
from swampcrawl.store.schema import TABLES
from swampcrawl.store.values import now_iso

# One line per table of docs/schema.md; the fields' descriptions come from the schema itself.
TABLE_DESCRIPTIONS = {
    "stories": "One row per story, values from its latest capture",
    "creators": "One row per creator profile",
    "communities": "One row per community (the platform's categories)",
    "tags": "Tags, by slug as the platform spells it",
    "story_tags": "One row per tag of a story",
    "story_versions": "One row per distinct content (title, subtitle, body) of a story",
    "captures": "One row per archived HTTP response, with its place in the WARC files",
    "crawl_runs": "One row per crawl (or reparse)",
    "creator_stories": "The story URLs each creator's profile pages list",
    "errors": "One row per URL that could not be fetched or read",
    "schema_migrations": "The schema migrations applied to the database",
}


def frictionless_type(declared: str) -> str:
    """A Table Schema field type for an SQLite declared type (SQLite's affinity rules)."""
    declared = declared.upper()
    if "INT" in declared:
        return "integer"
    if any(word in declared for word in ("CHAR", "CLOB", "TEXT")):
        return "string"
    if any(word in declared for word in ("REAL", "FLOA", "DOUB")):
        return "number"
    return "any"


def dataset_tables(db: sqlite3.Connection) -> list[str]:
    """The database's own tables, those of the contract first: not SQLite's, nor a virtual
    table or its shadow tables."""
    rows = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").fetchall()
    virtual = [name for name, sql in rows if (sql or "").upper().startswith("CREATE VIRTUAL TABLE")]
    names = [name for name, _ in rows if not any(name == v or name.startswith(v + "_") for v in virtual)]
    return sorted(names, key=lambda name: (TABLES.index(name) if name in TABLES else len(TABLES), name))


def field(column: sqlite3.Row, references: dict[str, str]) -> dict[str, Any]:
    kind = column["type"] or "untyped"
    notes = [f"SQLite {kind}"]
    if column["pk"]:
        notes.append("primary key")
    if column["name"] in references:
        notes.append(f"refers to {references[column['name']]}")
    return {"name": column["name"], "type": frictionless_type(column["type"] or ""), "description": ", ".join(notes)}


def table_schema(db: sqlite3.Connection, table: str) -> dict[str, Any]:
    """The Table Schema of ``table``: fields, primary key, foreign keys; NULL is an empty field."""
    columns = db.execute(f'PRAGMA table_info("{table}")').fetchall()
    foreign = db.execute(f'PRAGMA foreign_key_list("{table}")').fetchall()
    references = {row["from"]: f"{row['table']}.{row['to']}" for row in foreign}
    schema: dict[str, Any] = {"fields": [field(column, references) for column in columns], "missingValues": [""]}
    key = [column["name"] for column in sorted(columns, key=lambda c: c["pk"]) if column["pk"]]
    if key:
        schema["primaryKey"] = key
    if foreign:
        schema["foreignKeys"] = [
            {"fields": [row["from"]], "reference": {"resource": row["table"], "fields": [row["to"]]}} for row in foreign
        ]
    return schema


def resource(db: sqlite3.Connection, table: str, rows: int) -> dict[str, Any]:
    return {
        "name": table, "path": f"{table}.csv", "profile": "tabular-data-resource",
        "title": table, "description": f"{TABLE_DESCRIPTIONS.get(table, table)} ({rows:,} rows).",
        "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
        "schema": table_schema(db, table),
    }  # fmt: skip


def package(db_path: Path, resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "profile": "tabular-data-package",
        "name": "swampcrawl",
        "title": f"swampcrawl archive of Vocal (vocal.media): {db_path.name}",
        "description": "Every table of a swampcrawl database (docs/schema.md), one CSV file each; "
                       "an empty field is NULL. Times are ISO 8601 UTC text.",
        "created": now_iso(),
        "resources": resources,
    }  # fmt: skip


def export_dataset(db: sqlite3.Connection, db_path: Path, directory: Path, progress: Progress) -> dict[str, int]:
    """Write every table to ``directory`` and the datapackage.json; return rows per table."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ResearchError(f"export: cannot make {directory}: {error.strerror}") from error
    written: dict[str, int] = {}
    resources = []
    db.execute("BEGIN")  # one snapshot for every table
    try:
        for table in dataset_tables(db):
            written[table] = export_table(db, table, "csv", directory / f"{table}.csv", None, {}, progress)
            resources.append(resource(db, table, written[table]))
    finally:
        db.rollback()
    part = directory / "datapackage.json.part"
    part.write_text(json.dumps(package(db_path, resources), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(part, directory / "datapackage.json")
    return written
