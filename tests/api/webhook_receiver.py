"""A webhook receiver for the events tests: an HTTP(S) server on a free loopback port that
records every request and answers as a test scripts it, per path.

    rx = Receiver()                      # http://127.0.0.1:<port>
    rx.script("/t1/hook", [500, 500, 200])   # answers in order; the last one repeats
    rx.script("/t2/hook", [302], location="/t2/elsewhere")
    rx.script("/t3/hook", [200], delay=11)   # sleeps before answering (timeouts)
    rx.wait_for(lambda reqs: len(rx.at("/t1/hook")) >= 3)
    rx.close()

Receiver(tls=(certfile, keyfile)) serves https with that certificate.
"""

import http.server
import json
import ssl
import threading
import time


class Request:
    """One received request: path, headers (lower-case names), raw body, arrival time."""

    def __init__(self, method, path, headers, body):
        self.method = method
        self.path = path
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.header_names = list(headers.keys())
        self.body = body
        self.at = time.monotonic()

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "<Request %s %s %r>" % (self.method, self.path, self.body[:120])


class Receiver:
    def __init__(self, tls=None):
        self.requests = []
        self.scripts = {}
        self.counts = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out as two writes

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                status, headers, delay = receiver._answer(Request("POST", self.path, self.headers, body))
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the sender gave up (timeout): nothing to answer

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        scheme = "http"
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.base_url = "%s://127.0.0.1:%d" % (scheme, self.port)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def script(self, path, statuses, location=None, delay=0, delay_first=None):
        """Answers for path: statuses in order (the last repeats); a Location header; a sleep
        before each answer (delay) or only before the first delay_first answers."""
        with self.lock:
            self.scripts[path] = (list(statuses), location, delay, delay_first)

    def _answer(self, req):
        with self.lock:
            self.requests.append(req)
            n = self.counts.get(req.path, 0)
            self.counts[req.path] = n + 1
            statuses, location, delay, delay_first = self.scripts.get(req.path, ([200], None, 0, None))
        status = statuses[min(n, len(statuses) - 1)]
        headers = {"Location": location} if location else {}
        if delay_first is not None:
            delay = delay if n < delay_first else 0
        return status, headers, delay

    def at(self, path):
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def under(self, prefix):
        with self.lock:
            return [r for r in self.requests if r.path.startswith(prefix)]

    def wait_for(self, predicate, timeout=15.0, interval=0.05):
        """Polls predicate() until true; returns its last value."""
        deadline = time.monotonic() + timeout
        while True:
            v = predicate()
            if v or time.monotonic() >= deadline:
                return v
            time.sleep(interval)

    def close(self):
        self.server.shutdown()
        self.server.server_close()
