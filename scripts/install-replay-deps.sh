#!/usr/bin/env bash
# Install what the replay tests (tests/test_replay_webpage.py) and scripts/replay-screenshot.py
# need beyond .venv:
#   - Debian's chromium (/usr/bin/chromium) and a font: the browser Playwright drives.
#     `playwright install` downloads browsers of its own and is never run.
#   - Node.js and npm, when missing (they fetch the next item).
#   - ReplayWeb.page, npm package replaywebpage $RWP_VERSION: its self-contained ui.js and sw.js,
#     unpacked into .cache/replaywebpage/$RWP_VERSION/ (git-ignored).
# Idempotent and quiet: does nothing when everything is there. apt-get needs root (CI runs as root).
set -euo pipefail
cd "$(dirname "$0")/.."
RWP_VERSION=2.5.3
rwp_dir=".cache/replaywebpage/$RWP_VERSION"

packages=()
[ -x /usr/bin/chromium ] || packages+=(chromium fonts-liberation)
command -v npm >/dev/null || packages+=(nodejs npm)
if [ "${#packages[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "scripts/install-replay-deps.sh: needs ${packages[*]} (sudo apt-get install ${packages[*]})" >&2
    exit 1
  fi
  log=$(mktemp)
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
         --no-install-recommends "${packages[@]}"; } >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    echo "scripts/install-replay-deps.sh: apt-get install ${packages[*]} failed" >&2
    exit 1
  fi
  rm -f "$log"
fi

if [ ! -f "$rwp_dir/ui.js" ] || [ ! -f "$rwp_dir/sw.js" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  # npm pack fetches the published tarball only: ui.js and sw.js are bundles that need none of
  # the package's dependencies (electron and the like), so nothing else is installed.
  if ! npm pack "replaywebpage@$RWP_VERSION" --pack-destination "$tmp" --silent >"$tmp/log" 2>&1; then
    cat "$tmp/log" >&2
    echo "scripts/install-replay-deps.sh: npm pack replaywebpage@$RWP_VERSION failed" >&2
    exit 1
  fi
  mkdir -p "$tmp/unpacked"
  tar -xzf "$tmp/replaywebpage-$RWP_VERSION.tgz" -C "$tmp/unpacked"
  rm -rf "$rwp_dir"
  mkdir -p "$(dirname "$rwp_dir")"
  mv "$tmp/unpacked/package" "$rwp_dir"
fi
