-- wrk script for an MCP Streamable HTTP endpoint: POSTs one JSON-RPC request per call with a
-- unique id, and counts replies that are not HTTP 200 or carry no "result" (HTTP 200 alone proves
-- nothing: a JSON-RPC error comes back as 200 too).
--
-- Environment:
--   MCP_SESSION   Mcp-Session-Id to send (omit for a server without sessions)
--   MCP_METHOD    JSON-RPC method (default tools/call)
--   MCP_PARAMS    its params as JSON (default: none)
--   WRK_SUMMARY   file that done() appends one line to:
--                 requests=N seconds=S p50_us=X p99_us=Y non200=N no_result=N socket_errors=N
--
-- Each wrk thread has its own Lua state, so the per-thread counters are read through
-- thread:get() in done(); a plain global would always read 0 there.

local threads = {}

function setup(thread)
   thread:set("thread_index", #threads)
   table.insert(threads, thread)
end

function init(args)
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
   wrk.headers["Accept"] = "application/json, text/event-stream"
   wrk.headers["MCP-Protocol-Version"] = "2025-11-25"
   local session = os.getenv("MCP_SESSION")
   if session and session ~= "" then
      wrk.headers["Mcp-Session-Id"] = session
   end
   method = os.getenv("MCP_METHOD") or "tools/call"
   params = os.getenv("MCP_PARAMS")
   -- Ids stay unique across threads: thread k uses k, k + 1000000000, k + 2000000000, ...
   next_id = thread_index * 1000000000 + 1
   non200 = 0
   no_result = 0
end

function request()
   local id = next_id
   next_id = next_id + 1
   local body
   if params and params ~= "" then
      body = string.format('{"jsonrpc":"2.0","id":%d,"method":"%s","params":%s}', id, method, params)
   else
      body = string.format('{"jsonrpc":"2.0","id":%d,"method":"%s"}', id, method)
   end
   return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
   if status ~= 200 then
      non200 = non200 + 1
   elseif not string.find(body, '"result"', 1, true) then
      no_result = no_result + 1
   end
end

function done(summary, latency, requests)
   local bad_status, bad_body = 0, 0
   for _, thread in ipairs(threads) do
      bad_status = bad_status + thread:get("non200")
      bad_body = bad_body + thread:get("no_result")
   end
   local e = summary.errors
   local line = string.format("requests=%d seconds=%.3f p50_us=%d p99_us=%d non200=%d no_result=%d socket_errors=%d\n",
      summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
      bad_status, bad_body, e.connect + e.read + e.write + e.timeout)
   io.stderr:write(line)
   local out = os.getenv("WRK_SUMMARY")
   if out and out ~= "" then
      local f = assert(io.open(out, "a"))
      f:write(line)
      f:close()
   end
end
