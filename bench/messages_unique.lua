-- wrk script: like messages.lua, but every request's prompt is different (a counter and the thread's id), so a
-- mirror with the response cache on sees only misses: "cache cold".
local stream = os.getenv("STREAM") == "1"
local counter = 0
local tid = tostring(math.random(1, 1000000000))
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["anthropic-version"] = "2023-06-01"
wrk.headers["x-api-key"] = os.getenv("KEY") or "sk-bench"
request = function()
  counter = counter + 1
  local body = '{"model":"claude-sonnet-4-5-20250929","max_tokens":64,"stream":' .. (stream and "true" or "false") ..
    ',"messages":[{"role":"user","content":"Hello from the load test ' .. tid .. '-' .. counter ..
    ', please echo this sentence back."}]}'
  return wrk.format(nil, nil, nil, body)
end
