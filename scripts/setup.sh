#!/usr/bin/env bash
# Create the project's virtual environment (.venv) and install swampcrawl into it.
# Usage: scripts/setup.sh [extra]   e.g. scripts/setup.sh test
# Re-running is cheap: it reinstalls only when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."
extra="${1:-}"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stamp=".venv/.installed-${extra:-main}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setting up .venv (swampcrawl${extra:+[$extra]}) ..."
  log=".venv/pip-install.log"
  target="."
  [ -n "$extra" ] && target=".[$extra]"
  if ! { .venv/bin/python -m pip install --disable-pip-version-check --upgrade pip \
         && .venv/bin/python -m pip install --disable-pip-version-check -e "$target"; } >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "setup failed: see $log" >&2
    exit 1
  fi
  touch "$stamp"
fi
# pywb, the replay tests' client, pins redis 2.10 (scrapy-redis needs redis 4.2 or later): it is
# installed as its users install it, `pip install pywb`, in a virtual environment of its own.
if [ "$extra" = test ]; then
  if [ ! -x .venv-pywb/bin/python ]; then
    python3 -m venv .venv-pywb
  fi
  if [ ! -x .venv-pywb/bin/wayback ]; then
    echo "setting up .venv-pywb (pywb, for the replay tests) ..."
    if ! .venv-pywb/bin/python -m pip install --disable-pip-version-check "pywb==2.10.0" >.venv-pywb/pip-install.log 2>&1; then
      tail -n 40 .venv-pywb/pip-install.log >&2
      echo "setup failed: see .venv-pywb/pip-install.log" >&2
      exit 1
    fi
  fi
fi
