"""Write docs/schema.md's table sections from swampcrawl/store/descriptions.py.

    .venv/bin/python scripts/schema-docs.py           # rewrite the generated part of the page
    .venv/bin/python scripts/schema-docs.py --check   # exit 1, with a diff, if it is stale

Only the text between the page's two "Generated" comment lines is written; the rest of the
page (conventions, example queries) is edited by hand. tests/test_schema_examples.py fails
when the page and descriptions.py disagree, or when a column of the real schema has no
description.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from swampcrawl.store.descriptions import replace_generated  # noqa: E402

PAGE = ROOT / "docs" / "schema.md"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether the page is up to date")
    args = parser.parse_args()
    page = PAGE.read_text(encoding="utf-8")
    fresh = replace_generated(page)
    if fresh == page:
        return 0
    if args.check:
        diff = difflib.unified_diff(page.splitlines(True), fresh.splitlines(True), "docs/schema.md", "generated")
        sys.stdout.writelines(diff)
        print("docs/schema.md is stale: run python scripts/schema-docs.py", file=sys.stderr)
        return 1
    PAGE.write_text(fresh, encoding="utf-8")
    print("docs/schema.md: tables rewritten from swampcrawl/store/descriptions.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
