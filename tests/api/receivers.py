"""Loopback peers that connectd talks to, for the tests: an HTTP receiver (SMS gateway, webhook
endpoint) and an SMTP server. Each runs in a thread on a free 127.0.0.1 port, records what
arrives, answers as the test scripts it (fail the first N requests, redirect ...), and is
stopped by the test that started it (use them as context managers).
"""
import json
import socketserver
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
    """Records every request (method, path, headers, body); answers `statuses` in turn, then
    `default_status`. A 3xx answer carries Location: `redirect_to`."""

    def __init__(self, statuses=(), default_status=200, redirect_to="http://127.0.0.1:9/elsewhere"):
        self.requests = []
        self._statuses = list(statuses)
        self._default = default_status
        self._redirect_to = redirect_to
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                with receiver._lock:
                    receiver.requests.append({"method": "POST", "path": self.path,
                                              "headers": dict(self.headers.items()),
                                              "body": body})
                    status = receiver._statuses.pop(0) if receiver._statuses else receiver._default
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", receiver._redirect_to)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._serve(ThreadingHTTPServer(("127.0.0.1", 0), Handler))
        self.url = "http://127.0.0.1:%d" % self.port

    def json_bodies(self):
        with self._lock:
            return [json.loads(r["body"]) for r in self.requests]

    def count(self):
        with self._lock:
            return len(self.requests)


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
