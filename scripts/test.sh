#!/usr/bin/env bash
# Set up the environment with the test dependencies, then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
# From Debian's packages (CI runs as root): wget, whose `--warc-file` archives the archive tests
# reparse, and redis-server, the shared frontier the fleet tests start (docs/fleet.md).
missing=()
command -v wget >/dev/null || missing+=(wget)
command -v redis-server >/dev/null || missing+=(redis-server)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "scripts/test.sh: needs ${missing[*]} (sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi
# The replay tests drive Debian's chromium through Playwright and load ReplayWeb.page from npm.
scripts/install-replay-deps.sh
scripts/setup.sh test
exec .venv/bin/python -m pytest "$@"
