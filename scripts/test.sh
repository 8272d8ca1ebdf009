#!/usr/bin/env bash
# Set up the environment with the test dependencies, then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
# The archive tests check that a `wget --warc-file` archive reparses: wget comes from
# Debian's packages (CI runs as root).
if ! command -v wget >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq >/dev/null && apt-get install -y -qq wget >/dev/null
  else
    echo "scripts/test.sh: wget is needed (sudo apt-get install wget)" >&2
    exit 1
  fi
fi
# The replay tests drive Debian's chromium through Playwright and load ReplayWeb.page from npm.
scripts/install-replay-deps.sh
scripts/setup.sh test
exec .venv/bin/python -m pytest "$@"
