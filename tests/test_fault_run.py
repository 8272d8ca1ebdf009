"""scripts/fault_run.py, as an archivist runs it: a killed and resumed crawl of the fault
replica, and its one line, checked against the database it leaves."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys

from crawl_support import ROOT

LINE = re.compile(r"fault run: (\d+) stories expected, (\d+) stored, (\d+) in errors, (\d+) lost; "
                  r"(\d+) requests out of scope; 1 kills; WARCs valid; database ok; last exit status (\d+); "
                  r"peak RSS of a process (\d+) MB")


def test_a_fault_run_loses_nothing_and_says_so(tmp_path):
    result = subprocess.run([sys.executable, "scripts/fault_run.py", "--kills", "1", "--keep", str(tmp_path)],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    match = LINE.fullmatch(result.stdout.strip())
    assert match, result.stdout
    expected, stored, errors, lost, out_of_scope, status, peak = map(int, match.groups())
    assert (lost, out_of_scope, status) == (0, 0, 4) and stored + errors == expected == 60
    with sqlite3.connect(tmp_path / "swamp.db") as db:
        assert db.execute("SELECT count(*) FROM stories WHERE body_text IS NOT NULL").fetchone()[0] == stored
        in_errors = db.execute("SELECT count(DISTINCT url) FROM errors WHERE url NOT IN (SELECT url FROM stories)")
        assert in_errors.fetchone()[0] >= errors
        statuses = [row[0] for row in db.execute("SELECT status FROM crawl_runs ORDER BY id")]
    # a kill before the run's row was written leaves no row: at most one killed run
    assert statuses[-1] == "finished" and statuses[:-1] in ([], ["killed"])
    assert peak < 300
