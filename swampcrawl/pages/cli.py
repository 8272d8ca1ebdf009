"""``swampcrawl extract`` and ``swampcrawl fixture``: extraction of saved pages."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from swampcrawl.config import SettingsError, command_default, parse_size
from swampcrawl.pages import extract as extract_page
from swampcrawl.records import Source, format_utc
from swampcrawl.urls import UrlRules


def _parse_time(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"not an ISO 8601 time: {value!r}") from None
    return parsed.replace(tzinfo=parsed.tzinfo or UTC).astimezone(UTC)


def _check_url(url: str) -> None:
    try:
        UrlRules(url)
    except ValueError:
        raise click.BadParameter(f"not an http(s) URL: {url!r}") from None


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", required=True, help="The page's URL: it tells the page kind.")
@click.option("--captured-at", default=None, help="ISO time relative dates are resolved against (default: now).")
@click.option("--base-url", default=None, help="The site's base URL (default: the URL's scheme and host).")
@click.option("--content-type", default=None,
              help='The Content-Type header the page was served with, e.g. "text/html; charset=windows-1252". '
                   "Decoding as in a browser: a byte order mark, else this charset, else <meta charset>, else UTF-8.")
def extract(file: Path, url: str, captured_at: str | None, base_url: str | None, content_type: str | None) -> None:
    """Print the typed record extracted from one saved page as one JSON object.

    Exits 1 (the record listing its errors) when nothing could be extracted.

    Example:

    \b
        swampcrawl extract story.html --url https://vocal.media/theSwamp/a-story --captured-at 2026-11-24T09:30:00Z
    """
    _check_url(url)
    try:
        limit = parse_size("SWAMPCRAWL_MAX_PAGE_SIZE", command_default("SWAMPCRAWL_MAX_PAGE_SIZE"), minimum=1)
    except SettingsError as error:
        raise click.ClickException(str(error)) from None
    if file.stat().st_size > limit:
        raise click.ClickException(f"{file} is {file.stat().st_size:,} bytes, over SWAMPCRAWL_MAX_PAGE_SIZE "
                                   f"({limit:,}): not a page of this platform")
    record = extract_page(file.read_bytes(), url, _parse_time(captured_at), base_url, content_type=content_type)
    click.echo(json.dumps(record.page_dump(), ensure_ascii=False))
    if record.source is Source.NONE:
        sys.exit(1)


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", required=True, help="The page's URL.")
@click.option("--captured-at", required=True, help="ISO time the page was captured.")
@click.option("--kind-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("tests/fixtures"), show_default=True,
              help="Fixture root; the case goes under <kind-dir>/<page kind>/<name>/.")
@click.option("--name", required=True, help="The case's folder name.")
@click.option("--content-type", default=None, help="The page's Content-Type header, kept in meta.json (as for extract).")
def fixture(file: Path, url: str, captured_at: str, kind_dir: Path, name: str, content_type: str | None) -> None:
    """Turn a saved page into a test fixture: body.html, meta.json and output.json.

    output.json is today's extraction: review it by hand before committing.

    Example:

    \b
        swampcrawl fixture page.html --url https://vocal.media/theSwamp/a-story --captured-at 2026-11-24T09:30:00Z --name sample-swamp
    """
    _check_url(url)
    when = _parse_time(captured_at)
    body = file.read_bytes()
    record = extract_page(body, url, when, content_type=content_type)
    folder = kind_dir / type(record).__name__.lower() / name  # story, creator, community, listing
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "body.html").write_bytes(body)
    meta = {"url": url, "captured_at": format_utc(when)}
    if content_type is not None:
        meta["content_type"] = content_type
    (folder / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    output = json.dumps(record.page_dump(), indent=2, ensure_ascii=False)
    (folder / "output.json").write_text(output + "\n", encoding="utf-8")
    click.echo(f"wrote {folder} (review output.json)")
