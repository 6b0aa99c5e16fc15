"""Fixtures for the black-box API tests: a real connectd on a free loopback port, a fresh database.

Every test talks to a real `connectd serve` over TCP; nothing is mocked. The binary is
build/connectd unless CONNECTD_BIN says otherwise (the sanitizer build reuses these tests).
The database kind comes from CONNECTD_TEST_DB=sqlite|postgresql (default sqlite); for
PostgreSQL, CONNECTD_TEST_PG_URL is an admin URL (scripts/pg-test.sh prints one) from which
each server gets its own freshly created database, dropped again at teardown. Temp dirs
(database file, access log, stdout/stderr) are removed at teardown unless CONNECTD_TEST_KEEP=1.

Fixtures:
  server          session-scoped server (--sandbox --workers 2 --auth-fail-rate 0) for tests
                  that only read (every test comes from 127.0.0.1, so the per-address limit of
                  failed authentications is off there; test it on a server_factory server).
                  Every server gets --gui-rate 0 unless the test passes its own --gui-rate.
  server_factory  starts extra servers with their own flags; stops them at the test's end.
                  server_factory(db=other.db) starts a second server on another's database.
  fresh_db        a fresh database URL without a server (for CLI tests)
Helpers (import from conftest): raw_exchange, RawConn, http_request, parse_xml, run_cli,
add_client, db_query/db_exec (SQL run directly on a server's database).
"""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit, urlunsplit

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CONNECTD_BIN = os.environ.get("CONNECTD_BIN") or os.path.join(REPO, "build", "connectd")
DB_KIND = os.environ.get("CONNECTD_TEST_DB", "sqlite")
PG_ADMIN_URL = os.environ.get("CONNECTD_TEST_PG_URL", "")

READY_TIMEOUT = 10.0  # seconds for "listening on" to appear
STOP_TIMEOUT = 5.0  # seconds a server has to exit after SIGTERM

# Lines that a sanitizer build writes when it finds a bug; any of them fails the test.
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "WARNING: ThreadSanitizer", "ERROR: ThreadSanitizer")

JSON_CT = "application/json;charset=UTF-8"
XML_CT = "application/xml;charset=UTF-8"
TEXT_XML_CT = "text/xml;charset=UTF-8"


def pytest_report_header(config):
    return "connectd: %s, database: %s" % (CONNECTD_BIN, DB_KIND)


def pytest_configure(config):
    config.addinivalue_line("markers", "postgresql_only: needs CONNECTD_TEST_DB=postgresql")


def pytest_collection_modifyitems(config, items):
    if DB_KIND == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs CONNECTD_TEST_DB=postgresql")
    for item in items:
        if "postgresql_only" in item.keywords:
            item.add_marker(skip)


# ---------------------------------------------------------------------------------------------
# Databases


def free_port():
    """A loopback TCP port that is free right now (the kernel's choice, so rarely reused soon)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _psql(url, sql):
    r = subprocess.run(["psql", "-qAtX", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise RuntimeError("psql failed (%s): %s" % (sql, r.stderr.strip()))
    return r.stdout


class Database:
    """One fresh database: a SQLite file in a temp dir, or a new PostgreSQL database."""

    def __init__(self, tmpdir):
        self.kind = DB_KIND
        if self.kind == "sqlite":
            self.url = "sqlite:" + os.path.join(tmpdir, "connectd.db")
            self.name = None
        elif self.kind == "postgresql":
            if not PG_ADMIN_URL:
                raise RuntimeError("CONNECTD_TEST_DB=postgresql needs CONNECTD_TEST_PG_URL "
                                   "(run scripts/pg-test.sh)")
            self.name = "connectd_t_%d_%s" % (os.getpid(), uuid.uuid4().hex[:10])
            _psql(PG_ADMIN_URL, 'CREATE DATABASE "%s"' % self.name)
            parts = urlsplit(PG_ADMIN_URL)
            self.url = urlunsplit((parts.scheme, parts.netloc, "/" + self.name, parts.query, ""))
        else:
            raise RuntimeError("CONNECTD_TEST_DB must be sqlite or postgresql, not %r" % self.kind)

    def drop(self):
        if self.kind == "postgresql" and self.name:
            _psql(PG_ADMIN_URL, 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % self.name)
            self.name = None


# ---------------------------------------------------------------------------------------------
# Servers


class Server:
    """A running `connectd serve` process and what a test needs to talk to it."""

    def __init__(self, tmpdir, db, extra_args=(), workers=2, sandbox=True, access_log=None):
        self.tmpdir = tmpdir
        self.db = db
        self.port = free_port()
        self.host = "127.0.0.1"
        self.base_url = "http://127.0.0.1:%d" % self.port
        self.access_log = os.path.join(tmpdir, "access.log") if access_log is None else access_log
        self.stdout_path = os.path.join(tmpdir, "stdout.log")
        self.stderr_path = os.path.join(tmpdir, "stderr.log")
        self.argv = [CONNECTD_BIN, "serve", "--listen", "127.0.0.1:%d" % self.port,
                     "--db", db.url, "--workers", str(workers), "--access-log", self.access_log]
        if sandbox:
            self.argv.append("--sandbox")
        # Every test comes from 127.0.0.1, so the per-address limit of the login pages would
        # throttle the suites that walk them; tests of that limit pass their own --gui-rate.
        if "--gui-rate" not in extra_args:
            self.argv += ["--gui-rate", "0"]
        self.argv += list(extra_args)
        self.stopped_by_test = False
        self._out = open(self.stdout_path, "wb")
        self._err = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=self._out,
                                     stderr=self._err, cwd=tmpdir)
        self._wait_ready()

    # -- diagnostics --------------------------------------------------------------------------

    def stderr_text(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stdout_text(self):
        with open(self.stdout_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def describe(self):
        return ("command: %s\nexit code: %s\n--- stderr ---\n%s\n--- stdout (tail) ---\n%s"
                % (" ".join(self.argv), self.proc.poll(), self.stderr_text()[-8000:],
                   self.stdout_text()[-2000:]))

    def _wait_ready(self):
        want = "listening on 127.0.0.1:%d" % self.port
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if want in self.stderr_text():
                return
            if self.proc.poll() is not None:
                self._close_files()
                pytest.fail("connectd exited before becoming ready\n" + self.describe(),
                            pytrace=False)
            time.sleep(0.02)
        self.proc.kill()
        self.proc.wait()
        self._close_files()
        pytest.fail("connectd did not print %r within %.0f s\n%s" % (want, READY_TIMEOUT,
                                                                   self.describe()), pytrace=False)

    # -- talking to it ------------------------------------------------------------------------

    def url(self, path):
        return self.base_url + path

    def access_log_lines(self):
        """Parsed JSON objects of the access log so far (file given by --access-log)."""
        path = self.stdout_path if self.access_log == "-" else self.access_log
        try:
            with open(path, "rb") as f:
                data = f.read().decode("utf-8")
        except FileNotFoundError:
            return []
        out = []
        for line in data.splitlines():
            if line.strip():
                out.append(json.loads(line))
        return out

    def wait_for_log(self, predicate, count=1, timeout=5.0):
        """Wait until at least `count` access-log entries satisfy predicate; return them."""
        deadline = time.monotonic() + timeout
        while True:
            hits = [e for e in self.access_log_lines() if predicate(e)]
            if len(hits) >= count or time.monotonic() >= deadline:
                return hits
            time.sleep(0.05)

    # -- stopping -----------------------------------------------------------------------------

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout):
        """Exit code, or None if still running after timeout seconds."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Send sig, wait up to timeout; kill if still running. Returns (exit code, seconds)."""
        self.stopped_by_test = True
        return self._stop(sig, timeout)

    def _stop(self, sig, timeout):
        if self.proc.poll() is not None:
            self._close_files()
            return self.proc.returncode, 0.0
        t0 = time.monotonic()
        self.proc.send_signal(sig)
        rc = self.wait(timeout)
        took = time.monotonic() - t0
        if rc is None:
            self.proc.kill()
            self.proc.wait()
        self._close_files()
        return rc, took

    def _close_files(self):
        for f in (self._out, self._err):
            if not f.closed:
                f.close()

    def teardown(self):
        """Stop (if a test didn't) and report problems a test could not see."""
        problems = []
        already = self.proc.poll() is not None
        rc, took = self._stop(signal.SIGTERM, STOP_TIMEOUT)
        if not already and not self.stopped_by_test:
            if rc is None:
                problems.append("did not exit within %.0f s after SIGTERM (killed)" % STOP_TIMEOUT)
            elif rc != 0:
                problems.append("exited with code %s after SIGTERM (expected 0)" % rc)
        elif already and not self.stopped_by_test and rc != 0:
            problems.append("died during the test with exit code %s" % rc)
        err = self.stderr_text()
        for marker in SANITIZER_MARKERS:
            if marker in err:
                problems.append("sanitizer report in stderr (%s)" % marker)
                break
        return problems


class ServerPool:
    """Starts servers in their own temp dirs and tears all of them down at the end."""

    def __init__(self):
        self.servers = []
        self.databases = []
        self.tmpdirs = []

    def tmpdir(self):
        d = tempfile.mkdtemp(prefix="connectd-test-")
        self.tmpdirs.append(d)
        return d

    def database(self, tmpdir=None):
        db = Database(tmpdir or self.tmpdir())
        self.databases.append(db)
        return db

    def start(self, *extra_args, workers=2, sandbox=True, access_log=None, db=None):
        d = self.tmpdir()
        db = db or self.database(d)
        srv = Server(d, db, extra_args, workers=workers, sandbox=sandbox, access_log=access_log)
        self.servers.append(srv)
        return srv

    def close(self):
        problems = []
        for srv in self.servers:
            for p in srv.teardown():
                problems.append("%s: %s\n%s" % (" ".join(srv.argv), p, srv.describe()))
        for db in self.databases:
            try:
                db.drop()
            except Exception as e:  # keep tearing down the rest
                problems.append("dropping database %s: %s" % (db.name, e))
        if os.environ.get("CONNECTD_TEST_KEEP") != "1":
            for d in self.tmpdirs:
                shutil.rmtree(d, ignore_errors=True)
        if problems:
            pytest.fail("\n\n".join(problems), pytrace=False)


@pytest.fixture(scope="session")
def _session_pool():
    pool = ServerPool()
    yield pool
    pool.close()


_SESSION_SERVER = []


@pytest.fixture(scope="session")
def server(_session_pool):
    """The shared server: --sandbox --workers 2 --auth-fail-rate 0, access log in its temp dir."""
    if not os.access(CONNECTD_BIN, os.X_OK):
        pytest.fail("connectd binary not found at %s (build it, or set CONNECTD_BIN)"
                    % CONNECTD_BIN, pytrace=False)
    srv = _session_pool.start("--auth-fail-rate", "0")
    _SESSION_SERVER.append(srv)
    return srv


@pytest.fixture(autouse=True)
def _session_server_still_alive():
    """Blame the test after which the shared server died, with its stderr."""
    yield
    for srv in _SESSION_SERVER:
        if srv.proc.poll() is not None and not getattr(srv, "death_reported", False):
            srv.death_reported = True
            pytest.fail("the shared connectd died during this test\n" + srv.describe(),
                        pytrace=False)


@pytest.fixture
def server_factory():
    """server_factory(*extra_args, workers=2, sandbox=True, access_log=None, db=None) -> Server.

    db=None gives the server a fresh database; db=srv.db starts it on another server's database
    (two processes sharing one PostgreSQL database). That database is dropped with the pool
    that created it.
    """
    if not os.access(CONNECTD_BIN, os.X_OK):
        pytest.fail("connectd binary not found at %s (build it, or set CONNECTD_BIN)"
                    % CONNECTD_BIN, pytrace=False)
    pool = ServerPool()
    yield pool.start
    pool.close()


@pytest.fixture
def fresh_db():
    """A fresh, unmigrated database (Database object with .url) and its temp dir."""
    pool = ServerPool()
    d = pool.tmpdir()
    yield pool.database(d)
    pool.close()


def run_cli(*args, timeout=30):
    """Run `connectd ARGS...`; returns CompletedProcess with text stdout/stderr."""
    return subprocess.run([CONNECTD_BIN] + list(args), capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


CLIENT_SECRET_RE = re.compile(r"^client_secret:\s*(\S+)\s*$", re.M)


def add_client(db_url, client_id=None, grants="client_credentials", secret=None, **options):
    """Register an OAuth client with `connectd client add`; returns (client_id, secret).

    client_id defaults to a fresh unique id (the server caches client settings for up to 5 s,
    so a fresh id per test keeps tests independent). options become flags with dashes:
    access_ttl=600 -> --access-ttl 600; also refresh_ttl, capi_rate, token_rate, partner.
    A list value repeats the flag (redirect_uri=[...]).
    """
    cid = client_id or "t.%s" % uuid.uuid4().hex[:12]
    args = ["client", "add", "--db", db_url, "--id", cid, "--grants", grants]
    if secret is not None:
        args += ["--secret", secret]
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        for v in (value if isinstance(value, (list, tuple)) else [value]):
            args += [flag, str(v)]
    r = run_cli(*args)
    assert r.returncode == 0, "connectd %s failed (%s): %s" % (" ".join(args), r.returncode,
                                                               r.stderr)
    m = CLIENT_SECRET_RE.search(r.stdout)
    assert m, "no 'client_secret: ...' line in the output of client add: %r" % r.stdout
    if secret is not None:
        assert m.group(1) == secret, (m.group(1), secret)
    return cid, m.group(1)


def db_query(db, sql):
    """Rows of one SQL statement on db (a Database), run directly on the database.

    SQLite via the sqlite3 module (busy timeout 10 s), PostgreSQL via psql. Every value comes
    back as text (None for NULL) so callers see the same thing on both engines. Only for SQL
    the test writes itself: there is no parameter binding.
    """
    if db.kind == "sqlite":
        import sqlite3
        path = db.url[len("sqlite:"):]
        conn = sqlite3.connect(path, timeout=10)
        try:
            cur = conn.execute(sql)
            rows = cur.fetchall() if cur.description else []
            conn.commit()
        finally:
            conn.close()
        return [tuple(None if v is None else str(v) for v in row) for row in rows]
    r = subprocess.run(["psql", "-qAtX", "-v", "ON_ERROR_STOP=1", "-F", "\x1f", "-R", "\x1e",
                        "-P", "null=\x1d", db.url, "-c", sql],
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise RuntimeError("psql failed (%s): %s" % (sql, r.stderr.strip()))
    out = []
    for rec in r.stdout.rstrip("\n").split("\x1e"):
        if rec == "":
            continue
        out.append(tuple(None if v == "\x1d" else v for v in rec.split("\x1f")))
    return out


_CUSTOMER_NUMBERS = None


def insert_customer(db, partner, number=None):
    """Insert a bare customer (Kari Nordmann, one e-mail) of partner straight into the database,
    for tests of other areas that only need one to exist; returns its number (fresh by default)."""
    global _CUSTOMER_NUMBERS
    if _CUSTOMER_NUMBERS is None:
        import itertools
        import random
        _CUSTOMER_NUMBERS = itertools.count(random.randrange(10 ** 8, 10 ** 9) * 1000)
    n = number if number is not None else next(_CUSTOMER_NUMBERS)
    now = int(time.time() * 1000)
    db_exec(db, "INSERT INTO customer (customer_number, partner_id, first_name, last_name, company_name, emails, "
                "created_at, updated_at) VALUES (%d, '%s', 'Kari', 'Nordmann', NULL, '[\"kari%d@example.no\"]', "
                "%d, %d)" % (n, partner, n, now, now))
    return n


def db_exec(db, sql):
    """Run one SQL statement that returns no rows (see db_query)."""
    db_query(db, sql)


# ---------------------------------------------------------------------------------------------
# HTTP helpers


def http_request(server, method, path, headers=None, body=None, timeout=10):
    """Send exactly this path (no client-side normalisation) with http.client.

    Returns (status, headers as http.client.HTTPMessage, body bytes).
    """
    conn = http.client.HTTPConnection(server.host, server.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read()
    finally:
        conn.close()


class Response:
    """One HTTP response parsed from raw bytes."""

    def __init__(self, version, status, reason, headers, body, chunked):
        self.version = version
        self.status = status
        self.reason = reason
        self.header_list = headers  # [(name, value)] as received
        self.headers = {}
        for k, v in headers:
            self.headers.setdefault(k.lower(), v)
        self.body = body
        self.chunked = chunked

    def header(self, name):
        return self.headers.get(name.lower())

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "<Response %s %s %r>" % (self.version, self.status, self.body[:200])


class RawConn:
    """A plain TCP connection to send exact bytes and read HTTP responses one by one."""

    def __init__(self, server_or_port, timeout=5.0):
        port = server_or_port if isinstance(server_or_port, int) else server_or_port.port
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("latin-1")
        self.sock.sendall(data)

    def settimeout(self, t):
        self.sock.settimeout(t)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed by server")
        self.buf += chunk

    def _read_line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _read_exact(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_response(self, head=False):
        """Read one response (a 1xx interim response counts as one). head=True: no body."""
        status_line = self._read_line().decode("latin-1")
        m = re.match(r"(HTTP/\d\.\d) (\d{3}) ?(.*)$", status_line)
        if not m:
            raise AssertionError("bad status line %r" % status_line)
        version, status, reason = m.group(1), int(m.group(2)), m.group(3)
        headers = []
        while True:
            line = self._read_line().decode("latin-1")
            if line == "":
                break
            k, _, v = line.partition(":")
            headers.append((k.strip(), v.strip()))
        lower = {k.lower(): v for k, v in headers}
        chunked = "chunked" in lower.get("transfer-encoding", "").lower()
        if head or status < 200 or status in (204, 304):
            body = b""
        elif chunked:
            body = b""
            while True:
                size = int(self._read_line().split(b";")[0], 16)
                if size == 0:
                    while self._read_line() != b"":
                        pass
                    break
                body += self._read_exact(size)
                self._read_exact(2)
        elif "content-length" in lower:
            body = self._read_exact(int(lower["content-length"]))
        else:
            body = self.read_until_close()
        return Response(version, status, reason, headers, body, chunked)

    def read_until_close(self, timeout=None):
        if timeout is not None:
            self.sock.settimeout(timeout)
        while True:
            try:
                self._fill()
            except EOFError:
                break
        out, self.buf = self.buf, b""
        return out

    def is_closed_by_peer(self, timeout=2.0):
        """True if the server closes (FIN or RST) within timeout without sending more data."""
        self.sock.settimeout(timeout)
        try:
            chunk = self.sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False
        if chunk:
            self.buf += chunk
            return False
        return True

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def raw_exchange(server_or_port, data, timeout=5.0):
    """Send data, then read everything until the server closes the connection."""
    with RawConn(server_or_port, timeout=timeout) as c:
        c.send(data)
        try:
            c.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        try:
            return c.read_until_close()
        except ConnectionResetError:
            return c.buf


def parse_xml(body):
    """Parse an XML reply body; returns the root Element."""
    return ET.fromstring(body)


def xml_to_plain(elem):
    """An Element as nested (tag, text-or-children) tuples, whitespace-only text ignored."""
    children = list(elem)
    if children:
        return (elem.tag, [xml_to_plain(c) for c in children])
    return (elem.tag, (elem.text or "").strip() if (elem.text or "").strip() else None)


def assert_error(resp_status, headers, body, status, exception_type, message=None):
    """A JSON API error: status, JSON content type and {"exceptionType","errorMessage"}."""
    assert resp_status == status, (resp_status, body[:500])
    ct = headers.get("Content-Type")
    assert ct == JSON_CT, ct
    doc = json.loads(body)
    assert doc.get("exceptionType") == exception_type, doc
    assert isinstance(doc.get("errorMessage"), str) and doc["errorMessage"], doc
    if message is not None:
        assert doc["errorMessage"] == message, doc
    return doc
