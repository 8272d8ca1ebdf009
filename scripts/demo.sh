#!/usr/bin/env bash
# The main job on a fresh machine: set up, start the offline replica of vocal.media in
# the background, crawl it with the three spiders, print what was stored, stop the replica.
# Leaves data/swamp.db, the WARC files in data/warc/ and a report, data/report.html.
# Environment: STORIES (replica size, default 3000), SEED (default 1), DATA (default data).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
STORIES="${STORIES:-3000}"
SEED="${SEED:-1}"
DATA="${DATA:-data}"
mkdir -p "$DATA"
log="$DATA/replica.log"

.venv/bin/swampcrawl replica --port 0 --stories "$STORIES" --seed "$SEED" \
  --truth "$DATA/replica-truth.json" >"$log" 2>&1 &
replica_pid=$!
trap 'kill "$replica_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  base=$(sed -n 's/^swampcrawl replica serving \(http[^ ]*\).*/\1/p' "$log" | head -n1)
  [ -n "$base" ] && break
  kill -0 "$replica_pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$base" ] || { echo "demo: the replica did not start" >&2; exit 1; }
echo "== replica of vocal.media ($STORIES stories, seed $SEED) serving at $base"

for spider in stories creators communities; do
  echo "== scrapy crawl $spider"
  .venv/bin/scrapy crawl "$spider" -L WARNING \
    -s SWAMPCRAWL_BASE_URL="$base" -s SWAMPCRAWL_DB="$DATA/swamp.db" -s SWAMPCRAWL_WARC_DIR="$DATA/warc"
done

echo "== what was stored"
.venv/bin/swampcrawl summary --db "$DATA/swamp.db" --warc-dir "$DATA/warc"

echo "== a report for researchers (open it in a browser; docs/report.md)"
.venv/bin/swampcrawl report --db "$DATA/swamp.db" --out "$DATA/report.html"
