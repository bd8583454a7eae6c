#!/usr/bin/env bash
# Load benchmark of `switchboard serve`: starts the release server on a loopback port with the shipped
# model and policy, runs wrk (POST /v1/route, one message a request, cycling through
# examples/inbox.txt) at concurrency 1, 16 and 64 for DURATION seconds each, then once at 16 for
# SOAK seconds while sampling the server's resident memory every 5 s; prints requests/s, p50/p99 and
# errors, and stops the server with SIGTERM.
#
#   Benchmarks/serve.sh                       # 15 s runs and a 60 s soak
#   DURATION=5 SOAK=20 Benchmarks/serve.sh    # shorter
#   LOG_LEVEL=warning Benchmarks/serve.sh     # without the per-request log line
#   EXPLAIN=false Benchmarks/serve.sh         # requests with "explain": false (no explanation computed)
#   EXECUTOR=pool Benchmarks/serve.sh         # serve with --no-event-loop-executor (Swift's default pool)
#
# Needs wrk (apt-get install -y wrk) and a release build (built here if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-18181}
DURATION=${DURATION:-15}
SOAK=${SOAK:-60}
LOG_LEVEL=${LOG_LEVEL:-info}
EXPLAIN=${EXPLAIN:-true}
EXECUTOR=${EXECUTOR:-event-loops}
EXECUTOR_FLAG=()
[ "$EXECUTOR" = pool ] && EXECUTOR_FLAG=(--no-event-loop-executor)
BIN=.build/release/switchboard
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
[ -x "$BIN" ] || swift build -c release --product switchboard

WORK=$(mktemp -d "${TMPDIR:-/tmp}/switchboard-serve-bench.XXXXXX")
# One JSON body a line, from the example inbox.
python3 - "$WORK/bodies.jsonl" "$EXPLAIN" <<'PY'
import json, sys
explain = sys.argv[2] != "false"
with open("examples/inbox.txt", encoding="utf-8") as src, open(sys.argv[1], "w", encoding="utf-8") as out:
    for i, line in enumerate(l.strip() for l in src):
        if line:
            body = {"text": line, "id": f"bench-{i}"}
            if not explain:
                body["explain"] = False
            out.write(json.dumps(body, ensure_ascii=False) + "\n")
PY
export SWITCHBOARD_BENCH_BODIES="$WORK/bodies.jsonl"

BUSY="$(ps -eo pcpu,comm --sort=-pcpu | awk 'NR>1 && NR<=4 { printf "%s%% %s; ", $1, $2 }')"
"$BIN" serve --model models/default.sbm --policy models/policy.yaml --port "$PORT" \
  --feedback-db "$WORK/feedback.sqlite" --log-level "$LOG_LEVEL" "${EXECUTOR_FLAG[@]}" 2>"$WORK/server.log" &
SERVER=$!
stop_server() {
  if kill -0 "$SERVER" 2>/dev/null; then
    kill -TERM "$SERVER"
    wait "$SERVER" || true
  fi
}
trap stop_server EXIT

for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null || { echo "the server did not start; log:" >&2; cat "$WORK/server.log" >&2; exit 1; }

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER/status"; }

echo "machine: $(nproc) cores, $(awk '/^model name/ { $1=$2=$3=""; print; exit }' /proc/cpuinfo | sed 's/^ *//'), $(free -g | awk '/^Mem:/ { print $2 " GiB" }')"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "busiest processes before the server started (%CPU over their lifetime): $BUSY"
echo "requests: POST /v1/route, one message of examples/inbox.txt each, explain=$EXPLAIN"
echo "server: $BIN serve --model models/default.sbm --policy models/policy.yaml --port $PORT --log-level $LOG_LEVEL ${EXECUTOR_FLAG[*]} (pid $SERVER; executor: $EXECUTOR)"
echo "RSS after start: $(rss_kib) KiB"

run() {  # connections threads seconds
  local result
  result=$(wrk -t "$2" -c "$1" -d "${3}s" --latency -s Benchmarks/serve-route.lua "http://127.0.0.1:$PORT" | grep '^RESULT')
  echo "c=$1 t=$2 ${3}s: ${result#RESULT }"
}

# A short warm-up, not reported.
wrk -t 2 -c 16 -d 3s -s Benchmarks/serve-route.lua "http://127.0.0.1:$PORT" >/dev/null

run 1 1 "$DURATION"
run 16 2 "$DURATION"
run 64 2 "$DURATION"
echo "RSS after the three runs: $(rss_kib) KiB"

# The soak: concurrency 16 for $SOAK seconds, memory every 5 s.
( for t in $(seq 5 5 "$SOAK"); do sleep 5; echo "  RSS at +${t}s: $(rss_kib) KiB"; done ) &
SAMPLER=$!
run 16 2 "$SOAK"
wait "$SAMPLER" 2>/dev/null || true
echo "RSS after the soak: $(rss_kib) KiB"

ERRORS=$(curl -fs "http://127.0.0.1:$PORT/metrics" | awk '/^switchboard_http_requests_total/ && !/status="200"/ { n += $2 } END { print n + 0 }')
echo "non-200 responses counted by the server: $ERRORS"
echo "server log lines: $(wc -l < "$WORK/server.log")"
stop_server
trap - EXIT
tail -n 2 "$WORK/server.log"
rm -rf "$WORK"
