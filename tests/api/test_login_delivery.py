"""Delivery of the one-time codes (identity.md §4.1) and the limits around the login pages:
e-mail over SMTP and SMS through an HTTP gateway (login/messenger.c), retries, giving up,
no redirects, exactly-once between processes sharing a database, bodies scrubbed outside the
sandbox; the delivery settings' errors; the 24-hour code limits per credential and per
address; the per-address limit of the GUI routes (spec README §10); the Origin guard of the
legacy /user/oauthLogin form.
"""
import json
import re
import urllib.parse
import uuid

import pytest

from conftest import ServerPool, add_client, db_exec, db_query, http_request, run_cli
from receivers import HttpReceiver, SmtpReceiver, wait_until
from test_login_flow import ERR, OK, PASSWORD, Browser, age_codes, email, last_code

FAST_RETRY = ("--message-retry-schedule", "0s,0s,0s,0s")


@pytest.fixture(scope="module")
def own():
    """A server for this module: every code counts toward its address's 30 a day, so these
    tests keep theirs off the shared server."""
    pool = ServerPool()
    yield pool.start()
    pool.close()


def phone():
    return "+479%07d" % (uuid.uuid4().int % 10**7)


def mailbox(server):
    st, _, body = http_request(server, "GET", "/user/sandbox/messages")
    assert st == 200
    return json.loads(body)["messages"]


def message_to(server, recipient):
    found = [m for m in mailbox(server) if m["recipient"] == recipient]
    return found[0] if found else None


def status_of(server, recipient, want):
    m = message_to(server, recipient)
    return m if m and m["status"] == want else None


def web_client(srv):
    cid, _ = add_client(srv.db.url, redirect_host=["example.no"])
    return cid


def start_code(srv, cid, cred, lang=None):
    """createUser with cred: the code page is shown and a code is queued."""
    b = Browser(srv, cid, lang=lang)
    st, _, _ = b.get("/user/createUser")
    assert st == 200
    st, _, page = b.submit(credential=cred)
    assert st == 200 and 'name="code"' in page
    return b


def metric(srv, name, **labels):
    _, _, body = http_request(srv, "GET", "/metrics")
    want = "%s{%s}" % (name, ",".join('%s="%s"' % kv for kv in labels.items()))
    for line in body.decode().splitlines():
        if line.startswith(want + " "):
            return int(line.split()[-1])
    return None


def settled_metric(srv, name, want, **labels):
    """The messenger counts an outcome just after committing it, so a test that has already
    seen the committed status waits briefly for the count to catch up before comparing."""
    try:
        wait_until(lambda: (metric(srv, name, **labels) or 0) >= want, timeout=5)
    except AssertionError:
        pass
    return metric(srv, name, **labels)


# ---- e-mail ---------------------------------------------------------------------------------


def test_code_is_emailed_and_the_emailed_code_logs_in(server_factory):
    with SmtpReceiver() as smtp:
        srv = server_factory("--smtp-url", smtp.url, "--smtp-from", "login@connectd.example")
        cid = web_client(srv)
        cred = email()
        b = start_code(srv, cid, cred)
        wait_until(lambda: smtp.count() == 1)
        mail = smtp.messages[0]
        assert mail["from"] == "<login@connectd.example>"
        assert mail["to"] == ["<%s>" % cred]
        head, _, text = mail["data"].partition("\r\n\r\n")
        headers = dict(line.split(": ", 1) for line in head.split("\r\n"))
        assert headers["From"] == "login@connectd.example"
        assert headers["To"] == cred
        assert headers["Subject"] == "Your one-time code"
        assert headers["Content-Type"] == "text/plain; charset=UTF-8"
        assert re.match(r"<[0-9a-f]{32}@connectd>$", headers["Message-ID"])
        code = re.search(r"\b(\d{6})\b", text).group(1)
        assert "valid for 10 minutes" in text
        st, _, _ = b.submit(code=code)
        st, h, _ = b.submit(password=PASSWORD)
        assert st == 302 and h["Location"] == OK
        m = wait_until(lambda: status_of(srv, cred, "sent"))
        assert m["attempts"] == 1 and m["channel"] == "email" and "sent" in m


def test_norwegian_reader_gets_a_norwegian_email(server_factory):
    with SmtpReceiver() as smtp:
        srv = server_factory("--smtp-url", smtp.url, "--smtp-from", "login@connectd.example")
        start_code(srv, web_client(srv), email(), lang="nb")
        wait_until(lambda: smtp.count() == 1)
        data = smtp.messages[0]["data"]
        assert "Subject: Din engangskode\r\n" in data
        assert "Engangskoden din er " in data and "gyldig i 10 minutter" in data


def test_temporary_smtp_failure_is_retried(server_factory):
    with SmtpReceiver(fail_rcpt=1) as smtp:
        srv = server_factory("--smtp-url", smtp.url, "--smtp-from", "login@connectd.example", *FAST_RETRY)
        cred = email()
        start_code(srv, web_client(srv), cred)
        m = wait_until(lambda: status_of(srv, cred, "sent"))
        assert m["attempts"] == 2
        assert smtp.count() == 1
        assert settled_metric(srv, "connectd_messages_total", 1, channel="email", outcome="retried") == 1
        assert settled_metric(srv, "connectd_messages_total", 1, channel="email", outcome="sent") == 1


def test_outside_the_sandbox_a_sent_body_is_scrubbed(server_factory):
    with SmtpReceiver() as smtp:
        srv = server_factory("--smtp-url", smtp.url, "--smtp-from", "login@connectd.example", sandbox=False)
        cred = email()
        start_code(srv, web_client(srv), cred)
        wait_until(lambda: smtp.count() == 1)
        rows = wait_until(lambda: [r for r in db_query(srv.db, "SELECT body, sent_at FROM message WHERE "
                                                       "recipient = '%s'" % cred) if r[1] is not None])
        assert rows == [("", rows[0][1])]
        assert re.search(r"\b\d{6}\b", smtp.messages[0]["data"])  # the code went out, and only out


# ---- SMS --------------------------------------------------------------------------------------


def test_code_is_posted_to_the_sms_gateway_with_its_header(server_factory):
    with HttpReceiver() as gw:
        srv = server_factory("--sms-url", gw.url + "/send?route=1", "--sms-header", "Authorization: Bearer s3cr3t")
        cred = phone()
        b = start_code(srv, web_client(srv), cred)
        wait_until(lambda: gw.count() == 1)
        req = gw.requests[0]
        assert req["path"] == "/send?route=1"
        assert req["headers"]["Authorization"] == "Bearer s3cr3t"
        assert req["headers"]["Content-Type"] == "application/json;charset=UTF-8"
        body = json.loads(req["body"])
        assert list(body) == ["to", "message"] and body["to"] == cred
        code = re.search(r"\b(\d{6})\b", body["message"]).group(1)
        b.submit(code=code)
        st, h, _ = b.submit(password=PASSWORD)
        assert st == 302 and h["Location"] == OK
        assert wait_until(lambda: status_of(srv, cred, "sent"))["channel"] == "sms"
        assert "s3cr3t" not in srv.stderr_text()


def test_failing_gateway_gets_five_attempts_then_the_message_is_given_up(server_factory):
    with HttpReceiver(default_status=500) as gw:
        srv = server_factory("--sms-url", gw.url, *FAST_RETRY)
        cred = phone()
        start_code(srv, web_client(srv), cred)
        m = wait_until(lambda: status_of(srv, cred, "failed"))
        assert m["attempts"] == 5
        assert m["lastError"] == "the SMS gateway answered HTTP 500"
        assert gw.count() == 5
        assert settled_metric(srv, "connectd_messages_total", 1, channel="sms", outcome="failed") == 1
        assert settled_metric(srv, "connectd_messages_total", 4, channel="sms", outcome="retried") == 4
        assert "given up after 5 attempts" in srv.stderr_text()
        code = re.search(r"\b(\d{6})\b", m["body"]).group(1)
        assert code not in srv.stderr_text()  # never a code in the log


def test_gateway_redirect_is_not_followed(server_factory):
    with HttpReceiver() as elsewhere, HttpReceiver(statuses=[302], redirect_to=elsewhere.url) as gw:
        srv = server_factory("--sms-url", gw.url, "--message-retry-schedule", "0s,0s,0s,0s")
        cred = phone()
        start_code(srv, web_client(srv), cred)
        m = wait_until(lambda: status_of(srv, cred, "sent"))
        assert m["attempts"] == 2  # the 302 counted as a failure, the retry succeeded
        assert gw.count() == 2 and elsewhere.count() == 0


def test_two_processes_on_one_database_send_each_message_once(server_factory):
    with HttpReceiver() as gw:
        a = server_factory("--sms-url", gw.url)
        b = server_factory("--sms-url", gw.url, db=a.db)
        cid = web_client(a)
        creds = [phone() for _ in range(12)]
        for i, cred in enumerate(creds):
            start_code(a if i % 2 else b, cid, cred)
        wait_until(lambda: gw.count() >= len(creds))
        wait_until(lambda: all(status_of(a, c, "sent") for c in creds))
        assert sorted(m["to"] for m in gw.json_bodies()) == sorted(creds)


def test_without_a_channel_the_code_stays_in_the_mailbox(own):
    cid = web_client(own)
    cred = phone()
    start_code(own, cid, cred)
    m = message_to(own, cred)
    assert m["status"] == "queued" and m["attempts"] == 0 and re.search(r"\b\d{6}\b", m["body"])


# ---- settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize("args, message", [
    (["--smtp-url", "smtp://127.0.0.1:25"], "smtp-from: is required with smtp-url"),
    (["--smtp-url", "http://127.0.0.1:25", "--smtp-from", "a@b.no"], "smtp-url: must be smtp://"),
    (["--smtp-url", "smtp://127.0.0.1:25", "--smtp-from", "Login <a@b.no>"], "smtp-from: must be a plain e-mail"),
    (["--sms-url", "ftp://gw.example/"], "sms-url: must be an https:// URL"),
    (["--sms-url", "http://gw.example/send", "--sandbox"], "sms-url: must be https"),
    (["--sms-url", "http://127.0.0.1:9/send"], "sms-url: must be https"),
    (["--sms-header", "no colon here"], "sms-header: must be 'Name: value'"),
    (["--message-retry-schedule", "1s,2s,3s"], "message-retry-schedule: must be 4 comma-separated waits"),
    (["--gui-rate", "-1"], "gui-rate: must be a whole number"),
])
def test_bad_delivery_settings_stop_the_server_with_a_clear_message(fresh_db, args, message):
    r = run_cli("serve", "--db", fresh_db.url, "--listen", "127.0.0.1:1", *args, timeout=20)
    assert r.returncode == 2, r.stderr
    assert message in r.stderr


def test_serve_help_lists_the_delivery_settings():
    r = run_cli("serve", "--help")
    for flag in ("--smtp-url", "--smtp-from", "--smtp-user", "--smtp-password", "--sms-url", "--sms-header",
                 "--message-retry-schedule", "--gui-rate"):
        assert flag in r.stdout
    assert "CONNECTD_SMTP_PASSWORD" in r.stdout


# ---- 24-hour code limits (§4.1), through the pages ---------------------------------------------


def earlier_codes(srv, cred, n, addr="127.0.0.1", age_ms=60000):
    db_exec(srv.db, "INSERT INTO one_time_code (credential, code_hash, source_addr, created_at, expires_at) "
                    "VALUES " + ", ".join(
                        "('%s', 'x', '%s', %d, %d)" % (cred, addr, NOW_MS() - age_ms - i, NOW_MS() - 1)
                        for i in range(n)))


def NOW_MS():
    import time
    return int(time.time() * 1000)


def code_page_outcome(srv, cid, cred):
    b = Browser(srv, cid)
    b.get("/user/createUser")
    st, _, page = b.submit(credential=cred)
    assert st == 200 and 'name="code"' in page
    return page


def test_ten_codes_per_credential_in_a_day_then_try_later(own):
    cid = web_client(own)
    cred = email()
    earlier_codes(own, cred, 9, addr="192.0.2.%d" % (uuid.uuid4().int % 250))
    page = code_page_outcome(own, cid, cred)  # the 10th is sent
    assert "Too many attempts" not in page
    assert message_to(own, cred) is not None
    age_codes(own, cred)
    before = len([m for m in mailbox(own) if m["recipient"] == cred])
    page = code_page_outcome(own, cid, cred)  # the 11th is refused
    assert "Too many attempts. Please try again later." in page
    assert len([m for m in mailbox(own) if m["recipient"] == cred]) == before


def test_thirty_codes_per_address_in_a_day_then_try_later(server_factory):
    srv = server_factory()
    cid = web_client(srv)
    for _ in range(30):
        earlier_codes(srv, email(), 1)
    cred = email()
    page = code_page_outcome(srv, cid, cred)
    assert "Too many attempts. Please try again later." in page
    assert message_to(srv, cred) is None


def test_an_address_with_a_hundred_wrong_passwords_is_told_to_try_later(server_factory):
    from test_login_flow import create_user
    srv = server_factory()
    cid = web_client(srv)
    cred = email()
    create_user(srv, cid, cred)
    db_exec(srv.db, "INSERT INTO password_failure (credential, source_addr, at) VALUES " + ", ".join(
        "('other%d@example.no', '127.0.0.1', %d)" % (i, NOW_MS() - 1000) for i in range(100)))
    b = Browser(srv, cid)
    b.get("/user/login")
    st, _, page = b.submit(credential=cred, password=PASSWORD)  # even the right password
    assert st == 200 and "Too many attempts. Please try again later." in page
    form = {"j_username": cred, "j_password": PASSWORD, "loginButton": "1", "clientId": cid, "returnUrl": OK,
            "errorUrl": ERR}
    st, _, page = http_request(srv, "POST", "/user/oauthLogin", body=urllib.parse.urlencode(form),
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert st == 200 and b"Too many attempts. Please try again later." in page
    db_exec(srv.db, "UPDATE password_failure SET at = at - 16 * 60 * 1000")
    b.get("/user/login")
    st, h, _ = b.submit(credential=cred, password=PASSWORD)
    assert st == 302 and h["Location"] == OK  # 15 minutes later the address may try again


# ---- the per-address limit of the GUI routes (README §10) ---------------------------------------


def test_gui_routes_are_limited_per_address_with_a_plain_429_page(server_factory):
    srv = server_factory("--gui-rate", "2")  # burst 5
    cid = web_client(srv)
    q = urllib.parse.urlencode({"clientId": cid, "returnUrl": OK, "errorUrl": ERR})
    statuses = [http_request(srv, "GET", "/user/loginCheck?" + q)[0] for _ in range(5)]
    assert statuses == [302] * 5
    st, h, body = http_request(srv, "GET", "/user/login?" + q, headers={"Accept-Language": "nb"})
    assert st == 429
    assert h["Content-Type"] == "text/html; charset=utf-8"
    assert int(h["Retry-After"]) >= 1
    assert h["X-Frame-Options"] == "DENY"
    assert "For mange forespørsler" in body.decode()
    # the stylesheet and the OAuth endpoints are not GUI routes
    assert http_request(srv, "GET", "/user/static/style.css")[0] == 200
    assert http_request(srv, "POST", "/user/oauth/token", body="grant_type=client_credentials",
                        headers={"Content-Type": "application/x-www-form-urlencoded"})[0] == 401


# ---- the legacy form's Origin guard --------------------------------------------------------------


@pytest.mark.parametrize("origin, logged_in", [
    (None, True),
    ("https://example.no", True),
    ("SELF", True),
    ("https://evil.example", False),
    ("null", False),
])
def test_legacy_form_post_is_accepted_only_from_the_clients_hosts_or_our_page(own, origin, logged_in):
    from test_login_flow import create_user
    server = own
    cid = web_client(server)
    cred = email()
    create_user(server, cid, cred)
    hdr = {"Content-Type": "application/x-www-form-urlencoded"}
    if origin:
        hdr["Origin"] = "http://%s:%d" % (server.host, server.port) if origin == "SELF" else origin
    form = {"j_username": cred, "j_password": PASSWORD, "loginButton": "1", "clientId": cid, "returnUrl": OK,
            "errorUrl": ERR}
    st, h, page = http_request(server, "POST", "/user/oauthLogin", body=urllib.parse.urlencode(form), headers=hdr)
    if logged_in:
        assert st == 302 and h["Location"] == OK
    else:
        assert st == 200 and b"The page had expired" in page
        assert not any(c.startswith("connectid_session=") for c in h.get_all("Set-Cookie") or [])
