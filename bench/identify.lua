-- wrk script: POST /v1/identify as a population of browsers behind a proxy
-- integration (each browser its own client IP). Bodies are prepared once per
-- thread: the real agent's components (bench/components.json, collected from
-- Debian's Chromium by the agent), varied per browser in canvas, screen and fonts.
-- With TOKENS (a file of one token per line, browser i on line i, made by bench/tokens.py),
-- each browser comes back with the token of its first visit: the common case of a site's
-- traffic, where the token settles who the browser is. Without, no browser sends a token.
-- Environment: ARGUS_PK, ARGUS_PS (public key, proxy secret), BROWSERS (default 5000), TOKENS.
local pk = os.getenv("ARGUS_PK")
local ps = os.getenv("ARGUS_PS")
local n = tonumber(os.getenv("BROWSERS") or "5000")
local f = assert(io.open(os.getenv("COMPONENTS") or "bench/components.json"))
local components = f:read("*a")
f:close()
local tokens = nil
local path = os.getenv("TOKENS")
if path then
  tokens = {}
  for line in assert(io.open(path)):lines() do tokens[#tokens + 1] = line end
  if #tokens < n then n = #tokens end
end
local bodies, ips = {}, {}

function init(args)
  local seed = tonumber(tostring({}):sub(8), 16) or 1
  math.randomseed(seed)
  for i = 1, n do
    local c = components:gsub('"canvas":"[0-9a-f]+"', '"canvas":"' .. string.format("%016x", i) .. '"')
    c = c:gsub('"width":%d+', '"width":' .. (1280 + (i % 7) * 160), 1)
    local token = tokens and ('"' .. tokens[i] .. '"') or "null"
    bodies[i] = '{"v":1,"publicKey":"' .. pk .. '","token":' .. token .. ',"url":"https://shop.example/","components":' .. c .. '}'
    ips[i] = string.format("%d.%d.%d.%d", 11 + i % 180, (i * 7) % 256, (i * 13) % 256, 1 + i % 250)
  end
end

function request()
  local i = math.random(n)
  return wrk.format("POST", "/v1/identify",
    { ["Content-Type"] = "text/plain;charset=UTF-8", ["FPJS-Proxy-Secret"] = ps, ["FPJS-Proxy-Client-IP"] = ips[i] },
    bodies[i])
end
