"""A fake Close API for tests only: GET /api/v1/event/ (the Event Log) on loopback.

Serves events newest first (by date_updated), 50 a page at most, with opaque cursors that walk
to older events (cursor_next), filters date_updated__gte/__gt, and checks HTTP Basic auth (API
key as user name, empty password). Tests add and change events, and can make it answer 429
with Retry-After and RateLimit headers, 500, or hang. It counts the requests in flight, in all
and per API key, and can hold requests until enough are in flight at once (hold_until)."""
import base64
import http.server
import json
import threading
import time
import urllib.parse


def close_date(seconds):
    """Close's event date format: UTC, microseconds, no zone."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + \
        ".%06d" % int(round((seconds % 1) * 1e6))


class FakeClose:
    def __init__(self, api_keys):
        self.api_keys = set(api_keys)
        self.events = {}          # api key -> {event id: event}
        self.lock = threading.RLock()
        self.requests = []        # (api key or None, path, status)
        self.times = []           # when each of them came, time.monotonic()
        self.faults = []          # queued answers: ("429", retry_after, reset) | ("500",) | ("hang", s)
        self.cursors = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self.in_flight_by_key = {}
        self.max_in_flight_by_key = {}
        self.hold = None          # (n, seconds): hold each request until n are in flight
        self.changed = threading.Condition(self.lock)
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def reply(self, status, body, headers=None):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                key = self.api_key()
                with fake.lock:
                    fake.in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                    n = fake.in_flight_by_key.get(key, 0) + 1
                    fake.in_flight_by_key[key] = n
                    fake.max_in_flight_by_key[key] = max(fake.max_in_flight_by_key.get(key, 0), n)
                    fake.changed.notify_all()
                    if fake.hold:
                        want, seconds = fake.hold
                        fake.changed.wait_for(lambda: fake.in_flight >= want, timeout=seconds)
                try:
                    self.serve(key)
                finally:
                    with fake.lock:
                        fake.in_flight -= 1
                        fake.in_flight_by_key[key] -= 1

            def api_key(self):
                """The Basic auth user name (the API key) when the password is empty, else None."""
                auth = self.headers.get("Authorization", "")
                if not auth.startswith("Basic "):
                    return None
                user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
                return user if password == "" else None

            def serve(self, key):
                url = urllib.parse.urlparse(self.path)
                if key not in fake.api_keys:
                    fake.record((key, self.path, 401))
                    return self.reply(401, {"error": "Unauthorized"})
                with fake.lock:
                    fault = fake.faults.pop(0) if fake.faults else None
                if fault and fault[0] == "429":
                    fake.record((key, self.path, 429))
                    return self.reply(429, {"error": {"rate_reset": fault[2]}},
                                      {"Retry-After": str(fault[1]),
                                       "RateLimit": f"limit=10, remaining=0, reset={fault[2]}"})
                if fault and fault[0] == "500":
                    fake.record((key, self.path, 500))
                    return self.reply(500, {"error": "boom"})
                if fault and fault[0] == "hang":
                    time.sleep(fault[1])
                if url.path != "/api/v1/event/":
                    return self.reply(404, {"error": "not found"})
                q = dict(urllib.parse.parse_qsl(url.query))
                limit = min(int(q.get("_limit", 50)), 50)
                with fake.lock:
                    if "_cursor" in q:
                        snapshot, start = fake.cursors.get(q["_cursor"], ([], 0))
                    else:
                        evs = sorted(fake.events.get(key, {}).values(),
                                     key=lambda e: (e["date_updated"], e["id"]), reverse=True)
                        if "date_updated__gte" in q:
                            evs = [e for e in evs if e["date_updated"] >= q["date_updated__gte"]]
                        if "date_updated__gt" in q:
                            evs = [e for e in evs if e["date_updated"] > q["date_updated__gt"]]
                        snapshot, start = [dict(e) for e in evs], 0
                    page = snapshot[start:start + limit]
                    nxt = None
                    if start + limit < len(snapshot):
                        nxt = f"cur{len(fake.cursors)}"
                        fake.cursors[nxt] = (snapshot, start + limit)
                    fake.record((key, self.path, 200))
                self.reply(200, {"data": page, "cursor_next": nxt, "cursor_previous": None})

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}/api/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def record(self, entry):
        with self.lock:
            self.requests.append(entry)
            self.times.append(time.monotonic())

    def add(self, api_key, event):
        with self.lock:
            self.events.setdefault(api_key, {})[event["id"]] = event

    def polls(self, api_key=None, status=None):
        with self.lock:
            return [r for r in self.requests
                    if (api_key is None or r[0] == api_key) and (status is None or r[2] == status)]

    def close(self):
        self.server.shutdown()
        self.server.server_close()
