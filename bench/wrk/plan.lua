-- Replay a plan file with wrk: one request a line, every request different (paths, tokens).
--
--   wrk -t2 -c32 -d10s --latency -s bench/wrk/plan.lua http://127.0.0.1:PORT -- PLAN THREADS MODE
--
-- PLAN: one request a line, tab-separated: METHOD, PATH, then "Name: value" headers.
-- THREADS: wrk's -t; thread i takes the i-th contiguous slice of the plan, so no two threads
-- ever send the same line. MODE: "once" sends each line at most once (a thread that runs out
-- stops and counts it in `exhausted`); "cycle" starts its slice again.
-- done() prints one line "WRKJSON {...}": status counts summed over threads, how many requests
-- were sent but never answered (wrk hangs up at the deadline while some are in flight: the
-- server still completes them), and wrk's own figures.

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local function split(line, sep)
  local fields = {}
  for field in string.gmatch(line, "([^" .. sep .. "]+)") do
    fields[#fields + 1] = field
  end
  return fields
end

function init(args)
  local plan, nthreads, mode = args[1], tonumber(args[2]), args[3]
  cycle = (mode == "cycle")
  local lines = {}
  for line in io.lines(plan) do
    if line ~= "" then lines[#lines + 1] = line end
  end
  local lo = math.floor(tid * #lines / nthreads) + 1
  local hi = math.floor((tid + 1) * #lines / nthreads)
  requests = {}
  for i = lo, hi do
    local fields = split(lines[i], "\t")
    local headers = {}
    for h = 3, #fields do
      local name, value = string.match(fields[h], "^([^:]+):%s*(.*)$")
      headers[name] = value
    end
    local body = nil
    if fields[1] == "POST" or fields[1] == "DELETE" then body = "" end
    requests[#requests + 1] = wrk.format(fields[1], fields[2], headers, body)
  end
  position = 0
  sent = 0
  exhausted = 0
  statuses = {}
end

function request()
  sent = sent + 1
  position = position + 1
  if position > #requests then
    if cycle then
      position = 1
    else
      -- Out of fresh lines: stop this thread; the request sent meanwhile is counted.
      exhausted = exhausted + 1
      position = #requests
      wrk.thread:stop()
    end
  end
  return requests[position]
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, reqs)
  local total = {}
  local sent_out = 0
  -- wrk calls request() once on the first thread to check it before the run (it is never sent;
  -- script_verify_request in wrk 4), so that thread's first line is skipped and not counted.
  local sent_total = -1
  local answered = 0
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    for code, n in pairs(counts) do
      total[code] = (total[code] or 0) + n
      answered = answered + n
    end
    sent_total = sent_total + thread:get("sent")
    sent_out = sent_out + thread:get("exhausted")
  end
  local parts = {}
  for code, n in pairs(total) do
    parts[#parts + 1] = string.format('"%s": %d', code, n)
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"statuses": {%s}, "exhausted": %d, "sent": %d, "unanswered": %d, ' ..
    '"requests": %d, "duration_us": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"mean": %.1f, "p50": %d, "p90": %d, "p99": %d, "p999": %d, "max": %d}}\n',
    table.concat(parts, ", "), sent_out, sent_total, sent_total - answered, summary.requests, summary.duration,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max))
end
