-- Shared by the wrk scripts: one machine-readable line at the end of a run.
-- Latencies are in microseconds. `statuses` is filled only by scripts that count them.
local M = {}

function M.line(summary, latency, statuses)
  local parts = {}
  for code, n in pairs(statuses or {}) do parts[#parts + 1] = string.format('"%s":%d', code, n) end
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency":{"min":%d,"mean":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d},' ..
    '"statuses":{%s}}\n',
    summary.requests, summary.duration, summary.bytes,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency.min, latency.mean, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    table.concat(parts, ',')))
end

return M
