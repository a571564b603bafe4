-- wrk script: GET /v1/device/{id} for random ids among the seeded devices d0 … d(N-1).
-- Environment: ARGUS_SK (secret key with read:device), ARGUS_DEVICES (N).
local key = os.getenv("ARGUS_SK")
local n = tonumber(os.getenv("ARGUS_DEVICES") or "100000")

function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end

function request()
  return wrk.format("GET", "/v1/device/d" .. math.random(0, n - 1), {["Authorization"] = "Bearer " .. key})
end
