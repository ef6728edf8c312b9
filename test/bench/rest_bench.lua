-- wrk script of rest_bench.sh: GET (BENCH_MODE=list) or POST a message round-robin into the
-- conversations in BENCH_CONVERSATIONS (BENCH_MODE=send), as the user of BENCH_TOKEN.
local token = os.getenv("BENCH_TOKEN")
local mode = os.getenv("BENCH_MODE")
local ids = {}
for id in string.gmatch(os.getenv("BENCH_CONVERSATIONS") or "", "[^,]+") do ids[#ids + 1] = id end
local headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
local n = 0

request = function()
  if mode == "list" then
    return wrk.format("GET", "/api/conversations", headers)
  end
  n = n % #ids + 1
  return wrk.format("POST", "/api/conversations/" .. ids[n] .. "/messages", headers,
                    '{"content":"bench message"}')
end

local failures = 0
response = function(status)
  if status >= 300 then failures = failures + 1 end
end

done = function(summary)
  local bad = summary.errors.status + summary.errors.connect + summary.errors.read +
              summary.errors.write + summary.errors.timeout
  io.write(string.format("non_2xx_or_errors=%d\n", bad))
end
