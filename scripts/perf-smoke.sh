#!/usr/bin/env bash
# CI performance smoke (about a minute): a short hello run on the embedded engine, gated with `stampede gate`
# against the baseline the repository keeps (perf/baseline/result.json, recorded the same way on the CI machine
# type) and a few absolute thresholds.
#
# The rate is a fraction of what this 2-core machine sustains, so a neighbour's load does not by itself push the
# run over: the gate fails when the run cannot keep its rate, loses or strands a workflow, errs, or when latencies
# are worse than the baseline's by more than --min-effect (60 %) with significance (Welch's t-test over the 30
# one-second intervals). A 2x slowdown of the engine or the harness doubles service times at this load and fails.
#
#   scripts/perf-smoke.sh                  run and gate (exit 0 pass, 99 regression, 1 broken run, 2 usage)
#   scripts/perf-smoke.sh --record         run and make the result the new baseline (on the CI machine type)
#
# Needs the build (dist/): `npm run build` first.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT="${PERF_SMOKE_OUT:-results/perf-smoke}"
BASELINE=perf/baseline/result.json
rm -rf "$OUT"
mkdir -p "$(dirname "$OUT")"

# Fixed seed and task queue so that two runs differ only by the code under test.
node bin/stampede.js run --scenario hello --rate 150 --duration 30s --warmup 10s --seed 1 \
  --verify-sample 100 --out "$OUT" --label perf-smoke --no-report --quiet

if [[ "${1:-}" == "--record" ]]; then
  mkdir -p "$(dirname "$BASELINE")"
  cp "$OUT/result.json" "$BASELINE"
  echo "baseline recorded: $BASELINE"
  exit 0
fi

node bin/stampede.js gate --current "$OUT" --baseline "$BASELINE" \
  --min-effect 60% --alpha 0.01 \
  --threshold 'errors<0.1%' \
  --threshold 'throughput>=0.95*target' \
  --threshold 'dropped==0' \
  --threshold 'lost==0' \
  --threshold 'stuck==0' \
  --threshold 'p99(start)<1s' \
  --threshold 'p99(workflow)<2s' \
  --junit "$OUT/gate.xml" --json "$OUT/gate.json"
