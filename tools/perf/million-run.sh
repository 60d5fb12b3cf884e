#!/usr/bin/env bash
# The million-workflow run: `stampede engine` (memory store, short retention so closed workflows leave memory) in
# one process and `stampede run --target` in another, so that each one's resident memory is measured on its own;
# RSS of both is sampled every 5 s into rss.csv, and the peaks are printed at the end.
#
#   tools/perf/million-run.sh                    1,000,000 hello workflows at 400/s (about 42 minutes)
#   ITERATIONS=100000 RATE=400 tools/perf/million-run.sh     the 100k check first
#
# Everything stays on loopback; the run is bounded by its iteration count and the harness's own drain timeout.
set -euo pipefail
cd "$(dirname "$0")/../.."

ITERATIONS="${ITERATIONS:-1000000}"
RATE="${RATE:-400}"
RETENTION="${RETENTION:-1m}"
PORT="${PORT:-7399}"
OUT="${OUT:-results/million-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT"

node bin/stampede.js engine --port "$PORT" --retention "$RETENTION" >"$OUT/engine.log" 2>&1 &
ENGINE=$!
trap 'kill "$ENGINE" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  grep -q 'listening\|serving' "$OUT/engine.log" 2>/dev/null && break
  sleep 0.2
done

START=$(date +%s)
node bin/stampede.js run --target "127.0.0.1:$PORT" --scenario hello --iterations "$ITERATIONS" --rate "$RATE" \
  --warmup 10s --out "$OUT" --no-report --quiet >"$OUT/run.log" 2>&1 &
HARNESS=$!

echo "seconds,engine_rss_kb,harness_rss_kb" >"$OUT/rss.csv"
# Sampled while the harness runs (bounded by it: it ends when its iterations are done and drained).
while kill -0 "$HARNESS" 2>/dev/null; do
  e=$(ps -o rss= -p "$ENGINE" 2>/dev/null | tr -d ' ' || echo 0)
  h=$(ps -o rss= -p "$HARNESS" 2>/dev/null | tr -d ' ' || echo 0)
  echo "$(($(date +%s) - START)),${e:-0},${h:-0}" >>"$OUT/rss.csv"
  sleep 5
done
set +e
wait "$HARNESS"
CODE=$?
set -e
END=$(date +%s)

awk -F, 'NR > 1 { if ($2 > e) e = $2; if ($3 > h) h = $3 } END { printf "peak RSS: engine %.0f MB, harness %.0f MB\n", e / 1024, h / 1024 }' "$OUT/rss.csv" | tee "$OUT/peaks.txt"
echo "wall time: $((END - START)) s; harness exit code $CODE" | tee -a "$OUT/peaks.txt"
tail -n 25 "$OUT/run.log"
exit "$CODE"
