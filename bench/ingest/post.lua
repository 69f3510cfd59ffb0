-- wrk script: POSTs one realistic Close webhook payload, as Close sends it, on every request.
--
--   wrk ... -s bench/ingest/post.lua URL [-- BODY_FILE [PATH]]
--
-- BODY_FILE: the payload to send (default: $BENCH_BODY, else tests/data/legacy_update.json
-- relative to the working directory). PATH: request path (default: $BENCH_PATH, else the
-- path of URL). The file is read once per wrk thread at start-up; the request is built once
-- and reused, so wrk stays on its fast static-request path (no request()/response() hooks).
--
-- Status counting is wrk's own: any response with status >= 400 goes to "Non-2xx or 3xx
-- responses"; 202 is a success.

local function read_body(path)
   local f, err = io.open(path, "rb")
   if not f then
      error("post.lua: cannot read the body file: " .. tostring(err))
   end
   local body = f:read("*a")
   f:close()
   if not body or #body == 0 then
      error("post.lua: the body file " .. path .. " is empty")
   end
   return body
end

function init(args)
   local file = args[1] or os.getenv("BENCH_BODY") or "tests/data/legacy_update.json"
   local path = args[2] or os.getenv("BENCH_PATH")
   wrk.method = "POST"
   wrk.body = read_body(file)
   wrk.headers["Content-Type"] = "application/json"
   if path and #path > 0 then
      wrk.path = path
   end
end
