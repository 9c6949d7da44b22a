-- wrk script for benches/serve/run.sh: every request is the same POST, its body read from the file named by
-- $WRK_BODY, its Content-Type from $WRK_CONTENT_TYPE [application/json]. At the end one machine-readable line:
--
--   RESULT requests=N duration_us=N rps=F p50_ms=F p90_ms=F p99_ms=F max_ms=F non2xx=N connect=N read=N write=N timeout=N
--
-- Latencies are wrk's per-request figures (time from writing the request to reading the whole answer, on a
-- connection kept open), in milliseconds. wrk is closed-loop: each connection sends its next request when the
-- answer to the last one is in, so the rate is what the server sustains with CONNECTIONS requests in flight.

local path = os.getenv("WRK_BODY")
if not path or path == "" then
  error("post.lua: set WRK_BODY to the file with the request body")
end
local f = assert(io.open(path, "rb"), "post.lua: cannot open " .. path)
local body = f:read("*a")
f:close()

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = os.getenv("WRK_CONTENT_TYPE") or "application/json"

function done(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d duration_us=%d rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f "
      .. "non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, e.status, e.connect, e.read, e.write, e.timeout))
end
