-- wrk script: a small non-streaming (or streaming, STREAM=1) Messages request with a mirror key.
local stream = os.getenv("STREAM") == "1"
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["anthropic-version"] = "2023-06-01"
wrk.headers["x-api-key"] = os.getenv("KEY") or "sk-bench"
wrk.body = '{"model":"claude-sonnet-4-5-20250929","max_tokens":64,"stream":' .. (stream and "true" or "false") ..
  ',"messages":[{"role":"user","content":"Hello from the load test, please echo this sentence back."}]}'
