"""Webhook delivery of the outbox (spec/events.md §1-§6): the envelope field by field, the
signature and the authentication header, routing by partner, paths, retries at the configured
schedule (5 attempts, same id), redirects not followed, timeouts and TLS verification, the
operator commands (webhook add|list|remove, events list|replay), /metrics, and delivery across
processes and crashes.

Designed here and checked below: the signing secret is 32 random bytes printed once as 64 hex
characters, and X-Event-Signature is "sha256=" + hex HMAC-SHA256 of the body keyed with those 32
bytes; --webhook-retry-schedule sets the four waits (tests use 300 ms); --event-account and
--event-region fill the envelope. A receiver runs on loopback, so the
servers run with --sandbox (http://127.0.0.1 receivers). The receiver is receivers.HttpReceiver,
scripted per path.
"""

import datetime
import hashlib
import hmac
import json
import os
import re
import signal
import subprocess
import threading
import time
import uuid

import pytest
import requests

from conftest import DB_KIND, ServerPool, add_client, db_exec, db_query, insert_customer, run_cli
from receivers import HttpReceiver, wait_until

ACCOUNT = "408193426112"
REGION = "eu-north-1"
FAST = "300ms,300ms,300ms,300ms"
CONNECTID = "no.mediaconnect.connectid"
CONNECT = "no.mediaconnect.connect"
EXTID = "/capi/v1/client/extid"
EXTID_CUSTOMER = "/capi/v1/client/extid/customer"
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
ENVELOPE_KEYS = ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"]
SENDERS_PER_PROCESS = 8  # events/dispatcher.c SENDERS: POSTs one process has in flight
SERVER_FLAGS = ("--webhook-retry-schedule", FAST, "--event-account", ACCOUNT, "--event-region", REGION,
                "--auth-fail-rate", "0")

# ---------------------------------------------------------------------------------------------
# Fixtures and helpers


@pytest.fixture(scope="module")
def srv():
    pool = ServerPool()
    yield pool.start(*SERVER_FLAGS)
    pool.close()


@pytest.fixture(scope="module")
def rx():
    with HttpReceiver() as r:
        yield r


def prefix():
    return "/t" + uuid.uuid4().hex[:10]


def new_partner():
    return "p" + uuid.uuid4().hex[:10]


WEBHOOK_ID_RE = re.compile(r"^id:\s+(\d+)\s*$", re.M)
SECRET_RE = re.compile(r"^signing_secret:\s+([0-9a-f]{64})\s*$", re.M)


class Webhook:
    def __init__(self, id_, secret):
        self.id = id_
        self.secret = secret


def webhook_add(db, partner, url, events="all", paths=(), auth_header=None, auth_value="Bearer t0k3n",
                sandbox=True):
    args = ["webhook", "add", "--db", db.url, "--partner", partner, "--url", url, "--events", events,
            "--auth-value", auth_value]
    for p in paths:
        args += ["--path", p]
    if auth_header:
        args += ["--auth-header", auth_header]
    if sandbox:
        args.append("--sandbox")
    r = run_cli(*args)
    assert r.returncode == 0, (args, r.stderr)
    return Webhook(int(WEBHOOK_ID_RE.search(r.stdout).group(1)), SECRET_RE.search(r.stdout).group(1))


class Client:
    """A client of partner with a client-mode token, able to call #127 and #128."""

    def __init__(self, server, partner):
        self.server = server
        self.partner = partner
        self.id, self.secret = add_client(server.db.url, grants="client_credentials,extid_code", partner=partner,
                                          extid_types="all")
        r = requests.post(server.url("/user/oauth/token"), auth=(self.id, self.secret),
                          data={"grant_type": "client_credentials"}, timeout=10)
        assert r.status_code == 200, r.text
        self.token = r.json()["access_token"]
        self.session = requests.Session()

    def post(self, path, body, server=None, timeout=10):
        return self.session.post((server or self.server).url(path), json=body, timeout=timeout,
                                 headers={"Authorization": "Bearer " + self.token})

    def register(self, ext=None, server=None):
        """#127; returns the new user's uniqueId."""
        r = self.post(EXTID, {"externalId": ext or "ext-" + uuid.uuid4().hex, "credentialType": "D"}, server)
        assert r.status_code == 200, r.text
        return r.json()["uniqueId"]




def insert_event(db, detail_type, source, detail):
    """An outbox row written directly (no API emits Connect events yet); returns its id."""
    event_id = str(uuid.uuid4())
    now = int(time.time()) * 1000
    db_exec(db, "INSERT INTO outbox (event_id, detail_type, source, detail, created_at) VALUES "
                "('%s', '%s', '%s', '%s', %d)" % (event_id, detail_type, source, json.dumps(detail), now))
    return event_id


def outbox_row(db, event_id):
    rows = db_query(db, "SELECT detail_type, source, detail, created_at FROM outbox WHERE event_id = '%s'"
                    % event_id)
    assert len(rows) == 1, rows
    return rows[0]


def event_ids_of(db, detail_type, unique_id):
    rows = db_query(db, "SELECT event_id, detail FROM outbox WHERE detail_type = '%s'" % detail_type)
    return [e for e, d in rows if json.loads(d).get("uniqueId") == unique_id]


def envelope(req):
    return json.loads(req["body"])


def header(req, name):
    """A request header by name, whatever its case; None when absent."""
    return {k.lower(): v for k, v in req["headers"].items()}.get(name.lower())


def signature_ok(req, secret):
    want = "sha256=" + hmac.new(bytes.fromhex(secret), req["body"], hashlib.sha256).hexdigest()
    return hmac.compare_digest(header(req, "X-Event-Signature") or "", want)


def metric(server, name):
    text = requests.get(server.url("/metrics"), timeout=5).text
    m = re.search(r"^%s (\d+)$" % re.escape(name), text, re.M)
    assert m, (name, text[-600:])
    return int(m.group(1))


def events_list(db, *flags):
    r = run_cli("events", "list", "--db", db.url, *flags)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split()[:3] == ["EVENT", "ID", "TIME"], lines[0]
    return [line.split(None, 6) for line in lines[1:]]


def iso(ms):
    return datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------------------
# The delivery request (§3, §4)


def test_envelope_headers_and_signature_of_a_user_created_event(srv, rx):
    partner, base = new_partner(), prefix()
    client = Client(srv, partner)
    hook = webhook_add(srv.db, partner, rx.url + base, events="USER_CREATED,USER_CUSTOMER_LINKED",
                       paths=["/all"], auth_value="Bearer 9f2c4e1a7b3d5f60")
    uid = client.register()
    wait_until(lambda: rx.at(base + "/all"))
    time.sleep(0.3)
    got = rx.at(base + "/all")
    assert len(got) == 1, got
    req = got[0]
    assert req["method"] == "POST"
    assert header(req, "Content-Type") == "application/json;charset=UTF-8"
    assert header(req, "Authorization") == "Bearer 9f2c4e1a7b3d5f60"
    assert re.match(r"^sha256=[0-9a-f]{64}$", header(req, "X-Event-Signature"))
    assert signature_ok(req, hook.secret)
    assert not signature_ok(req, "00" * 32)

    env = envelope(req)
    assert list(env) == ENVELOPE_KEYS
    assert env["version"] == "0"
    [event_id] = event_ids_of(srv.db, "USER_CREATED", uid)
    assert env["id"] == event_id and UUID_RE.match(env["id"])
    assert env["detail-type"] == "USER_CREATED"
    assert env["source"] == CONNECTID
    assert env["account"] == ACCOUNT
    _, _, _, created_at = outbox_row(srv.db, event_id)
    assert TIME_RE.match(env["time"]) and env["time"] == iso(int(created_at))
    assert env["region"] == REGION
    assert env["resources"] == []
    assert env["detail"] == {"uniqueId": uid, "clientId": client.id, "credentialType": "D", "origin": "EXTID",
                             "schema": partner.upper()}


def test_user_customer_linked_goes_to_its_own_path_with_the_fields_of_6_2(srv, rx):
    partner, base = new_partner(), prefix()
    client = Client(srv, partner)
    webhook_add(srv.db, partner, rx.url + base, events="USER_CREATED,USER_CUSTOMER_LINKED",
                paths=["/any", "USER_CUSTOMER_LINKED=/linked"])
    cust = insert_customer(srv.db, partner)
    r = client.post(EXTID_CUSTOMER, {"externalId": "ext-" + uuid.uuid4().hex, "credentialType": "D",
                                     "customerNumber": cust})
    assert r.status_code == 200, r.text
    uid = r.json()["uniqueId"]
    linked = wait_until(lambda: rx.at(base + "/linked"))
    created = wait_until(lambda: rx.at(base + "/any"))
    assert [envelope(q)["detail-type"] for q in linked] == ["USER_CUSTOMER_LINKED"]
    assert [envelope(q)["detail-type"] for q in created] == ["USER_CREATED"]
    assert envelope(linked[0])["detail"] == {"uniqueId": uid, "clientId": client.id, "schema": partner.upper(),
                                          "customer": cust}
    assert envelope(created[0])["detail"]["origin"] == "EXTID"


def test_a_subscription_gets_only_the_types_it_names(srv, rx):
    partner, base = new_partner(), prefix()
    client = Client(srv, partner)
    webhook_add(srv.db, partner, rx.url + base, events="USER_CUSTOMER_LINKED")
    cust = insert_customer(srv.db, partner)
    assert client.post(EXTID_CUSTOMER, {"externalId": "e" + uuid.uuid4().hex, "credentialType": "D",
                                        "customerNumber": cust}).status_code == 200
    wait_until(lambda: rx.at(base))
    time.sleep(0.5)  # USER_CREATED was committed with it: it would have arrived by now
    assert [envelope(q)["detail-type"] for q in rx.under(base)] == ["USER_CUSTOMER_LINKED"]


def test_a_custom_auth_header_is_sent(srv, rx):
    partner, base = new_partner(), prefix()
    client = Client(srv, partner)
    webhook_add(srv.db, partner, rx.url + base, auth_header="X-Api-Key", auth_value="k-123 456")
    client.register()
    [req] = wait_until(lambda: rx.at(base))
    assert header(req, "X-Api-Key") == "k-123 456"
    assert header(req, "Authorization") is None


# ---------------------------------------------------------------------------------------------
# Routing (§2)


def test_events_of_another_partner_never_arrive(srv, rx):
    pa, pb, base = new_partner(), new_partner(), prefix()
    a, b = Client(srv, pa), Client(srv, pb)
    webhook_add(srv.db, pa, rx.url + base + "/a")
    webhook_add(srv.db, pb, rx.url + base + "/b")
    uid_b = b.register()
    # Connect events by detail.schema; ConnectID events by clientId first, then schema.
    connect_b = insert_event(srv.db, "CONSENT_GIVEN", CONNECT, {"schema": pb.upper(), "consentId": 1})
    by_schema = insert_event(srv.db, "METADATA_CHANGED", CONNECTID, {"uniqueId": "u1", "schema": pb.upper()})
    client_wins = insert_event(srv.db, "METADATA_CHANGED", CONNECTID, {"uniqueId": "u2", "clientId": a.id,
                                                                      "schema": pb.upper()})
    nowhere = insert_event(srv.db, "METADATA_CHANGED", CONNECTID, {"uniqueId": "u3"})
    unknown_schema = insert_event(srv.db, "CONSENT_GIVEN", CONNECT, {"schema": "NO-SUCH-SCHEMA"})
    ids_b = lambda: {envelope(q)["id"] for q in rx.at(base + "/b")}  # noqa: E731
    wait_until(lambda: {connect_b, by_schema} <= ids_b() and rx.at(base + "/a"))

    def states():
        lines = {line[0]: line[4] for line in events_list(srv.db, "--limit", "500")}
        return lines.get(nowhere), lines.get(unknown_schema)

    wait_until(lambda: states() == ("no-subscriber", "no-subscriber"))
    time.sleep(0.3)
    assert {envelope(q)["detail"].get("uniqueId") for q in rx.at(base + "/b")} == {uid_b, None, "u1"}
    assert [envelope(q)["id"] for q in rx.at(base + "/a")] == [client_wins]


# ---------------------------------------------------------------------------------------------
# Retries (§5)


def test_a_receiver_failing_twice_gets_three_attempts_with_the_same_id(srv, rx):
    partner, base = new_partner(), prefix()
    client = Client(srv, partner)
    hook = webhook_add(srv.db, partner, rx.url + base)
    rx.script(base, [500, 503, 200])
    before = metric(srv, "connectd_webhook_retried_total")
    client.register()
    wait_until(lambda: len(rx.at(base)) >= 3)
    time.sleep(1.0)
    got = rx.at(base)
    assert len(got) == 3, got
    assert len({envelope(q)["id"] for q in got}) == 1
    assert len({q["body"] for q in got}) == 1 and all(signature_ok(q, hook.secret) for q in got)
    gaps = [b["at"] - a["at"] for a, b in zip(got, got[1:])]
    assert all(g >= 0.25 for g in gaps), gaps  # the 300 ms schedule, from the previous failure
    assert metric(srv, "connectd_webhook_retried_total") - before >= 2
    event_id = envelope(got[0])["id"]
    [line] = [ln for ln in events_list(srv.db) if ln[0] == event_id]
    assert line[3:6] == [str(hook.id), "delivered", "3"], line


def test_a_receiver_that_always_fails_gets_exactly_five_attempts_and_the_event_is_dropped(srv, rx):
    partner, base = new_partner(), prefix()
    client = Client(srv, partner)
    hook = webhook_add(srv.db, partner, rx.url + base)
    rx.script(base, [503])
    dropped = metric(srv, "connectd_webhook_dropped_total")
    client.register()
    wait_until(lambda: len(rx.at(base)) >= 5)
    time.sleep(1.5)  # a sixth attempt would come 300 ms after the fifth
    got = rx.at(base)
    assert len(got) == 5, got
    event_id = envelope(got[0])["id"]
    assert {envelope(q)["id"] for q in got} == {event_id}
    wait_until(lambda: metric(srv, "connectd_webhook_dropped_total") == dropped + 1)
    failed = [ln for ln in events_list(srv.db, "--failed") if ln[0] == event_id]
    assert failed and failed[0][3:7] == [str(hook.id), "dropped", "5", "HTTP 503"], failed
    wait_until(lambda: re.search(r"WARN webhook: dropped event %s \(USER_CREATED\) for subscription %d after 5 "
                                  r"attempts: HTTP 503" % (event_id, hook.id), srv.stderr_text()))


def test_replay_delivers_a_dropped_event_again_with_the_same_id(srv, rx):
    partner, base = new_partner(), prefix()
    client = Client(srv, partner)
    webhook_add(srv.db, partner, rx.url + base)
    rx.script(base, [500, 500, 500, 500, 500, 200])
    client.register()
    wait_until(lambda: len(rx.at(base)) >= 5)
    event_id = envelope(rx.at(base)[0])["id"]
    wait_until(lambda: [ln[4] for ln in events_list(srv.db, "--failed") if ln[0] == event_id] == ["dropped"])
    r = run_cli("events", "replay", event_id, "--db", srv.db.url)
    assert r.returncode == 0, r.stderr
    assert "1 delivery queued" in r.stdout
    wait_until(lambda: len(rx.at(base)) >= 6)
    got = rx.at(base)
    assert len(got) == 6 and envelope(got[5])["id"] == event_id
    wait_until(lambda: [ln[4:6] for ln in events_list(srv.db) if ln[0] == event_id] == [["delivered", "1"]])
    assert not [ln for ln in events_list(srv.db, "--failed") if ln[0] == event_id]


def test_replay_of_an_unknown_event_fails(srv):
    r = run_cli("events", "replay", str(uuid.uuid4()), "--db", srv.db.url)
    assert r.returncode == 1 and "no event with id" in r.stderr


def test_redirects_are_not_followed(srv, rx):
    partner, base = new_partner(), prefix()
    client = Client(srv, partner)
    webhook_add(srv.db, partner, rx.url + base + "/hook")
    rx.script(base + "/hook", [302], location=rx.url + base + "/elsewhere")
    client.register()
    wait_until(lambda: len(rx.at(base + "/hook")) >= 5)
    time.sleep(1.0)
    assert len(rx.at(base + "/hook")) == 5
    assert rx.at(base + "/elsewhere") == []
    event_id = envelope(rx.at(base + "/hook")[0])["id"]
    wait_until(lambda: [ln[4:7] for ln in events_list(srv.db, "--failed") if ln[0] == event_id]
                == [["dropped", "5", "HTTP 302"]])


def test_no_answer_within_10_seconds_is_a_failed_attempt(srv, rx):
    partner, base = new_partner(), prefix()
    client = Client(srv, partner)
    webhook_add(srv.db, partner, rx.url + base)
    rx.script(base, [200], delay=12, delay_first=1)
    client.register()
    wait_until(lambda: len(rx.at(base)) >= 2, timeout=25)
    got = rx.at(base)
    assert len(got) == 2, got
    assert 9.5 <= got[1]["at"] - got[0]["at"] <= 12, got[1]["at"] - got[0]["at"]
    assert got[0]["body"] == got[1]["body"]


def test_removing_a_subscription_stops_its_deliveries(srv, rx):
    partner, base = new_partner(), prefix()
    client = Client(srv, partner)
    hook = webhook_add(srv.db, partner, rx.url + base)
    rx.script(base, [500])
    client.register()
    wait_until(lambda: rx.at(base))
    r = run_cli("webhook", "remove", str(hook.id), "--db", srv.db.url)
    assert r.returncode == 0, r.stderr
    n = len(rx.at(base))
    time.sleep(1.5)
    assert len(rx.at(base)) <= n + 1  # at most the attempt that was already on its way
    assert run_cli("webhook", "remove", "--id", str(hook.id), "--db", srv.db.url).returncode == 1


# ---------------------------------------------------------------------------------------------
# Transport rules: https only (sandbox loopback aside), TLS verified


def test_a_server_without_sandbox_refuses_http_even_for_a_stored_subscription(server_factory, rx):
    s = server_factory(*SERVER_FLAGS, sandbox=False)
    partner, base = new_partner(), prefix()
    client = Client(s, partner)
    webhook_add(s.db, partner, rx.url + base)  # added with --sandbox
    client.register()
    wait_until(lambda: [ln for ln in events_list(s.db, "--failed") if ln[4] == "dropped"], timeout=20)
    [line] = events_list(s.db, "--failed")
    assert "http is allowed only for loopback hosts with --sandbox" in line[6], line
    assert rx.at(base) == []


def make_certificate(directory):
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def test_tls_certificates_are_verified(server_factory, tmp_path):
    cert, key = make_certificate(str(tmp_path))
    trx = HttpReceiver(tls=(cert, key))
    try:
        untrusting = server_factory(*SERVER_FLAGS)
        trusting = server_factory(*SERVER_FLAGS, "--webhook-ca-file", cert)
        for s in (untrusting, trusting):
            partner = new_partner()
            client = Client(s, partner)
            webhook_add(s.db, partner, trx.url + "/" + partner, sandbox=False)
            client.register()
        wait_until(lambda: len(trx.under("/")) >= 1)
        wait_until(lambda: events_list(untrusting.db, "--failed") and
                    events_list(untrusting.db, "--failed")[0][4] == "dropped", timeout=20)
        [line] = events_list(untrusting.db, "--failed")
        assert "certificate" in line[6].lower(), line
        assert [ln[4] for ln in events_list(trusting.db)] == ["delivered"]
        assert len(trx.under("/")) == 1
    finally:
        trx.close()


# ---------------------------------------------------------------------------------------------
# Operator commands


def test_webhook_list_shows_settings_but_never_the_secret_or_auth_value(srv, rx):
    partner = new_partner()
    Client(srv, partner)
    hook = webhook_add(srv.db, partner, rx.url + "/listed", events="USER_CREATED,USER_CUSTOMER_LINKED",
                       paths=["USER_CREATED=/c"], auth_value="Bearer secret-value-123")
    r = run_cli("webhook", "list", "--db", srv.db.url, "--partner", partner)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 2, lines
    cols = lines[1].split()
    assert cols[:5] == [str(hook.id), partner, rx.url + "/listed", "-", "Authorization"], cols
    assert cols[5] == hashlib.sha256(hook.secret.encode()).hexdigest()[:12]
    assert cols[-1] == "USER_CREATED=/c,USER_CUSTOMER_LINKED"
    assert hook.secret not in r.stdout and "secret-value-123" not in r.stdout


ADD_DEFAULTS = {"--url": "https://hooks.example.no/connect", "--events": "all", "--auth-value": "Bearer x"}


@pytest.mark.parametrize("changes,extra,rule", [
    ({"--auth-value": None}, [], "--auth-value are required"),
    ({"--url": "http://hooks.example.no/x"}, [], "must be an https URL"),
    ({"--url": "http://127.0.0.1:9/x"}, [], "with --sandbox"),
    ({"--url": "http://10.0.0.1/x"}, ["--sandbox"], "only for loopback hosts"),
    ({"--url": "ftp://127.0.0.1/x"}, ["--sandbox"], "must be an https URL, not ftp"),
    ({"--url": "https://user:pw@hooks.example.no/x"}, [], "user name or password"),
    ({"--url": "https://hooks.example.no/x?token=1"}, [], "query string"),
    ({"--url": "hooks.example.no/x"}, [], "absolute URL"),
    ({"--events": "USER_CREATED,NO_SUCH_EVENT"}, [], "NO_SUCH_EVENT"),
    ({}, ["--path", "relative"], "must start with '/'"),
    ({}, ["--path", "/a", "--path", "/b"], "only one path"),
    ({"--events": "USER_CREATED"}, ["--path", "ORDER_COMPLETED=/o"], "does not list"),
    ({}, ["--auth-header", "Bad Header"], "--auth-header"),
    ({}, ["--auth-header", "X-Event-Signature"], "set by the dispatcher"),
    ({"--auth-value": "line\nbreak"}, [], "--auth-value"),
])
def test_webhook_add_with_a_bad_setting_is_a_usage_error_and_adds_nothing(srv, changes, extra, rule):
    partner = new_partner()
    Client(srv, partner)
    settings = dict(ADD_DEFAULTS, **changes)
    cmd = ["webhook", "add", "--db", srv.db.url, "--partner", partner]
    for k, v in settings.items():
        if v is not None:
            cmd += [k, v]
    r = run_cli(*(cmd + extra))
    assert r.returncode == 2, (cmd + extra, r.stdout, r.stderr)
    assert rule in r.stderr, r.stderr
    assert partner not in run_cli("webhook", "list", "--db", srv.db.url).stdout


def test_webhook_add_for_an_unknown_partner_fails(srv):
    r = run_cli("webhook", "add", "--db", srv.db.url, "--partner", "nobody-" + uuid.uuid4().hex[:6], "--url",
                "https://hooks.example.no/x", "--events", "all", "--auth-value", "Bearer x")
    assert r.returncode == 1 and "no partner" in r.stderr


def test_an_https_url_needs_no_sandbox_and_the_secret_is_new_each_time(srv):
    partner = new_partner()
    Client(srv, partner)
    a = webhook_add(srv.db, partner, "https://hooks.example.no/connect", sandbox=False)
    b = webhook_add(srv.db, partner, "https://hooks.example.no/connect", sandbox=False)
    assert a.id != b.id and a.secret != b.secret


# ---------------------------------------------------------------------------------------------
# Several processes, crashes


def register_many(client, n, servers, threads=8):
    """n registrations spread over servers; returns the uniqueIds acknowledged."""
    done, lock, errors = [], threading.Lock(), []

    def work(k):
        s = requests.Session()
        for i in range(k, n, threads):
            target = servers[i % len(servers)]
            try:
                r = s.post(target.url(EXTID), json={"externalId": "m-" + uuid.uuid4().hex, "credentialType": "D"},
                           headers={"Authorization": "Bearer " + client.token}, timeout=10)
            except requests.RequestException as e:
                errors.append(e)
                continue
            if r.status_code == 200:
                with lock:
                    done.append(r.json()["uniqueId"])

    ts = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return done, errors


def delivered_users(rx, base):
    """uniqueId -> number of deliveries of its USER_CREATED."""
    out = {}
    for q in rx.under(base):
        env = envelope(q)
        if env["detail-type"] == "USER_CREATED":
            out[env["detail"]["uniqueId"]] = out.get(env["detail"]["uniqueId"], 0) + 1
    return out


def test_two_processes_on_one_database_deliver_each_event_once(server_factory, rx):
    a = server_factory(*SERVER_FLAGS)
    b = server_factory(*SERVER_FLAGS, db=a.db)
    partner, base = new_partner(), prefix()
    client = Client(a, partner)
    webhook_add(a.db, partner, rx.url + base, events="USER_CREATED")
    n = 1000 if DB_KIND == "postgresql" else 200
    uids, errors = register_many(client, n, [a, b])
    assert not errors and len(uids) == n
    wait_until(lambda: len(delivered_users(rx, base)) >= n, timeout=60)
    time.sleep(1.0)
    counts = delivered_users(rx, base)
    assert set(counts) == set(uids)
    assert [u for u, c in counts.items() if c != 1] == []
    if DB_KIND == "postgresql":  # both dispatch (SQLite: one per file, the other stands by)
        assert metric(a, "connectd_webhook_delivered_total") > 0
        assert metric(b, "connectd_webhook_delivered_total") > 0
    assert metric(a, "connectd_webhook_delivered_total") + metric(b, "connectd_webhook_delivered_total") == n
    wait_until(lambda: metric(a, "connectd_outbox_backlog") == 0)


def test_when_one_of_two_processes_is_killed_the_other_delivers_everything(server_factory, rx):
    a = server_factory(*SERVER_FLAGS)
    b = server_factory(*SERVER_FLAGS, db=a.db)
    # Kill a process that is delivering: on PostgreSQL both are, on SQLite the one holding the
    # file lock (the first). The registrations go through the other one.
    victim, survivor = (b, a) if DB_KIND == "postgresql" else (a, b)
    partner, base = new_partner(), prefix()
    client = Client(survivor, partner)
    webhook_add(a.db, partner, rx.url + base, events="USER_CREATED")
    rx.script(base, [200], delay=0.04)  # slow enough that the kill lands halfway
    n = 1000 if DB_KIND == "postgresql" else 300
    result = {}
    t = threading.Thread(target=lambda: result.update(zip(("uids", "errors"),
                                                          register_many(client, n, [survivor]))))
    t.start()
    if DB_KIND == "postgresql":
        wait_until(lambda: metric(victim, "connectd_webhook_delivered_total") > 0, timeout=30)
    wait_until(lambda: len(delivered_users(rx, base)) >= n // 2, timeout=60)
    at_kill = len(delivered_users(rx, base))
    victim.stop(signal.SIGKILL)
    t.join()
    uids = result["uids"]
    assert not result["errors"] and len(uids) == n
    assert at_kill < n  # it was killed halfway indeed
    # The victim's claims come free when their lease runs out (20 s) on PostgreSQL; on SQLite
    # the survivor takes the file lock within a second and gives every old lease back.
    wait_until(lambda: set(uids) <= set(delivered_users(rx, base)), timeout=60)
    # Posted by the victim but not recorded: delivered again once its lease runs out.
    wait_until(lambda: metric(survivor, "connectd_outbox_backlog") == 0, timeout=45)
    twice = [u for u, c in delivered_users(rx, base).items() if c > 1]
    assert len(twice) <= SENDERS_PER_PROCESS, twice  # at most what the victim had in flight


def test_acknowledged_registrations_survive_sigkill_and_are_delivered_after_restart(server_factory, rx):
    s = server_factory(*SERVER_FLAGS)
    partner, base = new_partner(), prefix()
    client = Client(s, partner)
    webhook_add(s.db, partner, rx.url + base, events="USER_CREATED")
    rx.script(base, [200], delay=0.05)  # slower than the registrations: a backlog at the crash
    acked, stop = [], threading.Event()

    def hammer():
        sess = requests.Session()
        while not stop.is_set():
            try:
                r = sess.post(s.url(EXTID), json={"externalId": "c-" + uuid.uuid4().hex, "credentialType": "D"},
                              headers={"Authorization": "Bearer " + client.token}, timeout=5)
            except requests.RequestException:
                return
            if r.status_code == 200:
                acked.append(r.json()["uniqueId"])

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    wait_until(lambda: len(acked) >= 100, timeout=30)
    s.stop(signal.SIGKILL)
    stop.set()
    for t in threads:
        t.join()
    assert len(delivered_users(rx, base)) < len(acked)  # some were not delivered yet
    rx.script(base, [200])
    s2 = server_factory(*SERVER_FLAGS, db=s.db)
    wait_until(lambda: set(acked) <= set(delivered_users(rx, base)), timeout=60)
    wait_until(lambda: metric(s2, "connectd_outbox_backlog") == 0, timeout=30)
