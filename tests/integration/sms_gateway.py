"""A loopback SMS gateway for the integration tests: an HTTP/1.1 server on
127.0.0.1, port 0, in a thread. It records every request and answers from a
script: `fail_first` answers of `fail_status` ("Temporary failure"), then
acceptance, in the JSON or the Kannel style. Waiting is on a condition
variable fed by the requests, with a bounded timeout."""

import http.server
import json
import threading
import time
import urllib.parse


class Gateway:
    def __init__(self, style="json", fail_first=0, fail_status=503):
        self.style = style
        self.fail_first = fail_first
        self.fail_status = fail_status
        self.requests = []
        self._cond = threading.Condition()
        gateway = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real gateways do

            def do_GET(self):
                gateway._handle(self)

            def do_POST(self):
                gateway._handle(self)

            def log_message(self, *args):
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path="/send"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def _handle(self, h):
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        split = urllib.parse.urlsplit(h.path)
        record = {
            "method": h.command,
            "path": split.path,
            "query": {k: v[0] for k, v in urllib.parse.parse_qs(split.query, keep_blank_values=True).items()},
            "headers": {k.lower(): v for k, v in h.headers.items()},
            "body": body,
            "json": None,
        }
        if body and "json" in (h.headers.get("Content-Type") or ""):
            try:
                record["json"] = json.loads(body)
            except ValueError:
                pass
        with self._cond:
            self.requests.append(record)
            n = len(self.requests)
            failing = n <= self.fail_first
            self._cond.notify_all()
        if failing:
            status, ctype, payload = self.fail_status, "text/plain", b"Temporal failure, try again later."
        elif self.style == "kannel":
            status, ctype, payload = 202, "text/plain", b"0: Accepted for delivery"
        else:
            status, ctype, payload = 202, "application/json", json.dumps({"id": "gw-%d" % n}).encode()
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(payload)))
        h.end_headers()
        h.wfile.write(payload)

    def wait_for(self, count, timeout=15):
        """Waits until `count` requests arrived (or the timeout); returns them all."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            return list(self.requests)

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
