-- POST /fingerprint/ingest with a fresh request_id each time (ARGUS_SK: a secret key with `ingest`).
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
local n = 0
local run = tostring(os.time())
local key = os.getenv("ARGUS_SK")
request = function()
  n = n + 1
  local body = string.format(
    '{"request_id":"bench-%s-%d-%d","subscriber_id":12,"session_id":"S-%d","user_id":"user-%d@example.com"}',
    run, tid, n, n, n % 1000)
  return wrk.format("POST", "/fingerprint/ingest", {["X-API-Key"] = key, ["Content-Type"] = "application/json"}, body)
end
