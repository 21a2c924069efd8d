-- wrk script: POST /api/ops, one donation.claim per request with a fresh op_id, on the open donations given.
local cookie = os.getenv("BENCH_COOKIE")
local csrf = os.getenv("BENCH_CSRF")
local stamp = os.getenv("BENCH_STAMP") or "0"
local donations = {}
for id in string.gmatch(os.getenv("BENCH_DONATIONS") or "1", "%d+") do
  table.insert(donations, id)
end
local counter = 0
local thread_id = 0

setup = function(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
end

request = function()
  counter = counter + 1
  local body = string.format('{"ops": [{"op_id": "wrk-%s-%d-%09d", "kind": "donation.claim", "donation_id": %s}]}',
    stamp, tid or 0, counter, donations[(counter % #donations) + 1])
  return wrk.format("POST", nil, {["Cookie"] = cookie, ["X-CSRFToken"] = csrf,
                                  ["Content-Type"] = "application/json"}, body)
end

done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format("RESULT rps=%.1f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f requests=%d errors=%d non2xx=%d\n",
    summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
