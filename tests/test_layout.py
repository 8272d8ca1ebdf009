"""The project's top-level packages must be ours, not same-named ones from PyPI."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", ["swampcrawl", "spiders", "pipelines", "archive"])
def test_top_level_package_is_the_projects(name):
    module = __import__(name)
    assert Path(module.__file__).resolve().parent == ROOT / name


def test_core_does_not_import_scrapy_side_packages():
    """The core (swampcrawl/) names spiders, pipelines and archive only lazily."""
    offenders = []
    for path in (ROOT / "swampcrawl").rglob("*.py"):
        for line in path.read_text().splitlines():
            stripped = line.strip()
            if stripped.startswith(("import ", "from ")) and any(
                stripped.split()[1].split(".")[0] == pkg for pkg in ("spiders", "pipelines", "archive")
            ):
                offenders.append(f"{path.relative_to(ROOT)}: {stripped}")
    assert offenders == []
