"""The ``swampcrawl`` command: a click group of thin commands.

Commands live beside the code they drive and are loaded only when used, so
``swampcrawl replica`` does not import Scrapy and ``swampcrawl --help`` is
fast. Commands that need the archive package are named here by string only:
the core never imports ``archive`` at module level.
"""

from __future__ import annotations

import importlib

import click

from swampcrawl import __version__

# command name -> "module:attribute"
COMMANDS: dict[str, str] = {
    "replica": "swampcrawl.replica.cli:replica",
    "extract": "swampcrawl.pages.cli:extract",
    "fixture": "swampcrawl.pages.cli:fixture",
    "reparse": "archive.cli:reparse",
    "wacz": "archive.cli:wacz",
    "archive": "archive.cli:archive_group",
    "summary": "swampcrawl.summary:summary",
    "runs": "swampcrawl.runs:runs",
    "ingest": "swampcrawl.fleet.cli:ingest",
    # for researchers (swampcrawl/research/)
    "search": "swampcrawl.research.search:search",
    "query": "swampcrawl.research.query:query",
    "export": "swampcrawl.research.export:export",
    "history": "swampcrawl.research.history:history",
    "stats": "swampcrawl.research.stats:stats",
    "report": "swampcrawl.research.report:report",
    "datasette": "swampcrawl.research.datasette:datasette",
}


class LazyGroup(click.Group):
    """A group whose sub-commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(COMMANDS))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS:
            module_name, attr = COMMANDS[name].split(":")
            return getattr(importlib.import_module(module_name), attr)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup)
@click.version_option(__version__, prog_name="swampcrawl")
def main() -> None:
    """Archive Vocal (vocal.media): WARC files and a SQLite database.

    Crawls run with Scrapy (`scrapy crawl stories`); these commands serve
    the offline replica, extract saved pages, and work on archives.
    `swampcrawl COMMAND --help` shows each command's options and an example.

    Example:

    \b
        swampcrawl replica --port 8765 --stories 50 &
        scrapy crawl stories -s SWAMPCRAWL_BASE_URL=http://127.0.0.1:8765
        swampcrawl summary --db data/swamp.db
        swampcrawl runs --db data/swamp.db
        swampcrawl wacz data/warc -o vocal.wacz
    """
