"""Every ``swampcrawl`` command's help ends with an Example block that click prints as written."""

from __future__ import annotations

import inspect

import click
import pytest
from click.testing import CliRunner

from swampcrawl.cli import main


def every_command(group: click.Group = main, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    ctx = click.Context(group)
    found = [(path, group)]
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            found += every_command(command, (*path, name))
        else:
            found.append(((*path, name), command))
    return found


COMMANDS = every_command()


def example_lines(command: click.Command) -> list[str]:
    """The docstring's lines after its ``\\b`` marker under ``Example:``, as written."""
    doc = inspect.cleandoc(command.help or "")
    assert "Example:" in doc, "no Example: block"
    after = doc.split("Example:", 1)[1].strip("\n").splitlines()
    assert after and after[0].strip() == "\b", "the example is not marked \\b: click would rewrap it"
    lines = [line for line in after[1:] if line.strip()]
    assert lines, "the Example: block is empty"
    return lines


@pytest.mark.parametrize("path,command", COMMANDS, ids=[" ".join(p) or "swampcrawl" for p, _ in COMMANDS])
def test_help_ends_with_an_example_printed_as_written(path, command):
    lines = example_lines(command)
    result = CliRunner().invoke(main, [*path, "--help"], terminal_width=80)
    assert result.exit_code == 0, result.output
    help_text = result.output.split("\nOptions:", 1)[0].rstrip().splitlines()
    shown = help_text[-len(lines):]
    assert [line.strip() for line in shown] == [line.strip() for line in lines]
    assert all(line.strip().startswith(("swampcrawl", "scrapy", "#")) for line in lines)


def test_every_command_is_listed():
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"replica", "extract", "fixture", "reparse", "wacz", "summary", "archive repair", "archive index"} <= names
