-- wrk script: POSTs opinions to /api/submit_opinion as a logged-in resident,
-- each with its own idempotency key, and reports p50/p99 and failures.
-- Env: COOKIE (session cookie), ORIGIN (site origin), COMMUNITY (community id).
local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("tid", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

local function urlencode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function init(args)
  cookie = os.getenv("COOKIE")
  origin = os.getenv("ORIGIN")
  community = os.getenv("COMMUNITY")
  counter = 0
  failed = 0
  nonce = tostring(os.time())
end

function request()
  counter = counter + 1
  local key = string.format("load-%s-%d-%d", nonce, tid, counter)
  local body = "community_id=" .. community
    .. "&location=&category=public_service"
    .. "&title=" .. urlencode("小区路灯不亮")
    .. "&body=" .. urlencode("小区门口的路灯坏了很久，晚上很黑，老人出门不方便 " .. key)
    .. "&idempotency_key=" .. key
  return wrk.format("POST", "/api/submit_opinion", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Accept"] = "application/json",
    ["Origin"] = origin,
    ["Cookie"] = cookie,
  }, body)
end

function response(status, headers, body)
  if status ~= 200 then failed = failed + 1 end
end

function done(summary, latency, requests)
  local failures = 0
  for _, t in ipairs(threads) do failures = failures + (t:get("failed") or 0) end
  local seconds = summary.duration / 1e6
  io.write(string.format("accepted/s: %.0f\n", (summary.requests - failures) / seconds))
  io.write(string.format("requests: %d  failed: %d  socket errors: %d\n", summary.requests, failures,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  io.write(string.format("latency p50: %.1f ms  p99: %.1f ms  max: %.1f ms\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
