"""``swampcrawl wacz`` and ``swampcrawl archive repair|index``: thin commands over the archive package."""

from __future__ import annotations

from pathlib import Path

import click

from swampcrawl.config import command_default


def default_warc_dir() -> str:
    """``SWAMPCRAWL_WARC_DIR`` from the environment, else the project settings (data/warc)."""
    return command_default("SWAMPCRAWL_WARC_DIR")


def default_db() -> str:
    """``$SWAMPCRAWL_DB``, else the project settings (the contract's data/swamp.db)."""
    return command_default("SWAMPCRAWL_DB")


def _one_line(error: Exception) -> str:
    """The first non-blank line of an error (warcio's messages run over several)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def _existing_dir(path: str) -> Path:
    directory = Path(path)
    if not directory.is_dir():
        raise click.ClickException(f"no such folder: {directory}")
    return directory


def _progress(command: str, choice: bool | None):
    """How a command shows its progress on stderr: a click progress bar on a terminal (or
    with --progress), a plain line every $SWAMPCRAWL_PROGRESS_INTERVAL seconds elsewhere
    (logs, cron mail), nothing with --no-progress or an interval of 0."""
    import sys

    from swampcrawl.config import SettingsError
    from swampcrawl.progress import INTERVAL_SETTING, parse_interval, plain_bars

    if choice is False:
        return None
    if choice or sys.stderr.isatty():
        return _click_bars()
    try:
        interval = parse_interval(command_default(INTERVAL_SETTING))
    except SettingsError as error:
        raise click.ClickException(str(error)) from error
    return plain_bars(command, interval) if interval else None


def _click_bars():
    import sys

    def bar(label: str, length: int):
        progress = click.progressbar(length=length, label=label, file=sys.stderr)
        progress.is_hidden = False  # --progress: draw it even when stderr is not a terminal
        return progress

    return bar


PROGRESS_HELP = ("A progress bar on stderr even when it is not a terminal, or none. Default: a bar on a "
                 "terminal, else a plain line every $SWAMPCRAWL_PROGRESS_INTERVAL seconds (60).")


@click.command()
@click.argument("directory", required=False)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="WACZ file to write.")
@click.option("--progress/--no-progress", default=None, help=PROGRESS_HELP)
def wacz(directory: str | None, output: str, progress: bool | None) -> None:
    """Package the WARCs of DIRECTORY with their index and page list into a WACZ file.

    DIRECTORY defaults to $SWAMPCRAWL_WARC_DIR, else data/warc.

    Example:

    \b
        swampcrawl wacz data/warc -o vocal.wacz
    """
    from archive.wacz import write_wacz

    folder = _existing_dir(directory or default_warc_dir())
    bar = _progress("wacz", progress)
    try:
        path = write_wacz(folder, output, progress=bar)
    except Exception as error:  # missing files, a corrupt WARC: one line, not a traceback
        raise click.ClickException(_one_line(error)) from error
    click.echo(f"wrote {path}")


@click.group(name="archive")
def archive_group() -> None:
    """Look after a folder of WARC files: repair crashed files, rebuild the index.

    Example:

    \b
        swampcrawl archive repair data/warc
    """


@archive_group.command()
@click.argument("directory", required=False)
def repair(directory: str | None) -> None:
    """Seal the .warc.gz.open files a crash left in DIRECTORY, keeping every complete record.

    Files still being written by a running crawl are left alone.

    Example:

    \b
        swampcrawl archive repair data/warc
    """
    from archive.repair import repair_directory

    try:
        results = repair_directory(_existing_dir(directory or default_warc_dir()))
    except OSError as error:
        raise click.ClickException(str(error)) from error
    for result in results:
        target = result.target.name if result.target else "(nothing complete: removed)"
        click.echo(f"{result.source.name} -> {target}: {result.records_kept} records kept, "
                   f"{result.bytes_dropped} bytes dropped")
    if not results:
        click.echo("nothing to repair")


@archive_group.command()
@click.argument("directory", required=False)
def index(directory: str | None) -> None:
    """Rebuild DIRECTORY/index.cdxj (sorted CDXJ, as pywb reads it) from its WARC files.

    Example:

    \b
        swampcrawl archive index data/warc
    """
    from archive.cdxj import build_index, read_index

    folder = _existing_dir(directory or default_warc_dir())
    try:
        path = build_index(folder)
    except Exception as error:  # a corrupt WARC: say which, in one line
        raise click.ClickException(f"could not index {folder}: {_one_line(error)}") from error
    click.echo(f"wrote {path} ({len(read_index(folder))} lines)")


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--db", "db_path", default=default_db, show_default="$SWAMPCRAWL_DB or data/swamp.db",
              help="The SQLite database to fill (created if missing).")
@click.option("--base-url", help="Only take pages of this site (e.g. https://vocal.media); default: every site the archive holds.")
@click.option("--progress/--no-progress", default=None, help=PROGRESS_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def reparse(paths: tuple[str, ...], db_path: str, base_url: str | None, progress: bool | None, as_json: bool) -> None:
    """Rebuild database rows from WARC, WARC.gz, WACZ files or folders of them, without network.

    Story, creator and community pages are extracted as a crawl extracts them; every
    response becomes a captures row; each row names the WARC record it came from, and
    relative dates resolve against that record's WARC-Date. Captures are applied in
    WARC-Date order, so the newest wins. A damaged record is reported and skipped.

    Example:

    \b
        swampcrawl reparse data/warc --db rebuilt.db
        swampcrawl reparse vocal.wacz crawl.warc.gz --db rebuilt.db --base-url https://vocal.media --json
    """
    import json

    from archive.reparse import ReparseError, reparse as run_reparse
    from swampcrawl.lock import LockedError
    from swampcrawl.store import StoreError

    bar = _progress("reparse", progress)
    try:
        summary = run_reparse(paths, db_path, base_url=base_url, progress=bar)
    except (ReparseError, StoreError, LockedError, OSError, ValueError) as error:
        raise click.ClickException(_one_line(error)) from error
    for message in summary.errors:
        click.echo(f"warning: {message}", err=True)
    click.echo(json.dumps(summary.as_dict(), indent=2) if as_json else summary.line(db_path))
