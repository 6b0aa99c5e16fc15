"""Loopback peers that connectd talks to, for the tests: an HTTP receiver (SMS gateway, webhook
endpoint) and an SMTP server. Each runs in a thread on a free 127.0.0.1 port, records what
arrives, answers as the test scripts it (fail the first N requests, redirect ...), and is
stopped by the test that started it (use them as context managers).
"""
import json
import socketserver
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def wait_until(predicate, timeout=10.0, interval=0.05):
    """Poll predicate until it returns a true value (returned) or timeout (AssertionError)."""
    deadline = time.monotonic() + timeout
    while True:
        v = predicate()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise AssertionError("condition not met within %.1f s" % timeout)
        time.sleep(interval)


class _Peer:
    """A socketserver-based peer serving in a daemon thread; stopped by close() or `with`."""

    def _serve(self, server):
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    def close(self):
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class HttpReceiver(_Peer):
    """Records every request as a dict {method, path, headers (names as sent), body, at (its
    monotonic arrival time)}; answers `statuses` in turn, then `default_status`, unless a
    script() for the request's path says otherwise. A 3xx answer carries Location: `redirect_to`
    (or the script's location). tls=(certfile, keyfile) serves https with that certificate."""

    def __init__(self, statuses=(), default_status=200, redirect_to="http://127.0.0.1:9/elsewhere", tls=None):
        self.requests = []
        self._statuses = list(statuses)
        self._default = default_status
        self._redirect_to = redirect_to
        self._scripts = {}
        self._seen = {}
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real receivers do
            disable_nagle_algorithm = True  # headers and body leave as separate writes

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                status, location, delay = receiver._answer({"method": "POST", "path": self.path,
                                                            "headers": dict(self.headers.items()),
                                                            "body": body, "at": time.monotonic()})
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    if 300 <= status < 400:
                        self.send_header("Location", location)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the sender gave up waiting (a timeout test)

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        scheme = "http"
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            server.socket = ctx.wrap_socket(server.socket, server_side=True)
            scheme = "https"
        self._serve(server)
        self.url = "%s://127.0.0.1:%d" % (scheme, self.port)

    def script(self, path, statuses, location=None, delay=0, delay_first=None):
        """How to answer requests for exactly this path: `statuses` in turn (the last one repeats),
        Location for a 3xx, and a sleep of `delay` seconds before answering (only the first
        `delay_first` requests when that is given)."""
        with self._lock:
            self._scripts[path] = (list(statuses), location, delay, delay_first)

    def _answer(self, req):
        with self._lock:
            self.requests.append(req)
            n = self._seen.get(req["path"], 0)
            self._seen[req["path"]] = n + 1
            if req["path"] not in self._scripts:
                status = self._statuses.pop(0) if self._statuses else self._default
                return status, self._redirect_to, 0
            statuses, location, delay, delay_first = self._scripts[req["path"]]
        if delay_first is not None and n >= delay_first:
            delay = 0
        return statuses[min(n, len(statuses) - 1)], location or self._redirect_to, delay

    def json_bodies(self):
        with self._lock:
            return [json.loads(r["body"]) for r in self.requests]

    def count(self):
        with self._lock:
            return len(self.requests)

    def at(self, path):
        """The requests for exactly this path, in arrival order."""
        with self._lock:
            return [r for r in self.requests if r["path"] == path]

    def under(self, prefix):
        with self._lock:
            return [r for r in self.requests if r["path"].startswith(prefix)]


class SmtpReceiver(_Peer):
    """A small SMTP server (RFC 5321 subset: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT).
    Records messages as dicts {from, to: [...], data: str}. The first `fail_rcpt` RCPT
    commands get 451 (a temporary failure), the rest 250."""

    def __init__(self, fail_rcpt=0):
        self.messages = []
        self._fail_rcpt = fail_rcpt
        self._lock = threading.Lock()
        receiver = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line):
                self.wfile.write((line + "\r\n").encode())

            def handle(self):
                self.reply("220 test ESMTP")
                mail_from, rcpts = None, []
                while True:
                    raw = self.rfile.readline()
                    if not raw:
                        return
                    line = raw.decode("utf-8", "replace").rstrip("\r\n")
                    verb = line[:4].upper()
                    if verb == "EHLO":
                        self.reply("250-test")
                        self.reply("250 8BITMIME")
                    elif verb == "HELO":
                        self.reply("250 test")
                    elif verb == "MAIL":
                        mail_from, rcpts = line.split(":", 1)[1].strip(), []
                        self.reply("250 ok")
                    elif verb == "RCPT":
                        with receiver._lock:
                            fail = receiver._fail_rcpt > 0
                            if fail:
                                receiver._fail_rcpt -= 1
                        if fail:
                            self.reply("451 try again later")
                        else:
                            rcpts.append(line.split(":", 1)[1].strip())
                            self.reply("250 ok")
                    elif verb == "DATA":
                        self.reply("354 go ahead")
                        lines = []
                        while True:
                            d = self.rfile.readline()
                            if not d or d in (b".\r\n", b".\n"):
                                break
                            if d.startswith(b".."):
                                d = d[1:]
                            lines.append(d)
                        with receiver._lock:
                            receiver.messages.append({"from": mail_from, "to": rcpts,
                                                      "data": b"".join(lines).decode("utf-8")})
                        self.reply("250 queued")
                    elif verb == "RSET":
                        mail_from, rcpts = None, []
                        self.reply("250 ok")
                    elif verb == "NOOP":
                        self.reply("250 ok")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("502 not implemented")

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._serve(Server(("127.0.0.1", 0), Handler))
        self.url = "smtp://127.0.0.1:%d" % self.port

    def count(self):
        with self._lock:
            return len(self.messages)
