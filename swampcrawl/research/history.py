"""``swampcrawl history``: every stored version of a story, what changed between them, its
renames and its removal, each version pointing at the WARC record it was read from.

A story is found by its URL or by any URL it had before a rename (``previous_urls``).
Versions are ``story_versions`` rows, oldest first; the change between two consecutive ones
is a unified diff of their title, subtitle and text, one paragraph a line.
"""

from __future__ import annotations

import difflib
import json
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import click

from swampcrawl.research.database import ResearchError, db_option, open_readonly
from swampcrawl.research.output import show

VERSION_COLUMNS = ("number", "captured_at", "title", "words", "warc_filename", "warc_offset", "warc_record_id")
DIFF_CONTEXT = 1  # unchanged lines around each change: paragraphs are long


def canonical(url: str) -> str:
    """A story URL as the database keeps it: no query string, fragment or trailing slash."""
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def find_story(db: sqlite3.Connection, url: str) -> sqlite3.Row:
    """The story at ``url`` now, or the one that had ``url`` before a rename."""
    wanted = canonical(url)
    row = db.execute("SELECT * FROM stories WHERE url = ?", [wanted]).fetchone()
    if row is None:
        row = db.execute(
            "SELECT s.* FROM stories s, json_each(s.previous_urls) AS old "
            "WHERE s.previous_urls IS NOT NULL AND json_valid(s.previous_urls) AND old.value = ?", [wanted]
        ).fetchone()
    if row is None:
        raise ResearchError(f"history: no story at {wanted}, now or before a rename (find one with swampcrawl search)")
    return row


def content_lines(version: dict[str, Any]) -> list[str]:
    return [f"title: {version['title'] or ''}", f"subtitle: {version['subtitle'] or ''}", "",
            *(version["body_text"] or "").split("\n")]


def version_diff(older: dict[str, Any], newer: dict[str, Any]) -> str:
    """What changed from ``older`` to ``newer``: a unified diff, one paragraph a line."""
    return "\n".join(difflib.unified_diff(
        content_lines(older), content_lines(newer), lineterm="", n=DIFF_CONTEXT,
        fromfile=f"version {older['number']} ({older['captured_at']})",
        tofile=f"version {newer['number']} ({newer['captured_at']})",
    ))  # fmt: skip


def read_versions(db: sqlite3.Connection, story_url: str) -> list[dict[str, Any]]:
    """The story's versions, oldest first, each with the diff from the one before (None first)."""
    rows = db.execute(
        "SELECT captured_at, title, subtitle, body_text, content_hash, warc_filename, warc_offset, warc_record_id "
        "FROM story_versions WHERE story_url = ? ORDER BY captured_at, rowid", [story_url]
    ).fetchall()
    versions: list[dict[str, Any]] = []
    for number, row in enumerate(rows, start=1):
        version = {"number": number, **dict(row), "words": len((row["body_text"] or "").split())}
        version["diff"] = version_diff(versions[-1], version) if versions else None
        versions.append(version)
    return versions


def read_renames(db: sqlite3.Connection, previous: list[str], url: str) -> list[dict[str, Any]]:
    """Each rename, oldest first: from, to, and when the old URL was first seen redirecting."""
    renames = []
    for old, new in zip(previous, [*previous[1:], url]):
        redirect = db.execute(
            "SELECT min(captured_at) FROM captures WHERE url = ? AND status BETWEEN 300 AND 399", [old]
        ).fetchone()[0]
        renames.append({"from": old, "to": new, "redirect_captured_at": redirect})
    return renames


def story_history(db: sqlite3.Connection, url: str) -> dict[str, Any]:
    """Everything the database knows of the story at (or once at) ``url``, as plain values."""
    story = find_story(db, url)
    try:
        previous = json.loads(story["previous_urls"] or "[]")
    except ValueError:
        previous = []
    return {
        "url": story["url"], "asked_for": canonical(url), "id": story["id"], "title": story["title"],
        "author": story["author"], "community": story["community"], "published_at": story["published_at"],
        "first_seen_at": story["first_seen_at"], "last_seen_at": story["last_seen_at"],
        "removed_at": story["removed_at"], "previous_urls": previous,
        "renames": read_renames(db, previous, story["url"]), "versions": read_versions(db, story["url"]),
    }  # fmt: skip


# -- for people -----------------------------------------------------------------------------------


def heading_lines(history: dict[str, Any]) -> list[str]:
    fields = [("story", history["url"]), ("title", history["title"]),
              ("by", f"{history['author']} in {history['community']}"), ("published", history["published_at"]),
              ("seen", f"{history['first_seen_at']} to {history['last_seen_at']}"),
              ("removed", history["removed_at"] or "no (live when last seen)")]
    if history["asked_for"] != history["url"]:
        fields.insert(1, ("asked for", f"{history['asked_for']} (an earlier URL of the story)"))
    for rename in history["renames"]:
        when = f", redirecting since {rename['redirect_captured_at']}" if rename["redirect_captured_at"] else ""
        fields.append(("renamed", f"{rename['from']} -> {rename['to']}{when}"))
    width = max(len(label) for label, _ in fields)
    return [f"{label.ljust(width)}  {value if value is not None else '-'}" for label, value in fields]


def diff_line(line: str) -> str:
    """A diff line, in colour on a terminal (click.echo drops the colour elsewhere)."""
    if line.startswith(("---", "+++")):
        return click.style(line, bold=True)
    if line.startswith(("-", "+", "@@")):
        return click.style(line, fg={"-": "red", "+": "green", "@": "cyan"}[line[0]])
    return line


def print_history(history: dict[str, Any]) -> None:
    click.echo("\n".join(heading_lines(history)))
    versions = history["versions"]
    click.echo(f"\n{len(versions)} version{'s' if len(versions) != 1 else ''} (WARC record of each):")
    show(versions, as_json=False, columns=VERSION_COLUMNS, empty="no versions stored")
    for version in versions[1:]:
        click.echo(f"\nchanges in version {version['number']}:")
        for line in (version["diff"] or "(none in title, subtitle or text)").splitlines():
            click.echo(diff_line(line))


@click.command()
@click.argument("url")
@click.option("--json", "as_json", is_flag=True, help="Print the history as one JSON object, for scripts.")
@db_option
def history(url: str, as_json: bool, db_path: Path) -> None:
    """Every stored version of a story, and what changed between them.

    URL is the story's URL, now or before a rename. Shows when each version was captured
    and where its WARC record is (file, offset, record id), a unified diff between
    consecutive versions (title, subtitle and text, a paragraph a line), renames and
    the removal, if any. `--json` also gives each version's full text.

    Example:

    \b
        swampcrawl history https://vocal.media/fiction/some-story
        swampcrawl history https://vocal.media/fiction/some-story --json
    """
    try:
        with open_readonly(db_path, need=("stories", "story_versions", "captures")) as db:
            found = story_history(db, url)
    except ResearchError as error:
        raise click.ClickException(str(error)) from error
    if as_json:
        click.echo(json.dumps(found, indent=2, ensure_ascii=False))
    else:
        print_history(found)
