"""Operations surface: /healthz, /readyz, /metrics and the access log (the command line: test_cli.py).

The server contract: GET /healthz and /readyz answer small JSON status objects, /metrics is
Prometheus text (version 0.0.4) with a request counter labelled by route template, a duration
histogram and the outbox backlog gauge; each request writes one JSON access-log line with no
query-string secrets.
"""

import re
import time
import uuid

import pytest
import requests

from conftest import JSON_CT

PROM_CT_RE = re.compile(r"^text/plain;\s*version=0\.0\.4(;\s*charset=utf-8)?$", re.I)
SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$')
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """Prometheus text -> (samples [(name, labels dict, float)], types {name: type})."""
    samples, types = [], {}
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith("#"):
            parts = line.split()
            if len(parts) >= 4 and parts[1] == "TYPE":
                types[parts[2]] = parts[3]
            continue
        m = SAMPLE_RE.match(line)
        assert m, "unparseable metrics line %r" % line
        labels = dict(LABEL_RE.findall(m.group(3) or ""))
        samples.append((m.group(1), labels, float(m.group(4))))
    return samples, types


def get_metrics(server):
    r = requests.get(server.url("/metrics"), timeout=5)
    assert r.status_code == 200
    return parse_metrics(r.text)


def sample_value(samples, name, **labels):
    hits = [v for n, l, v in samples if n == name and all(l.get(k) == v2 for k, v2 in labels.items())]
    return sum(hits) if hits else 0.0


# ---------------------------------------------------------------------------------------------
# Health


def test_healthz_is_200_ok(server):
    r = requests.get(server.url("/healthz"), timeout=5)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == JSON_CT
    assert r.json() == {"status": "ok"}


def test_readyz_is_200_ready(server):
    r = requests.get(server.url("/readyz"), timeout=5)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == JSON_CT
    assert r.json() == {"status": "ready"}


@pytest.mark.postgresql_only
def test_readyz_is_503_when_database_is_gone(server_factory):
    srv = server_factory()
    assert requests.get(srv.url("/readyz"), timeout=5).status_code == 200
    srv.db.drop()  # DROP DATABASE ... WITH (FORCE): kills the server's connections too
    deadline = time.monotonic() + 5
    statuses = []
    while time.monotonic() < deadline:
        r = requests.get(srv.url("/readyz"), timeout=5)
        statuses.append(r.status_code)
        if r.status_code == 503:
            assert r.json() == {"status": "unavailable"}
            break
        time.sleep(0.1)
    else:
        pytest.fail("readyz never answered 503 after the database was dropped: %s" % statuses[-5:])
    # liveness is not readiness: the process itself is fine
    assert requests.get(srv.url("/healthz"), timeout=5).status_code == 200


# ---------------------------------------------------------------------------------------------
# Metrics


def test_metrics_is_prometheus_text(server):
    r = requests.get(server.url("/metrics"), timeout=5)
    assert r.status_code == 200
    assert PROM_CT_RE.match(r.headers["Content-Type"]), r.headers["Content-Type"]
    samples, types = parse_metrics(r.text)
    assert types.get("connectd_http_requests_total") == "counter"
    assert types.get("connectd_http_request_duration_seconds") == "histogram"
    assert types.get("connectd_outbox_backlog") == "gauge"
    names = {n for n, _, _ in samples}
    assert "connectd_outbox_backlog" in names
    assert "connectd_http_request_duration_seconds_sum" in names
    assert "connectd_http_request_duration_seconds_count" in names
    buckets = [(l["le"], v) for n, l, v in samples if n == "connectd_http_request_duration_seconds_bucket"]
    assert any(le == "+Inf" for le, _ in buckets), buckets


def test_request_counter_increases_after_requests(server):
    labels = {"method": "GET", "route": "/healthz", "status": "200"}
    before = sample_value(get_metrics(server)[0], "connectd_http_requests_total", **labels)
    for _ in range(3):
        assert requests.get(server.url("/healthz"), timeout=5).status_code == 200
    after = sample_value(get_metrics(server)[0], "connectd_http_requests_total", **labels)
    assert after - before >= 3, (before, after)


def test_request_counter_uses_route_template_and_status(server):
    marker = "m" + uuid.uuid4().hex[:8]
    labels = {"method": "GET", "route": "/sandbox/echo/{value}", "status": "200"}
    before = sample_value(get_metrics(server)[0], "connectd_http_requests_total", **labels)
    requests.get(server.url("/sandbox/echo/" + marker), timeout=5)
    r = requests.get(server.url("/metrics"), timeout=5)
    after = sample_value(parse_metrics(r.text)[0], "connectd_http_requests_total", **labels)
    assert after - before >= 1
    assert marker not in r.text


def test_unknown_paths_do_not_create_metric_labels(server):
    marker = "u" + uuid.uuid4().hex[:8]
    assert requests.get(server.url("/nothing/" + marker), timeout=5).status_code == 404
    r = requests.get(server.url("/metrics"), timeout=5)
    assert marker not in r.text
    samples, _ = parse_metrics(r.text)
    assert sample_value(samples, "connectd_http_requests_total", method="GET", status="404") >= 1


def test_duration_histogram_counts_requests(server):
    samples, _ = get_metrics(server)
    count_before = sample_value(samples, "connectd_http_request_duration_seconds_count")
    for _ in range(5):
        requests.get(server.url("/healthz"), timeout=5)
    samples, _ = get_metrics(server)
    count_after = sample_value(samples, "connectd_http_request_duration_seconds_count")
    assert count_after - count_before >= 5
    inf = sample_value(samples, "connectd_http_request_duration_seconds_bucket", le="+Inf")
    assert inf == count_after
    assert sample_value(samples, "connectd_http_request_duration_seconds_sum") >= 0
    # buckets are cumulative
    per_le = {}
    for n, l, v in samples:
        if n == "connectd_http_request_duration_seconds_bucket":
            key = float("inf") if l["le"] == "+Inf" else float(l["le"])
            per_le[key] = per_le.get(key, 0) + v
    values = [per_le[k] for k in sorted(per_le)]
    assert values == sorted(values), per_le


def test_outbox_backlog_is_a_number(server):
    samples, _ = get_metrics(server)
    vals = [v for n, _, v in samples if n == "connectd_outbox_backlog"]
    assert vals and all(v >= 0 for v in vals)


# ---------------------------------------------------------------------------------------------
# Access log

ACCESS_KEYS = {"time", "method", "route", "path", "status", "duration_ms", "client"}


def test_access_log_has_one_json_line_per_request(server):
    marker = "a" + uuid.uuid4().hex[:8]
    for i in range(3):
        assert requests.get(server.url("/sandbox/echo/%s-%d" % (marker, i)), timeout=5).status_code == 200
    entries = server.wait_for_log(lambda e: marker in e.get("path", ""), count=3)
    assert len(entries) == 3, entries
    for i, e in enumerate(sorted(entries, key=lambda e: e["path"])):
        assert ACCESS_KEYS <= set(e), e
        assert e["method"] == "GET"
        assert e["route"] == "/sandbox/echo/{value}"
        assert e["path"] == "/sandbox/echo/%s-%d" % (marker, i)
        assert e["status"] == 200
        assert isinstance(e["duration_ms"], (int, float)) and e["duration_ms"] >= 0
        assert e["client"] is None  # the calling OAuth client's id; these requests carry no token
        assert isinstance(e["time"], (str, int, float)) and e["time"]


def test_access_log_records_errors_with_status(server):
    marker = "e" + uuid.uuid4().hex[:8]
    assert requests.post(server.url("/sandbox/echo/" + marker), timeout=5).status_code == 405
    assert requests.get(server.url("/nothing/" + marker), timeout=5).status_code == 404
    entries = server.wait_for_log(lambda e: marker in e.get("path", ""), count=2)
    by_status = {e["status"]: e for e in entries}
    assert set(by_status) == {404, 405}, entries
    assert by_status[405]["method"] == "POST"
    assert by_status[404]["method"] == "GET"
    # the raw unknown path is not a route template (keeps the route label set small)
    assert marker not in str(by_status[404]["route"])


def test_access_log_never_contains_query_secrets(server):
    marker = "s" + uuid.uuid4().hex[:8]
    r = requests.get(server.url("/healthz?client_secret=supersecret&password=hunter2&m=" + marker),
                     timeout=5)
    assert r.status_code == 200
    r = requests.get(server.url("/sandbox/echo/%s?access_token=supersecret" % marker), timeout=5)
    assert r.status_code == 200
    server.wait_for_log(lambda e: marker in e.get("path", ""), count=1)
    time.sleep(0.2)
    with open(server.access_log, "rb") as f:
        log = f.read()
    assert b"supersecret" not in log
    assert b"hunter2" not in log


def test_access_log_dash_writes_to_stdout(server_factory):
    srv = server_factory(access_log="-")
    marker = "o" + uuid.uuid4().hex[:8]
    requests.get(srv.url("/sandbox/echo/" + marker), timeout=5)
    entries = srv.wait_for_log(lambda e: marker in e.get("path", ""))
    assert len(entries) == 1
    assert entries[0]["route"] == "/sandbox/echo/{value}"


def test_access_log_off_writes_nothing(server_factory):
    srv = server_factory(access_log="off")
    for _ in range(3):
        requests.get(srv.url("/healthz"), timeout=5)
    time.sleep(0.3)
    assert srv.stdout_text().strip() == ""
    assert "/healthz" not in srv.stderr_text()
