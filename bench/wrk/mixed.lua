-- Scenario 4: 90 % reads across 1,000 users and 20 schedules, 10 % writes (shift edits, renames).
--   wrk -s bench/wrk/mixed.lua http://127.0.0.1:PORT -- bench/results/mixed-data.lua
-- The data file (written by bench/run.ts) defines `cookies`, `users`, `schedules`, `shifts`
-- ({scheduleId, shiftId} pairs) and `crew` (ids that get renamed).
--   50 % GET /api/users/:id      random user
--   40 % GET /api/schedules/:id  random schedule
--    5 % PATCH /api/schedules/:id/shifts/:shiftId  {"notes": ...}
--    5 % PATCH /api/users/:id     {"name": ...}    (renames invalidate the schedules showing them)
package.path = package.path .. ';./bench/wrk/?.lua'
local report = require('report')
local threads = {}
local seq = 0

function setup(thread)
  threads[#threads + 1] = thread
  thread:set('id', #threads)
end

function init(args)
  dofile(args[1])
  statuses = {}
  math.randomseed(os.time() * 100 + (id or 0))
end

local function pick(list)
  return list[math.random(#list)]
end

function request()
  seq = seq + 1
  local cookie = cookies[(seq % #cookies) + 1]
  local r = math.random()
  local headers
  if r < 0.9 then
    headers = { ['Cookie'] = cookie }
    if r < 0.5 then
      return wrk.format('GET', '/api/users/' .. pick(users), headers)
    end
    return wrk.format('GET', '/api/schedules/' .. pick(schedules), headers)
  end
  headers = { ['Cookie'] = cookie, ['Content-Type'] = 'application/json' }
  if r < 0.95 then
    local s = pick(shifts)
    return wrk.format('PATCH', '/api/schedules/' .. s[1] .. '/shifts/' .. s[2], headers, '{"notes":"bench edit ' .. seq .. '"}')
  end
  return wrk.format('PATCH', '/api/users/' .. pick(crew), headers, '{"name":"Crew renamed ' .. seq .. '"}')
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local s = thread:get('statuses')
    for code, n in pairs(s or {}) do total[code] = (total[code] or 0) + n end
  end
  report.line(summary, latency, total)
end
