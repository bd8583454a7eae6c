#!/usr/bin/env bash
# Alternating A/B comparison of two `switchboard` binaries under `switchboard serve` load: on a shared
# machine whose speed moves from one minute to the next, only figures taken side by side compare.
#
#   Benchmarks/serve-ab.sh OLD_BINARY NEW_BINARY [PAIRS]     # default 3 pairs
#   OLD_MODEL=old.sbm Benchmarks/serve-ab.sh OLD NEW         # the old side serves another model file
#
# For each pair, for OLD then NEW: start `BINARY serve` with the shipped model (or OLD_MODEL / NEW_MODEL,
# to compare a change of model as well as of code) and policy on a loopback
# port, 2 s of warm-up load, then 10 s of wrk at concurrency 16 (POST /v1/route, explained, the bodies of
# Benchmarks/serve.sh), and stop the server with SIGTERM. Prints one line per run and the ratio of each
# pair (NEW / OLD requests/s) with their median. Needs wrk.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: $0 OLD_BINARY NEW_BINARY [PAIRS]" >&2; exit 2; }
OLD=$1; NEW=$2; PAIRS=${3:-3}
OLD_MODEL=${OLD_MODEL:-models/default.sbm}; NEW_MODEL=${NEW_MODEL:-models/default.sbm}
PORT=${PORT:-18183}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/switchboard-serve-ab.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
python3 - "$WORK/bodies.jsonl" <<'PY'
import json, sys
with open("examples/inbox.txt", encoding="utf-8") as src, open(sys.argv[1], "w", encoding="utf-8") as out:
    for i, line in enumerate(l.strip() for l in src):
        if line:
            out.write(json.dumps({"text": line, "id": f"bench-{i}"}, ensure_ascii=False) + "\n")
PY
export SWITCHBOARD_BENCH_BODIES="$WORK/bodies.jsonl"

one_run() {  # binary model -> prints requests/s
  local binary=$1 model=$2 server rps
  rm -f "$WORK/feedback.sqlite"
  "$binary" serve --model "$model" --policy models/policy.yaml --port "$PORT" \
    --feedback-db "$WORK/feedback.sqlite" 2>"$WORK/server.log" &
  server=$!
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  wrk -t 2 -c 16 -d 2s -s Benchmarks/serve-route.lua "http://127.0.0.1:$PORT" >/dev/null
  rps=$(wrk -t 2 -c 16 -d 10s --latency -s Benchmarks/serve-route.lua "http://127.0.0.1:$PORT" \
        | awk '/^RESULT/ { for (i = 2; i <= NF; i++) if ($i ~ /^rps=/) { sub("rps=", "", $i); print $i } }')
  kill -TERM "$server"
  wait "$server" || true
  echo "$rps"
}

echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "old: $OLD ($OLD_MODEL)"
echo "new: $NEW ($NEW_MODEL)"
ratios=()
for pair in $(seq 1 "$PAIRS"); do
  old_rps=$(one_run "$OLD" "$OLD_MODEL")
  new_rps=$(one_run "$NEW" "$NEW_MODEL")
  ratio=$(python3 -c "print(f'{$new_rps / $old_rps:.2f}')")
  ratios+=("$ratio")
  echo "pair $pair: old $old_rps, new $new_rps requests/s at c=16: new/old $ratio"
done
python3 -c "import statistics, sys; print(f'median new/old: {statistics.median(float(r) for r in sys.argv[1:]):.2f}')" "${ratios[@]}"
