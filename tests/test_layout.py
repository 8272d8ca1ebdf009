"""The project's top-level packages must be ours, not same-named ones from PyPI."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", ["swampcrawl", "spiders", "pipelines", "archive"])
def test_top_level_package_is_the_projects(name):
    module = __import__(name)
    assert Path(module.__file__).resolve().parent == ROOT / name


# -- the style guide's import rules, read from every module's import statements (ast) ----------

import ast  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

ADAPTERS = ("spiders", "pipelines", "archive")


def imported_packages(path: Path) -> set[str]:
    """Top-level names of every module ``path`` imports, at any depth (function bodies too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def offenders(folder: Path, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in sorted(folder.rglob("*.py")):
        for name in sorted(imported_packages(path)):
            if name.split(".")[0] in forbidden:
                found.append(f"{path.relative_to(ROOT)} imports {name}")
    return found


def test_core_imports_no_adapter():
    """Rule 1: swampcrawl/ never imports spiders, pipelines or archive (the CLI names
    their commands as strings, loaded lazily)."""
    assert offenders(ROOT / "swampcrawl", ADAPTERS) == []


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_adapters_stand_side_by_side(adapter):
    """Rule 2: spiders, pipelines and archive import the core, never one another."""
    others = tuple(name for name in ADAPTERS if name != adapter)
    assert offenders(ROOT / adapter, others) == []


@pytest.mark.parametrize("part", ["pages", "records", "urls.py", "store"])
def test_extraction_records_and_store_import_no_scrapy(part):
    """Rule 3: extraction, records (and the store) import neither Scrapy nor Twisted."""
    path = ROOT / "swampcrawl" / part
    files = [path] if path.is_file() else sorted(path.rglob("*.py"))
    found = [f"{f.relative_to(ROOT)} imports {n}" for f in files for n in sorted(imported_packages(f))
             if n.split(".")[0] in ("scrapy", "twisted")]
    assert found == []


def test_replica_shares_no_code_with_extraction():
    """A bug held in common by the replica and extraction would pass every test."""
    found = [f"{f.relative_to(ROOT)} imports {n}" for f in sorted((ROOT / "swampcrawl" / "replica").rglob("*.py"))
             for n in sorted(imported_packages(f))
             if n.startswith(("swampcrawl.pages", "swampcrawl.urls", "swampcrawl.records", "swampcrawl.store"))]
    assert found == []


@pytest.mark.parametrize("module", ["archive.reparse", "archive.reader", "archive.wacz", "swampcrawl.store.ingest"])
def test_archive_reading_loads_no_scrapy(module):
    """Reparsing an archive needs no crawler: importing it loads neither Scrapy nor Twisted."""
    code = f"import sys, {module}; print(sorted({{m.split('.')[0] for m in sys.modules}} & {{'scrapy', 'twisted'}}))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_import_checker_sees_imports_in_function_bodies(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from pipelines.store import StorePipeline\n    import archive.reader\n")
    assert imported_packages(sample) == {"pipelines.store", "archive.reader"}
