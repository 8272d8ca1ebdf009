"""``swampcrawl wacz``, ``swampcrawl reparse`` and ``swampcrawl archive repair|index``: thin commands
over the archive package.

Exit status, the same for all: 0 done; 1 not done (one ``Error:`` line, never a traceback);
4 done, but damaged or unreadable input was skipped (each told on stderr in a ``warning:`` line).
"""

from __future__ import annotations

import functools
import logging
import sys
from pathlib import Path
from typing import Any, Callable

import click

from swampcrawl.config import command_default

EXIT_DAMAGED = 4  # as `scrapy crawl`'s "finished, with errors"


def default_warc_dir() -> str:
    """``SWAMPCRAWL_WARC_DIR`` from the environment, else the project settings (data/warc)."""
    return command_default("SWAMPCRAWL_WARC_DIR")


def default_db() -> str:
    """``$SWAMPCRAWL_DB``, else the project settings (the contract's data/swamp.db)."""
    return command_default("SWAMPCRAWL_DB")


def _one_line(error: BaseException) -> str:
    """The first non-blank line of an error (warcio's messages run over several)."""
    from archive.records import first_line

    if isinstance(error, OSError) and error.strerror:
        where = error.filename2 or error.filename  # os.replace(a, b) fails on b
        return f"{error.strerror}: {where}" if where else error.strerror
    return first_line(error)


def one_line_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Any failure of the command: one ``Error:`` line and exit status 1, never a traceback."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        quiet = logging.getLogger("archive")  # the command says what happened itself, once
        if not any(isinstance(handler, logging.NullHandler) for handler in quiet.handlers):
            quiet.addHandler(logging.NullHandler())
        try:
            return command(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as error:
            raise click.ClickException(_one_line(error)) from error

    return run


def _warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


def _finish(warnings: int) -> None:
    if warnings:
        sys.exit(EXIT_DAMAGED)


def _existing_dir(path: str) -> Path:
    directory = Path(path)
    if not directory.is_dir():
        raise click.ClickException(f"no such folder: {directory}")
    return directory


def _max_page_size(value: str | None) -> int:
    from archive.records import max_page_size

    try:
        return max_page_size(value)
    except ValueError as error:
        raise click.ClickException(str(error)) from error


def _progress(command: str, choice: bool | None):
    """How a command shows its progress on stderr: a click progress bar on a terminal (or
    with --progress), a plain line every $SWAMPCRAWL_PROGRESS_INTERVAL seconds elsewhere
    (logs, cron mail), nothing with --no-progress or an interval of 0."""
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
    def bar(label: str, length: int):
        progress = click.progressbar(length=length, label=label, file=sys.stderr)
        progress.is_hidden = False  # --progress: draw it even when stderr is not a terminal
        return progress

    return bar


PROGRESS_HELP = ("A progress bar on stderr even when it is not a terminal, or none. Default: a bar on a "
                 "terminal, else a plain line every $SWAMPCRAWL_PROGRESS_INTERVAL seconds (60).")
MAX_PAGE_SIZE_HELP = ("Bytes of a page's body, decoded, beyond which it is not read (reported instead). "
                      "Default: $SWAMPCRAWL_MAX_PAGE_SIZE, else 5000000.")


@click.command()
@click.argument("directory", required=False)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="WACZ file to write.")
@click.option("--max-page-size", metavar="BYTES", help=MAX_PAGE_SIZE_HELP)
@click.option("--progress/--no-progress", default=None, help=PROGRESS_HELP)
@one_line_errors
def wacz(directory: str | None, output: str, max_page_size: str | None, progress: bool | None) -> None:
    """Package the WARCs of DIRECTORY with their index and page list into a WACZ file.

    DIRECTORY defaults to $SWAMPCRAWL_WARC_DIR, else data/warc. The WACZ is written beside
    OUTPUT and renamed over it when complete; OUTPUT must be a regular file if it exists.
    Damaged records are left out of the index (a warning each, exit status 4).

    Example:

    \b
        swampcrawl wacz data/warc -o vocal.wacz
    """
    from archive.wacz import write_wacz

    folder = _existing_dir(directory or default_warc_dir())
    cap, bar, warnings = _max_page_size(max_page_size), _progress("wacz", progress), []
    path = write_wacz(folder, output, progress=bar, on_error=_both(warnings.append, _warn), max_body=cap)
    click.echo(f"wrote {path}")
    _finish(len(warnings))


def _both(*callbacks: Callable[[str], None]) -> Callable[[str], None]:
    def call(message: str) -> None:
        for callback in callbacks:
            callback(message)

    return call


@click.group(name="archive")
def archive_group() -> None:
    """Look after a folder of WARC files: repair crashed files, rebuild the index.

    Example:

    \b
        swampcrawl archive repair data/warc
    """


@archive_group.command()
@click.argument("path", required=False)
@click.option("--prefix", help="Repair the .open files named like this prefix's (default: $SWAMPCRAWL_WARC_PREFIX, "
                               "else swampcrawl); others are left alone.")
@one_line_errors
def repair(path: str | None, prefix: str | None) -> None:
    """Repair the .warc.gz.open files a crash left in PATH (a folder), or one damaged WARC file.

    Every intact record is kept at its offset (database pointers stay valid); damaged bytes
    go to NAME.damaged beside the file, a placeholder record of the same length in their place.
    Files being written by a running crawl, and .open files not named like this crawler's,
    are left alone. Exit status 1 when a file could not be repaired (it is left as it was).

    Example:

    \b
        swampcrawl archive repair data/warc
        swampcrawl archive repair data/warc/swampcrawl-20261124093000-00000-crawler1.warc.gz
    """
    from archive.repair import repair_directory, repair_file

    given = Path(path or default_warc_dir())
    if given.is_file():
        results = [repair_file(given)]
        _reindex(results[0])
    else:
        results = repair_directory(_existing_dir(str(given)), prefix or command_default("SWAMPCRAWL_WARC_PREFIX"))
    for result in results:
        click.echo(result.line(), err=bool(result.left_alone))
    if not results:
        click.echo("nothing to repair")
    if any(result.left_alone and not result.foreign for result in results):
        sys.exit(1)


def _reindex(result: Any) -> None:
    """A sealed file repaired in place: its index.cdxj lines are read again (placeholders have none)."""
    from archive import cdxj

    target = result.target
    if target is None or not result.regions or not (target.parent / cdxj.INDEX_NAME).exists():
        return
    cdxj.update_index(target.parent, {target.name: list(cdxj.index_warc(target, _warn))}, _warn)


@archive_group.command()
@click.argument("directory", required=False)
@one_line_errors
def index(directory: str | None) -> None:
    """Rebuild DIRECTORY/index.cdxj (sorted CDXJ, as pywb reads it) from its WARC files.

    A damaged record or file is skipped with a warning naming it (exit status 4).

    Example:

    \b
        swampcrawl archive index data/warc
    """
    from archive.cdxj import build_index, read_index

    folder, warnings = _existing_dir(directory or default_warc_dir()), []
    path = build_index(folder, _both(warnings.append, _warn))
    click.echo(f"wrote {path} ({len(read_index(folder))} lines)")
    _finish(len(warnings))


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--db", "db_path", default=default_db, show_default="$SWAMPCRAWL_DB or data/swamp.db",
              help="The SQLite database to fill (created if missing).")
@click.option("--base-url", help="Only take pages of this site (e.g. https://vocal.media); default: the platform's "
                                 "pages, wherever the archive holds them.")
@click.option("--max-page-size", metavar="BYTES", help=MAX_PAGE_SIZE_HELP)
@click.option("--progress/--no-progress", default=None, help=PROGRESS_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--jobs", type=click.IntRange(min=0), default=None, metavar="N",
              help="Processes that extract pages while this one reads the WARCs (default: the cores "
                   "less one; 0: all in this process). The result is the same whatever N.")
@one_line_errors
def reparse(paths: tuple[str, ...], db_path: str, base_url: str | None, max_page_size: str | None,
            progress: bool | None, as_json: bool, jobs: int | None) -> None:
    """Rebuild database rows from WARC, WARC.gz, ARC, WACZ files or folders of them, without network.

    Story, creator and community pages are extracted as a crawl extracts them; every
    response becomes a captures row; each row names the WARC record it came from, and
    relative dates resolve against that record's WARC-Date. Captures are applied in
    WARC-Date order, so the newest wins. A damaged record is reported (file and offset) and
    skipped, a record cut short is an errors row, never a story; exit status 4 then. Running
    it again on the same files changes nothing.

    Example:

    \b
        swampcrawl reparse data/warc --db rebuilt.db
        swampcrawl reparse vocal.wacz crawl.warc.gz --db rebuilt.db --base-url https://vocal.media --json
    """
    import json

    from archive.reparse import reparse as run_reparse

    cap, bar = _max_page_size(max_page_size), _progress("reparse", progress)
    summary = run_reparse(paths, db_path, base_url=base_url, progress=bar, max_body=cap, jobs=jobs)
    for message in summary.errors:
        _warn(message)
    click.echo(json.dumps(summary.as_dict(), indent=2) if as_json else summary.line(db_path))
    _finish(len(summary.errors))
