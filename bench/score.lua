-- POST /risk/bin/score for one prefetched request id (ARGUS_SK with `risk`, ARGUS_REQUEST_ID), cycling BINs.
local bins = {"341142", "45710516", "453748", "375001", "400390", "999999"}
local n = 0
local key = os.getenv("ARGUS_SK")
local rid = os.getenv("ARGUS_REQUEST_ID")
request = function()
  n = n + 1
  local body = string.format('{"bin":"%s","request_id":"%s"}', bins[n % #bins + 1], rid)
  return wrk.format("POST", "/risk/bin/score", {["X-API-Key"] = key, ["Content-Type"] = "application/json"}, body)
end
