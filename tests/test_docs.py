"""Docs as contract: every command and setting is documented, every command has an example."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from swampcrawl import settings as project_settings
from swampcrawl.cli import COMMANDS, main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
SETTINGS_DOC = (ROOT / "docs" / "settings.md").read_text()


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_is_in_the_readme(name):
    assert f"`swampcrawl {name}" in README


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_help_ends_with_an_example(name):
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output


@pytest.mark.parametrize("name", sorted(n for n in dir(project_settings) if n.isupper()))
def test_every_setting_is_documented(name):
    assert f"`{name}`" in SETTINGS_DOC


def test_readme_starts_with_the_two_commands():
    block = re.search(r"```\n(.*?)```", README, re.S).group(1).strip().splitlines()
    assert block == ["bash scripts/demo.sh", "bash scripts/test.sh"]
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.parametrize("spider", ["stories", "creators", "communities"])
def test_every_spider_is_in_the_readme(spider):
    assert f"scrapy crawl {spider}" in README


def command_options(command, path=()):
    """(command path, option flag) for every long option of a command and its sub-commands."""
    import click

    for param in command.params:
        if isinstance(param, click.Option):
            for flag in param.opts + param.secondary_opts:
                if flag.startswith("--") and flag != "--help":
                    yield " ".join(path), flag
    for name, sub in getattr(command, "commands", {}).items():
        yield from command_options(sub, (*path, name))


DOCS = README + "".join(path.read_text() for path in sorted((ROOT / "docs").glob("*.md")))


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_option_of_every_command_is_documented(name):
    """Each long option appears in the README or docs/, written as it is typed (`--limit`)."""
    command = main.get_command(None, name)
    missing = [f"swampcrawl {name} {path} {flag}".replace("  ", " ") for path, flag in command_options(command)
               if not re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", DOCS)]
    assert missing == []
