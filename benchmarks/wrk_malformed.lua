-- wrk_malformed.lua: POST /v1/predict with malformed bodies only, for the robustness soak beside a
-- valid load (benchmarks/serve_soak.sh). Every answer should be a 4xx; done() prints how many were
-- and lists any other status. Paced by delay() so that a long soak sends a known number.
--   wrk -t1 -c2 -d600s -s benchmarks/wrk_malformed.lua http://127.0.0.1:PORT -- DELAY_MS
local threads = {}
local delay_ms = 100

function setup(thread)
  table.insert(threads, thread)
end

local function random_bytes(n)
  local t = {}
  for i = 1, n do t[i] = string.char(math.random(0, 255)) end
  return table.concat(t)
end

local huge = string.rep("a", 2 * 1024 * 1024)           -- over the 1 MiB body limit
local many = {}
for i = 1, 65 do many[i] = '{"text": "x"}' end          -- over the 64-input limit
local deep = string.rep("[", 100000) .. string.rep("]", 100000)

local kinds = {
  function() return random_bytes(math.random(1, 300)) end,
  function() return string.sub('{"text": "a fine and moving film"}', 1, math.random(1, 30)) end,  -- truncated
  function() return '{"text": 5}' end,
  function() return '{"text": null}' end,
  function() return '{"text": ""}' end,
  function() return '{"txt": "missing field"}' end,
  function() return '{"inputs": "not a list"}' end,
  function() return '{"inputs": [1, 2]}' end,
  function() return '{"inputs": []}' end,
  function() return '{"inputs": [' .. table.concat(many, ",") .. ']}' end,
  function() return '{"text": "' .. huge .. '"}' end,
  function() return deep end,
  function() return '[]' end,
  function() return '"just a string"' end,
  function() return '{"text": "\\ud800 lone surrogate"}' end,
}

function init(args)
  delay_ms = tonumber(args[1] or "100")
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
  good4xx = 0
  other = 0
  statuses = {}
end

function delay()
  return delay_ms
end

request = function()
  local body = kinds[math.random(1, #kinds)]()
  return wrk.format("POST", "/v1/predict", {["Content-Type"] = "application/json"}, body)
end

response = function(status, headers, body)
  if status >= 400 and status < 500 then
    good4xx = good4xx + 1
  else
    other = other + 1
    statuses[status] = (statuses[status] or 0) + 1
  end
end

done = function(summary, latency, requests)
  local answered4xx, answeredOther = 0, 0
  for _, thread in ipairs(threads) do
    answered4xx = answered4xx + thread:get("good4xx")
    answeredOther = answeredOther + thread:get("other")
  end
  io.write(string.format("malformed requests %d, answered 4xx %d, answered otherwise %d, socket errors %d\n",
    summary.requests, answered4xx, answeredOther,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
