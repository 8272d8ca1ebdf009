"""Opening the database for reading: read-only, and every way it can be unusable is one line.

    with open_readonly(path) as db:      # sqlite3.Connection, rows as sqlite3.Row
        db.execute("SELECT count(*) FROM stories")

A missing file, an empty one, a file that is not SQLite, a damaged database, or one without
swampcrawl's tables raises ``ResearchError`` with a message that names the file; commands
turn it into one ``Error:`` line and exit 1. Writes are refused by SQLite itself (the file is
opened with ``mode=ro``), so no command can change the database.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import click

from swampcrawl.config import command_default


class ResearchError(Exception):
    """A database or a request that cannot be used: one line for the user."""


@contextlib.contextmanager
def open_readonly(path: str | Path, need: tuple[str, ...] = ("stories",)) -> Iterator[sqlite3.Connection]:
    """A read-only connection to a swampcrawl database holding the tables ``need``."""
    path = Path(path)
    if not path.is_file():
        raise ResearchError(f"no database at {path}")
    if path.stat().st_size == 0:
        raise ResearchError(f"{path} is empty: not a swampcrawl database (crawl first: scrapy crawl stories)")
    db = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True, timeout=5.0)
    db.row_factory = sqlite3.Row
    try:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = [name for name in need if name not in tables]
        if missing:
            raise ResearchError(f"{path} has no {', '.join(missing)} table: not a swampcrawl database")
        yield db
    except sqlite3.DatabaseError as error:  # not a database, damaged, locked
        raise ResearchError(f"cannot read {path}: {error}") from error
    finally:
        db.close()


def db_option(function):  # type: ignore[no-untyped-def]
    """The ``--db`` option every research command takes."""
    return click.option(
        "--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
        default=lambda: command_default("SWAMPCRAWL_DB"), show_default="$SWAMPCRAWL_DB or data/swamp.db",
        help="The SQLite database (opened read-only).")(function)
