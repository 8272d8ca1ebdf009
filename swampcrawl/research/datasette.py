"""``swampcrawl datasette``: the database in Datasette, described, searchable and faceted.

It writes Datasette's metadata (swampcrawl.research.datasette_metadata) to a temporary file
and runs ``datasette serve DB -m metadata.json`` in this process, with swampcrawl's year and tag
facets (swampcrawl.research.datasette_facets) loaded as a plugin. ``--metadata-out FILE``
only writes the file, for those who run Datasette themselves.
"""

from __future__ import annotations

import contextlib
import json
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from swampcrawl.research.database import ResearchError, db_option, open_readonly
from swampcrawl.research.datasette_metadata import metadata

NEEDS_DATASETTE = "swampcrawl datasette needs Datasette: pip install '.[datasette]'"

# Ranked search and the tag facet on a large archive take longer than Datasette's defaults
# (1 s per query, 0.2 s per facet). Later --setting arguments after `--` override these.
SETTINGS: dict[str, str] = {"sql_time_limit_ms": "5000", "facet_time_limit_ms": "1000"}


@click.command()
@db_option
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True,
              help="Port to serve on (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; 0.0.0.0 lets other machines in.")
@click.option("--metadata-out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write Datasette's metadata JSON to this file and exit, to run datasette yourself.")
@click.argument("datasette_args", nargs=-1, type=click.UNPROCESSED)
def datasette(db_path: Path, port: int, host: str, metadata_out: Path | None,
              datasette_args: tuple[str, ...]) -> None:
    """Browse the database in Datasette: every table and column described,
    stories searchable (ranked) and faceted by community, author, year and tag,
    canned queries for common questions. Needs Datasette (pip install '.[datasette]').

    Arguments after `--` go to `datasette serve` as they are. To run Datasette
    yourself, write the metadata file and exit with the option --metadata-out,
    then: datasette data/swamp.db -m metadata.json (which lacks swampcrawl's
    year and tag facets). See docs/datasette.md.

    Example:

    \b
        swampcrawl datasette --db data/swamp.db --port 8001
        swampcrawl datasette --metadata-out metadata.json
        swampcrawl datasette -- --setting default_page_size 50 --open
    """
    try:
        with open_readonly(db_path, need=("stories", "stories_fts")):
            pass
    except ResearchError as error:
        raise click.ClickException(str(error)) from None
    document = metadata(db_path.stem)
    if metadata_out is not None:
        write_metadata(document, metadata_out)
        click.echo(f"wrote {metadata_out}: datasette {db_path} -m {metadata_out}")
        return
    serve(db_path, document, ["--host", host, "--port", str(port), *datasette_args])


def write_metadata(document: dict[str, Any], path: Path) -> None:
    try:
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as error:
        raise click.ClickException(f"cannot write {path}: {error.strerror}") from None


def serve(db_path: Path, document: dict[str, Any], args: list[str]) -> None:
    """Run Datasette's own ``serve`` command here until it stops (Ctrl-C, SIGTERM)."""
    try:
        from datasette.cli import cli
        from datasette.plugins import pm

        from swampcrawl.research import datasette_facets
    except ImportError:
        raise click.ClickException(NEEDS_DATASETTE) from None
    if not pm.is_registered(datasette_facets):
        pm.register(datasette_facets)
    settings = [word for name, value in SETTINGS.items() for word in ("--setting", name, value)]
    with tempfile.TemporaryDirectory(prefix="swampcrawl-datasette-") as folder, stopped_by_signals():
        path = Path(folder) / "metadata.json"
        write_metadata(document, path)
        code = cli.main(["serve", str(db_path), "--metadata", str(path), *settings, *args],
                        prog_name="datasette", standalone_mode=False)
        if code:
            raise SystemExit(code)


class Stopped(Exception):
    """Ctrl-C or SIGTERM."""


@contextlib.contextmanager
def stopped_by_signals() -> Iterator[None]:
    """Ctrl-C and SIGTERM end the block quietly (exit status 0).

    Uvicorn handles both while it serves: it shuts down gracefully, puts back the handlers it
    found (these) and raises the signal again, which lands here, so that the temporary metadata
    is removed rather than the process killed by the signal.
    """
    def stop(signum: int, frame: object) -> None:
        raise Stopped

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    except Stopped:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
