-- The spike's request mix for wrk (bench/spike.py): each connection asks in turn for the
-- addresses given after "--" (the home page, the map, an incident page, a list page), as
-- a browser with gzip and English would; done() prints the figures as one JSON line.

local paths = {}
local next_path = 0

function init(args)
  for _, path in ipairs(args) do
    paths[#paths + 1] = path
  end
end

wrk.headers["Accept-Encoding"] = "gzip"
wrk.headers["Accept-Language"] = "en-GB,en;q=0.9"

function request()
  next_path = next_path % #paths + 1
  return wrk.format("GET", paths[next_path])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'SPIKE-JSON {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, ' ..
    '"p90_us": %d, "p99_us": %d, "max_us": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, e.connect, e.read,
    e.write, e.status, e.timeout))
end
