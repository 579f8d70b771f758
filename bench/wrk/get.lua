-- GET one path, rotating through the session cookies given after `--`:
--   wrk -s bench/wrk/get.lua http://127.0.0.1:PORT -- /api/users/26 'crewplots.sid=...' ...
-- Requests are formatted once in init(), so wrk spends next to nothing per request.
package.path = package.path .. ';./bench/wrk/?.lua'
local report = require('report')
local reqs = {}
local n = 0
local i = 0

function init(args)
  local path = args[1] or '/'
  for k = 2, #args do
    reqs[#reqs + 1] = wrk.format('GET', path, { ['Cookie'] = args[k] })
  end
  if #reqs == 0 then reqs[1] = wrk.format('GET', path) end
  n = #reqs
end

function request()
  i = i + 1
  return reqs[(i % n) + 1]
end

function done(summary, latency, requests)
  report.line(summary, latency, nil)
end
