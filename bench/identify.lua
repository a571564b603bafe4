-- wrk script: POST /v1/identify as a population of browsers behind a proxy
-- integration (each browser its own client IP). Bodies are prepared once per
-- thread: the real agent's components (bench/components.json, collected from
-- Debian's Chromium by the agent), varied per browser in canvas, screen and fonts.
-- Environment: ARGUS_PK, ARGUS_PS (public key, proxy secret), BROWSERS (default 5000).
local pk = os.getenv("ARGUS_PK")
local ps = os.getenv("ARGUS_PS")
local n = tonumber(os.getenv("BROWSERS") or "5000")
local f = assert(io.open(os.getenv("COMPONENTS") or "bench/components.json"))
local components = f:read("*a")
f:close()
local bodies, ips = {}, {}

function init(args)
  local seed = tonumber(tostring({}):sub(8), 16) or 1
  math.randomseed(seed)
  for i = 1, n do
    local c = components:gsub('"canvas":"[0-9a-f]+"', '"canvas":"' .. string.format("%016x", i) .. '"')
    c = c:gsub('"width":%d+', '"width":' .. (1280 + (i % 7) * 160), 1)
    bodies[i] = '{"v":1,"publicKey":"' .. pk .. '","token":null,"url":"https://shop.example/","components":' .. c .. '}'
    ips[i] = string.format("%d.%d.%d.%d", 11 + i % 180, (i * 7) % 256, (i * 13) % 256, 1 + i % 250)
  end
end

function request()
  local i = math.random(n)
  return wrk.format("POST", "/v1/identify",
    { ["Content-Type"] = "text/plain;charset=UTF-8", ["FPJS-Proxy-Secret"] = ps, ["FPJS-Proxy-Client-IP"] = ips[i] },
    bodies[i])
end
