-- wrk script for Benchmarks/serve.sh: POSTs single-message routing requests to /v1/route, cycling
-- through the JSON bodies of the file named by $SWITCHBOARD_BENCH_BODIES (one body a line), and prints
-- one machine-readable line at the end: requests/s, latency percentiles and errors.

local bodies = {}
local path = os.getenv("SWITCHBOARD_BENCH_BODIES")
for line in io.lines(path) do
  if #line > 0 then bodies[#bodies + 1] = line end
end
local token = os.getenv("SWITCHBOARD_BENCH_TOKEN")
local next_body = 0

function request()
  next_body = (next_body % #bodies) + 1
  local headers = { ["Content-Type"] = "application/json" }
  if token and #token > 0 then headers["Authorization"] = "Bearer " .. token end
  return wrk.format("POST", "/v1/route", headers, bodies[next_body])
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d seconds=%.2f rps=%.0f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f " ..
    "errors_connect=%d errors_read=%d errors_write=%d errors_status=%d errors_timeout=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.connect, e.read, e.write, e.status, e.timeout))
end
