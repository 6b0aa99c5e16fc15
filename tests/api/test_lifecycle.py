"""Connection and process lifecycle (spec README §3): HTTP/1.0 and 1.1 connection handling,
100-continue, slow and broken clients, and graceful stop on SIGTERM/SIGINT.

Tests that stop or starve a server start their own with server_factory; the rest share the
session server. Timing margins are generous: these machines are shared and noisy.
"""

import json
import select
import signal
import socket
import threading
import time

import pytest
import requests

from conftest import RawConn, raw_exchange


def healthz_ok(server):
    r = requests.get(server.url("/healthz"), timeout=5)
    return r.status_code == 200 and r.json() == {"status": "ok"}


# ---------------------------------------------------------------------------------------------
# HTTP/1.0 and HTTP/1.1 connection handling


def test_http10_without_keepalive_gets_content_length_and_close(server):
    with RawConn(server) as c:
        c.send(b"GET /healthz HTTP/1.0\r\n\r\n")  # no Host: HTTP/1.0 does not need one
        resp = c.read_response()
        assert resp.status == 200, resp
        assert resp.header("Content-Length") == str(len(resp.body)), resp.header_list
        assert not resp.chunked and resp.header("Transfer-Encoding") is None
        assert json.loads(resp.body) == {"status": "ok"}
        assert c.is_closed_by_peer(timeout=3), "server kept an HTTP/1.0 connection open"


def test_http10_large_reply_is_not_chunked(server):
    doc = {"pad": "z" * 200000}
    body = json.dumps(doc).encode()
    with RawConn(server, timeout=10) as c:
        c.send(b"POST /sandbox/echo HTTP/1.0\r\nContent-Type: application/json\r\n"
               b"Accept: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        resp = c.read_response()
        assert resp.status == 200, resp
        assert not resp.chunked and resp.header("Transfer-Encoding") is None
        assert resp.header("Content-Length") == str(len(resp.body))
        assert json.loads(resp.body) == doc
        assert c.is_closed_by_peer(timeout=3)


def test_http10_with_keepalive_serves_two_requests(server):
    with RawConn(server) as c:
        for _ in range(2):
            c.send(b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            resp = c.read_response()
            assert resp.status == 200, resp
            assert resp.header("Content-Length") == str(len(resp.body))
            assert json.loads(resp.body) == {"status": "ok"}


def test_http11_keepalive_serves_three_requests_on_one_socket(server):
    with RawConn(server) as c:
        for i in range(3):
            c.send("GET /sandbox/echo/k%d HTTP/1.1\r\nHost: t\r\nAccept: application/json\r\n\r\n" % i)
            resp = c.read_response()
            assert resp.status == 200, resp
            assert resp.json() == {"value": "k%d" % i}
        assert not c.is_closed_by_peer(timeout=0.3)


def test_http11_pipelined_requests_are_answered_in_order(server):
    with RawConn(server) as c:
        c.send(b"".join(b"GET /sandbox/echo/p%d HTTP/1.1\r\nHost: t\r\nAccept: application/json\r\n\r\n" % i
                        for i in range(3)))
        for i in range(3):
            resp = c.read_response()
            assert resp.status == 200, resp
            assert resp.json() == {"value": "p%d" % i}


def test_http11_connection_close_is_honoured(server):
    with RawConn(server) as c:
        c.send(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        resp = c.read_response()
        assert resp.status == 200
        assert c.is_closed_by_peer(timeout=3)


def test_expect_100_continue_gets_100_before_body(server):
    body = b'{"a":"b"}'
    with RawConn(server) as c:
        c.send(b"POST /sandbox/echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
               b"Accept: application/json\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body))
        c.settimeout(3)
        try:
            interim = c.read_response()
        except socket.timeout:
            pytest.fail("no 100 Continue within 3 s of headers with Expect: 100-continue")
        assert interim.status == 100, interim
        c.send(body)
        resp = c.read_response()
        assert resp.status == 200, resp
        assert resp.json() == {"a": "b"}


MALFORMED_REQUESTS = {
    "garbage": b"GARBAGE\r\n\r\n",
    "bad-version": b"GET /healthz HTTP/9.9\r\n\r\n",
    "header-without-colon": b"GET /healthz HTTP/1.1\r\nHost: t\r\nBad Header Line\r\n\r\n",
    "600k-header": b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 600000 + b"\r\n\r\n",
    "negative-length": b"POST /sandbox/echo HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n",
    "bad-chunk": b"POST /sandbox/echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    "tls-hello": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64,
}


@pytest.mark.parametrize("payload", list(MALFORMED_REQUESTS.values()), ids=list(MALFORMED_REQUESTS))
def test_malformed_requests_are_refused_and_server_survives(server, payload):
    try:
        reply = raw_exchange(server, payload, timeout=5)
    except socket.timeout:
        reply = b""
    if reply:
        status = reply.split(b"\r\n", 1)[0]
        code = status.split(b" ")[1] if status.startswith(b"HTTP/1.") else b""
        assert code[:1] == b"4" or code == b"505", status
    assert healthz_ok(server)


# ---------------------------------------------------------------------------------------------
# Slow clients (the server's own --read-timeout)


def _closed_within(conn, seconds, trickle=None, every=0.2):
    """Trickle bytes (if given) until the server closes the connection; seconds it took or None."""
    t0 = time.monotonic()
    i = 0
    while time.monotonic() - t0 < seconds:
        readable, _, _ = select.select([conn.sock], [], [], every)
        if readable:
            try:
                data = conn.sock.recv(65536)
            except (ConnectionResetError, BrokenPipeError):
                return time.monotonic() - t0
            if not data:
                return time.monotonic() - t0
            conn.buf += data  # e.g. a 408 reply before the close; keep reading
            continue
        if trickle is not None:
            try:
                conn.send(trickle[i % len(trickle):i % len(trickle) + 1])
            except (ConnectionResetError, BrokenPipeError):
                return time.monotonic() - t0
            i += 1
    return None


def test_slowloris_headers_are_cut_off_by_read_timeout(server_factory):
    srv = server_factory("--read-timeout", "2")
    with RawConn(srv, timeout=10) as c:
        c.send(b"GET /healthz HTTP/1.1\r\nHost: t\r\n")
        took = _closed_within(c, 8, trickle=b"X-Slow-Header-Name-That-Never-Ends: aaaaaaaaaaaaaaaaaaaa")
        assert took is not None, "a client trickling header bytes kept its connection for 8 s"
        assert took < 6, took
        assert not c.buf.startswith(b"HTTP/1.1 200"), c.buf[:100]
    assert healthz_ok(srv)


def test_idle_connection_is_closed_by_read_timeout(server_factory):
    srv = server_factory("--read-timeout", "2")
    with RawConn(srv, timeout=10) as c:
        took = _closed_within(c, 8)
        assert took is not None, "an idle connection stayed open for 8 s with --read-timeout 2"
        assert took < 6, took
    assert healthz_ok(srv)


def test_slow_client_does_not_block_others(server_factory):
    srv = server_factory("--read-timeout", "5")
    slow = [RawConn(srv, timeout=10) for _ in range(20)]
    try:
        for c in slow:
            c.send(b"POST /sandbox/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n{")
        t0 = time.monotonic()
        for _ in range(10):
            assert healthz_ok(srv)
        assert time.monotonic() - t0 < 3
    finally:
        for c in slow:
            c.close()


# ---------------------------------------------------------------------------------------------
# Graceful stop


def test_sigterm_under_load_finishes_responses_and_exits_0(server_factory):
    srv = server_factory()
    stop = threading.Event()
    sigterm_sent = threading.Event()
    lock = threading.Lock()
    stats = {"ok": 0, "no_response": 0, "bad": []}

    def worker(n):
        payload = {"worker": n, "pad": "w" * 3000}
        s = requests.Session()
        i = 0
        while not stop.is_set():
            i += 1
            try:
                if i % 2:
                    r = s.get(srv.url("/healthz"), timeout=5)
                    want = {"status": "ok"}
                else:
                    r = s.post(srv.url("/sandbox/echo"), json=payload,
                               headers={"Accept": "application/json"}, timeout=5)
                    want = payload
            except requests.ConnectionError:
                with lock:
                    stats["no_response"] += 1
                if sigterm_sent.is_set():
                    time.sleep(0.02)
                continue
            except requests.RequestException as e:  # truncated body, bad chunking ...
                with lock:
                    stats["bad"].append(repr(e))
                continue
            try:
                good = r.status_code == 200 and r.json() == want
            except ValueError:
                good = False
            with lock:
                if good:
                    stats["ok"] += 1
                else:
                    stats["bad"].append((r.status_code, r.content[:200]))

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(8)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    ok_before = stats["ok"]
    t0 = time.monotonic()
    srv.send_signal(signal.SIGTERM)
    sigterm_sent.set()
    rc = srv.wait(5)
    took = time.monotonic() - t0
    stop.set()
    for t in threads:
        t.join(10)
    srv.stopped_by_test = True
    assert rc is not None, "server still running 5 s after SIGTERM\n" + srv.stderr_text()[-3000:]
    assert rc == 0, "exit code %s\n%s" % (rc, srv.stderr_text()[-3000:])
    assert ok_before > 50, stats
    assert stats["bad"] == [], "incomplete or wrong responses during shutdown: %s" % stats["bad"][:5]
    assert took < 5


def test_sigterm_lets_request_in_flight_finish(server_factory):
    srv = server_factory()
    doc = {"pad": "f" * 200000}
    body = json.dumps(doc).encode()
    half = len(body) // 2
    with RawConn(srv, timeout=10) as c:
        c.send(b"POST /sandbox/echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
               b"Accept: application/json\r\nContent-Length: %d\r\n\r\n" % len(body))
        c.send(body[:half])
        time.sleep(0.5)
        srv.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        assert srv.proc.poll() is None, ("server exited (code %s) with a request in flight\n%s"
                                         % (srv.proc.returncode, srv.stderr_text()[-3000:]))
        # it no longer accepts new connections
        try:
            with socket.create_connection(("127.0.0.1", srv.port), timeout=2) as s2:
                s2.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
                s2.settimeout(1)
                try:
                    late = s2.recv(100)
                except (socket.timeout, ConnectionResetError):
                    late = b""
                assert not late.startswith(b"HTTP/1.1 200"), "a new connection was served after SIGTERM"
        except ConnectionRefusedError:
            pass
        try:
            c.send(body[half:])
            resp = c.read_response()
        except (EOFError, ConnectionResetError, BrokenPipeError) as e:
            pytest.fail("the request in flight at SIGTERM was dropped (%r)\n%s"
                        % (e, srv.stderr_text()[-3000:]))
        assert resp.status == 200, resp
        assert resp.json() == doc
    rc = srv.wait(5)
    srv.stopped_by_test = True
    assert rc == 0, "exit code %s after SIGTERM\n%s" % (rc, srv.stderr_text()[-3000:])


def test_sigterm_with_idle_keepalive_connection_exits_promptly(server_factory):
    srv = server_factory()
    with RawConn(srv, timeout=10) as c:
        c.send(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        assert c.read_response().status == 200
        rc, took = srv.stop(signal.SIGTERM, timeout=5)
        assert rc == 0, "exit code %s (None = still running after 5 s)\n%s" % (rc, srv.stderr_text()[-3000:])
        assert c.is_closed_by_peer(timeout=1)


def test_sigint_exits_0(server_factory):
    srv = server_factory()
    assert healthz_ok(srv)
    rc, took = srv.stop(signal.SIGINT, timeout=5)
    assert rc == 0, "exit code %s (None = still running after 5 s)\n%s" % (rc, srv.stderr_text()[-3000:])
