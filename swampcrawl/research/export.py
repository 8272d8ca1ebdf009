"""``swampcrawl export``: a table as CSV, JSON Lines or JSON, or the whole database as a
Frictionless Data Package (``--dataset DIR``: one CSV file per table and a ``datapackage.json``).

Rows are streamed from an SQLite cursor to the output one at a time, so a table of any size
is exported in the same small memory. ``--where`` is an SQL condition on the table's columns,
with ``:name`` parameters given as ``--param name=value``; the database is opened read-only.
A file named with ``-o`` is written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import sqlite3
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

import click

from swampcrawl.progress import plain_bars
from swampcrawl.research.database import ResearchError, db_option, open_readonly
from swampcrawl.research.query import parse_params, refuse_writes, sql_error, table_names

FORMATS = ("csv", "jsonl", "json")
PROGRESS_SECONDS = 10.0  # between plain progress lines on stderr when it is not a terminal
PROGRESS_STEP = 1000  # rows between progress updates


class Progress:
    """How far an export is, on stderr: a bar on a terminal, else a plain line now and then."""

    def __init__(self, shown: bool) -> None:
        self.shown = shown

    @contextlib.contextmanager
    def bar(self, label: str, total: int) -> Iterator[Callable[[int], None]]:
        if not self.shown:
            yield lambda rows: None
        elif sys.stderr.isatty():
            with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
                yield bar.update
        else:
            with plain_bars("export", PROGRESS_SECONDS)(label, total) as plain:
                yield plain.update


def select_rows(db: sqlite3.Connection, table: str, where: str | None,
                params: dict[str, str]) -> tuple[sqlite3.Cursor, list[str], int]:
    """A cursor over ``table``'s rows (those matching ``where``), its columns and their count."""
    if table not in table_names(db):
        raise ResearchError(f"export: no table {table!r} (tables: {', '.join(table_names(db))})")
    refuse_writes(db)
    sql = f'SELECT * FROM "{table}"' + (f" WHERE {where}" if where else "")
    try:
        total = db.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0]
        cursor = db.execute(sql, params)
    except sqlite3.Error as error:
        message = sql_error(error, params)
        if message is None:
            raise
        raise ResearchError(f"export: bad --where {where!r}: {message}" if where else f"export: {message}") from error
    return cursor, [column[0] for column in cursor.description], total


def counted(rows: Iterable[Any], update: Callable[[int], None]) -> Iterator[Any]:
    """``rows`` unchanged, telling ``update`` every PROGRESS_STEP rows (and at the end)."""
    count = 0
    for count, row in enumerate(rows, start=1):
        yield row
        if count % PROGRESS_STEP == 0:
            update(PROGRESS_STEP)
    update(count % PROGRESS_STEP)


def write_csv(out: TextIO, columns: list[str], rows: Iterable[Any]) -> None:
    """A header line, then one line per row; NULL is an empty field."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)


def write_jsonl(out: TextIO, columns: list[str], rows: Iterable[Any]) -> None:
    """One JSON object per line."""
    for row in rows:
        out.write(json.dumps(dict(zip(columns, row)), ensure_ascii=False, default=str) + "\n")


def write_json(out: TextIO, columns: list[str], rows: Iterable[Any]) -> None:
    """One JSON list of objects, an object per line, written as the rows come."""
    out.write("[")
    separator = "\n"
    for row in rows:
        out.write(separator + json.dumps(dict(zip(columns, row)), ensure_ascii=False, default=str))
        separator = ",\n"
    out.write("\n]\n")


WRITERS = {"csv": write_csv, "jsonl": write_jsonl, "json": write_json}


@contextlib.contextmanager
def output_stream(path: Path | None) -> Iterator[TextIO]:
    """Standard output, or ``path`` written as ``path.part`` and renamed once complete."""
    if path is None or str(path) == "-":
        yield sys.stdout
        return
    part = path.with_name(path.name + ".part")
    try:
        out = open(part, "w", encoding="utf-8", newline="")
    except OSError as error:
        raise ResearchError(f"export: cannot write {path}: {error.strerror}") from error
    try:
        with out:
            yield out
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)


def export_table(db: sqlite3.Connection, table: str, fmt: str, out_path: Path | None,
                 where: str | None, params: dict[str, str], progress: Progress) -> int:
    """Write ``table`` (its rows matching ``where``) to ``out_path`` or stdout; return the count."""
    cursor, columns, total = select_rows(db, table, where, params)
    with output_stream(out_path) as out, progress.bar(table, total) as update:
        WRITERS[fmt](out, columns, counted(cursor, update))
    return total


def _check_usage(table: str | None, fmt: str | None, where: str | None, out_path: Path | None,
                 dataset: Path | None) -> None:
    if dataset is None and table is None:
        raise click.UsageError("give a TABLE to export, or --dataset DIR for the whole database")
    if dataset is not None and (table or where or out_path or fmt not in (None, "csv")):
        raise click.UsageError("--dataset writes every table as CSV: give no TABLE, --format, --where or -o with it")


@click.command()
@click.argument("table", required=False)
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="csv (the default), jsonl (a JSON object a line) or json (one list).")
@click.option("--where", metavar="CONDITION", help="Only the rows matching this SQL condition on the table's columns.")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE", help="A value for :NAME in --where (repeat for several).")
@click.option("-o", "--output", "out_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of standard output.")
@click.option("--dataset", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="Write every table as DIR/TABLE.csv, with DIR/datapackage.json describing them.")
@db_option
def export(table: str | None, fmt: str | None, where: str | None, params: tuple[str, ...],
           out_path: Path | None, dataset: Path | None, db_path: Path) -> None:
    """Export a table as CSV, JSON Lines or JSON, or the whole database as a data package.

    Rows are streamed: any table exports in constant memory. CSV has a header line and an
    empty field for NULL. `--dataset DIR` writes one CSV file per table and a Frictionless
    Data Package (`datapackage.json`: each file's columns, types, keys) that pandas, R or
    the `frictionless` tool can load. Progress goes to stderr.

    Example:

    \b
        swampcrawl export stories --format jsonl -o stories.jsonl
        swampcrawl export stories --where "community = :c" --param c=fiction -o fiction.csv
        swampcrawl export story_versions --format json --where "captured_at >= '2026-11-01'"
        swampcrawl export --dataset vocal-dataset
    """
    _check_usage(table, fmt, where, out_path, dataset)
    values = parse_params(params)
    try:
        with open_readonly(db_path) as db:
            if dataset is not None:
                from swampcrawl.research.export_dataset import export_dataset

                written = export_dataset(db, db_path, dataset, Progress(shown=True))
                click.echo(f"export: {len(written)} tables, {sum(written.values()):,} rows in {dataset}", err=True)
                return
            to_screen = out_path is None and sys.stdout.isatty()
            export_table(db, table or "", fmt or "csv", out_path, where, values, Progress(shown=not to_screen))
    except ResearchError as error:
        raise click.ClickException(str(error)) from error
