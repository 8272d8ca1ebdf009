"""``swampcrawl query``: one SQL statement against the database, opened read-only.

The database is opened with ``mode=ro`` (SQLite refuses INSERT, UPDATE, DELETE) and an
authorizer refuses the statements that would write elsewhere (CREATE TEMP, ATTACH, a PRAGMA
that sets something), so a query can never change the file, nor create another. Values are passed as named parameters (``:name``,
``--param name=value``), never pasted into the SQL. SQL errors are one line.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from swampcrawl.research.database import ResearchError, db_option, open_readonly
from swampcrawl.research.output import show

# The authorizer's action codes refused on top of mode=ro: those that would write to a
# temporary table or another file (ATTACH creates one). INSERT, UPDATE and DELETE are left to
# mode=ro: SQLite itself authorizes an UPDATE of sqlite_master when it loads the schema.
WRITE_ACTIONS = frozenset(
    getattr(sqlite3, name) for name in dir(sqlite3)
    if name.startswith(("SQLITE_CREATE_", "SQLITE_DROP_"))
    or name in ("SQLITE_ALTER_TABLE", "SQLITE_ATTACH", "SQLITE_DETACH", "SQLITE_REINDEX", "SQLITE_ANALYZE")
)  # fmt: skip

# Pragmas that take an argument only to read (``PRAGMA table_info(stories)``); any other
# pragma given a value sets something (``PRAGMA journal_mode=delete``), and is refused.
READING_PRAGMAS = frozenset({
    "table_info", "table_xinfo", "index_list", "index_info", "index_xinfo",
    "foreign_key_list", "foreign_key_check", "integrity_check", "quick_check",
})

READ_ONLY = ("the database is opened read-only: INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, "
             "ATTACH and other writes are refused")

# SQLite errors that say the file is unusable (not the SQL): left to open_readonly's message.
DATABASE_ERRORS = ("SQLITE_CORRUPT", "SQLITE_NOTADB", "SQLITE_IOERR", "SQLITE_CANTOPEN", "SQLITE_BUSY")


def parse_params(pairs: Iterable[str]) -> dict[str, str]:
    """``name=value`` strings (``--param``) as a dict; a value is text (SQLite converts it where
    a column or LIMIT needs a number)."""
    params = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        name = name.strip().lstrip(":$@")
        if not equals or not name.isidentifier():
            raise click.BadParameter(f"{pair!r} is not name=value", param_hint="--param")
        params[name] = value
    return params


def refuse_writes(db: sqlite3.Connection) -> None:
    """Make ``db`` refuse, when a statement is prepared, any statement that would write."""

    def authorize(action: int, first: str | None, second: str | None, *where: Any) -> int:
        if action in WRITE_ACTIONS:
            return sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_PRAGMA and second is not None and first not in READING_PRAGMAS:
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK

    db.set_authorizer(authorize)


def sql_error(error: sqlite3.Error, params: dict[str, str]) -> str | None:
    """One line saying what is wrong with a statement, or None when the database is at fault."""
    name = getattr(error, "sqlite_errorname", "") or ""
    text = str(error)
    if name.startswith(DATABASE_ERRORS):
        return None
    if name in ("SQLITE_READONLY", "SQLITE_AUTH") or text == "not authorized":
        return READ_ONLY
    if "one statement at a time" in text:
        return "one SQL statement at a time"
    if text.startswith("You did not supply a value for binding parameter"):
        wanted = text.rsplit(" ", 1)[-1].rstrip(".").lstrip(":$@")
        return f"no value for :{wanted}: give it as --param {wanted}=VALUE"
    if "has no name" in text or (not params and "Incorrect number of bindings" in text):
        return "use named parameters (:name) given as --param name=VALUE, not ?"
    return text


def run_query(db: sqlite3.Connection, sql: str, params: dict[str, str]) -> list[dict[str, Any]]:
    """The rows of one read-only statement, as dicts keyed by column name (a name met again
    gets ``_2``, ``_3``...)."""
    refuse_writes(db)
    try:
        cursor = db.execute(sql, params)
        columns = unique_names(column[0] for column in cursor.description or ())
        return [dict(zip(columns, row)) for row in cursor]
    except sqlite3.Error as error:
        message = sql_error(error, params)
        if message is None:
            raise
        if message.startswith("no such table"):
            message += f" (tables: {', '.join(table_names(db))})"
        raise ResearchError(f"query: {message}") from error


def table_names(db: sqlite3.Connection) -> list[str]:
    """The database's tables and views, without SQLite's own and the full-text index's."""
    rows = db.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                      "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'stories_fts_%' ORDER BY name")
    return [row[0] for row in rows]


def unique_names(names: Iterable[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return unique


@click.command()
@click.argument("sql")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
              help="A value for :NAME in the SQL (repeat for several).")
@click.option("--json", "as_json", is_flag=True, help="Print the rows as a JSON list of objects, for scripts.")
@db_option
def query(sql: str, params: tuple[str, ...], as_json: bool, db_path: Path) -> None:
    """Run one SQL statement on the database (read-only) and print its rows.

    Tables and columns are those of docs/schema.md. Give values as named parameters
    (`:name` in the SQL, `--param name=value`) rather than pasting them in. Writes are
    refused: the database is opened read-only. Long values are cut in the table, never in
    `--json`; for whole tables use `swampcrawl export`.

    Example:

    \b
        swampcrawl query "select community, count(*) as stories from stories group by community"
        swampcrawl query "select title from stories where author = :who" --param who=some-creator
        swampcrawl query "select * from crawl_runs order by id desc limit 1" --json
    """
    values = parse_params(params)
    try:
        with open_readonly(db_path) as db:
            rows = run_query(db, sql, values)
    except ResearchError as error:
        raise click.ClickException(str(error)) from error
    show(rows, as_json, empty="no rows")
