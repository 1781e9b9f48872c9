-- wrk driver for bench/webhook_bench.py: posts pre-signed store events, each exactly once.
-- The file (WEBHOOK_EVENTS) holds one event a line: "<X-Gratitude-Signature>\t<body>". Thread k of n posts
-- lines k, k+n, k+2n, ... on its connections; once its lines are all claimed a connection waits (delay) instead
-- of posting anything else, and when all its answers are in the thread prints "done" and stops. The
-- bench stops wrk (SIGINT) once every thread is done; done() prints the answers counted by status.

local path = os.getenv("WEBHOOK_PATH")
local events = os.getenv("WEBHOOK_EVENTS")
local thread_count = tonumber(os.getenv("WEBHOOK_THREADS"))
local threads = {}

function setup(thread)
  thread:set("index", #threads)
  table.insert(threads, thread)
end

function init(args)
  requests, claimed, queued, answered, statuses = {}, 0, {}, 0, {}
  local n = 0
  for line in io.lines(events) do
    if n % thread_count == index then
      local tab = line:find("\t", 1, true)
      local headers = {["Content-Type"] = "application/json", ["X-Gratitude-Signature"] = line:sub(1, tab - 1)}
      requests[#requests + 1] = wrk.format("POST", path, headers, line:sub(tab + 1))
    end
    n = n + 1
  end
end

function delay()
  -- wrk asks delay() once before each request(), but several connections may ask before any of them gets
  -- its request: a line is claimed here and queued for the next request(), so each is posted once.
  if claimed >= #requests then return 3600000 end  -- nothing left: this connection idles until the end
  claimed = claimed + 1
  queued[#queued + 1] = claimed
  return 0
end

function request()
  -- wrk also calls request() once before the run to check the script; that one is never sent.
  if #queued == 0 then return requests[1] end
  return requests[table.remove(queued, 1)]
end

function response(status, headers, body)
  answered = answered + 1
  statuses[status] = (statuses[status] or 0) + 1
  if answered == #requests then
    local parts = {}
    for code, count in pairs(statuses) do parts[#parts + 1] = code .. "=" .. count end
    status_text = table.concat(parts, ",")
    io.write("done\n")
    io.flush()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    -- Each thread counts in its own Lua state and leaves a "code=count,..." string behind.
    local text = thread:get("status_text")
    if text then
      for code, count in text:gmatch("(%d+)=(%d+)") do
        totals[code] = (totals[code] or 0) + tonumber(count)
      end
    end
  end
  local parts = {}
  for code, count in pairs(totals) do parts[#parts + 1] = code .. "=" .. count end
  io.write("statuses " .. table.concat(parts, ",") .. "\n")
end
