"""Login service pages that need no form yet (spec identity.md §4.1, §4.4, §4.5): loginCheck,
logout, the shared parameter rules (clientId, returnUrl/errorUrl against the client's allowed
redirect hosts, the 400 page, Google Analytics pass-through), the stylesheet and the sandbox
mailbox. Sessions and remember-me tokens are planted in the database the way the login pages
will store them (SHA-256 of the cookie value), since the pages that create them come later.
"""
import hashlib
import time
import urllib.parse
import uuid

import pytest

from conftest import add_client, db_exec, db_query, http_request

OK = "https://example.no/ok"
NO = "https://example.no/no"


def now_ms():
    return int(time.time() * 1000)


@pytest.fixture
def web(server):
    """A client allowed to redirect to example.no (and any *.shop.no)."""
    cid, _ = add_client(server.db.url, redirect_host=["example.no", "*.shop.no"])
    return cid


def new_user(server, state="ACTIVE"):
    uid = uuid.uuid4().hex
    db_exec(server.db, "INSERT INTO users (unique_id, state, created_at, updated_at) VALUES ('%s', '%s', %d, %d)"
            % (uid, state, now_ms(), now_ms()))
    return uid


def plant_session(server, uid, expires_in_ms=3600 * 1000):
    sid = uuid.uuid4().hex
    h = hashlib.sha256(sid.encode()).hexdigest()
    db_exec(server.db, "INSERT INTO login_session (session_hash, user_id, created_at, last_seen_at, expires_at) "
            "VALUES ('%s', '%s', %d, %d, %d)" % (h, uid, now_ms(), now_ms(), now_ms() + expires_in_ms))
    return sid


def plant_remember(server, uid, client_id):
    token = uuid.uuid4().hex
    h = hashlib.sha256(token.encode()).hexdigest()
    db_exec(server.db, "INSERT INTO remember_me (token_hash, user_id, client_id, created_at, expires_at) "
            "VALUES ('%s', '%s', '%s', %d, %d)" % (h, uid, client_id, now_ms(), now_ms() + 86400 * 1000))
    return token


def check(server, client_id, cookie=None, return_url=OK, error_url=NO, extra="", headers=None):
    q = urllib.parse.urlencode({"clientId": client_id, "returnUrl": return_url, "errorUrl": error_url})
    h = dict(headers or {})
    if cookie:
        h["Cookie"] = cookie
    return http_request(server, "GET", "/user/loginCheck?" + q + extra, headers=h)


def test_login_check_without_session_redirects_to_error_url(server, web):
    status, headers, _ = check(server, web)
    assert status == 302
    assert headers["Location"] == NO


def test_login_check_with_a_session_redirects_to_return_url(server, web):
    sid = plant_session(server, new_user(server))
    status, headers, _ = check(server, web, cookie="connectid_session=" + sid)
    assert (status, headers["Location"]) == (302, OK)


def test_login_check_extends_the_session(server, web):
    uid = new_user(server)
    sid = plant_session(server, uid, expires_in_ms=60 * 1000)
    h = hashlib.sha256(sid.encode()).hexdigest()
    before = int(db_query(server.db, "SELECT expires_at FROM login_session WHERE session_hash = '%s'" % h)[0][0])
    check(server, web, cookie="connectid_session=" + sid)
    after = int(db_query(server.db, "SELECT expires_at FROM login_session WHERE session_hash = '%s'" % h)[0][0])
    assert after > before + 30 * 60 * 1000


def test_login_check_with_an_expired_session_redirects_to_error_url(server, web):
    sid = plant_session(server, new_user(server), expires_in_ms=-1000)
    status, headers, _ = check(server, web, cookie="connectid_session=" + sid)
    assert headers["Location"] == NO


def test_login_check_of_a_pending_user_redirects_to_error_url(server, web):
    sid = plant_session(server, new_user(server, state="PENDING"))
    _, headers, _ = check(server, web, cookie="connectid_session=" + sid)
    assert headers["Location"] == NO


def test_login_check_with_only_remember_me_logs_in_silently(server, web):
    token = plant_remember(server, new_user(server), web)
    status, headers, _ = check(server, web, cookie="connectid_remember=" + token)
    assert (status, headers["Location"]) == (302, OK)
    cookies = headers.get_all("Set-Cookie")
    session = [c for c in cookies if c.startswith("connectid_session=")]
    assert session, cookies
    assert "HttpOnly" in session[0] and "Secure" in session[0] and "SameSite=None" in session[0]
    sid = session[0].split(";")[0].split("=", 1)[1]
    assert len(sid) == 32
    _, again, _ = check(server, web, cookie="connectid_session=" + sid)
    assert again["Location"] == OK


def test_remember_me_of_another_client_is_not_accepted(server, web):
    other, _ = add_client(server.db.url)
    token = plant_remember(server, new_user(server), other)
    _, headers, _ = check(server, web, cookie="connectid_remember=" + token)
    assert headers["Location"] == NO


def test_login_check_adds_cors_headers_only_for_allowed_origins(server, web):
    _, headers, _ = check(server, web, headers={"Origin": "https://example.no"})
    assert headers["Access-Control-Allow-Origin"] == "https://example.no"
    assert headers["Access-Control-Allow-Credentials"] == "true"
    assert headers["Vary"] == "Origin"
    _, headers, _ = check(server, web, headers={"Origin": "https://evil.no"})
    assert headers["Access-Control-Allow-Origin"] is None


@pytest.mark.parametrize("return_url,error_url", [
    ("https://evil.no/ok", NO),
    (OK, "https://evil.no/no"),
    ("javascript:alert(1)", NO),
    ("https://example.no@evil.no/", NO),
    ("ftp://example.no/", NO),
    ("/relative", NO),
    (OK, ""),
])
def test_unvalidated_urls_get_the_400_page_and_no_redirect(server, web, return_url, error_url):
    status, headers, body = check(server, web, return_url=return_url, error_url=error_url)
    assert status == 400
    assert headers["Location"] is None
    assert headers["Content-Type"].startswith("text/html")
    assert headers["X-Frame-Options"] == "DENY"
    assert b"<!DOCTYPE html>" in body


def test_unknown_client_gets_the_400_page(server, web):
    status, headers, _ = check(server, "no.such.client")
    assert status == 400 and headers["Location"] is None


def test_wildcard_redirect_host_allows_subdomains_only(server, web):
    _, headers, _ = check(server, web, return_url="https://www.shop.no/a", error_url="https://m.shop.no/b")
    assert headers["Location"] == "https://m.shop.no/b"
    status, _, _ = check(server, web, return_url="https://shop.no/a")
    assert status == 400


def test_google_analytics_parameters_are_carried_to_the_redirect(server, web):
    _, headers, _ = check(server, web, error_url=NO + "?x=1", extra="&_ga=2.1&_gl=1*abc")
    assert headers["Location"] == NO + "?x=1&_ga=2.1&_gl=1%2Aabc"
    _, headers, _ = check(server, web, extra="&_ga=2.1")
    assert headers["Location"] == NO + "?_ga=2.1"


def test_no_page_reflects_script_in_parameters(server, web):
    evil = "<script>alert(1)</script>"
    for params in [{"clientId": evil, "returnUrl": OK, "errorUrl": NO},
                   {"clientId": web, "returnUrl": evil, "errorUrl": NO},
                   {"clientId": web, "returnUrl": OK, "errorUrl": evil}]:
        for path in ["/user/loginCheck", "/user/logout"]:
            status, _, body = http_request(server, "GET", path + "?" + urllib.parse.urlencode(params))
            assert status == 400
            assert b"<script>" not in body


def test_logout_ends_the_session_and_deletes_the_cookies(server, web):
    uid = new_user(server)
    sid = plant_session(server, uid)
    token = plant_remember(server, uid, web)
    q = urllib.parse.urlencode({"clientId": web, "returnUrl": "https://example.no/"})
    status, headers, _ = http_request(server, "GET", "/user/logout?" + q,
                                      headers={"Cookie": "connectid_session=%s; connectid_remember=%s" % (sid, token)})
    assert (status, headers["Location"]) == (302, "https://example.no/")
    cookies = headers.get_all("Set-Cookie")
    assert any(c.startswith("connectid_session=;") and "Max-Age=0" in c for c in cookies)
    assert any(c.startswith("connectid_remember=;") and "Max-Age=0" in c for c in cookies)
    _, after, _ = check(server, web, cookie="connectid_session=%s; connectid_remember=%s" % (sid, token))
    assert after["Location"] == NO


def test_logout_without_a_session_still_redirects(server, web):
    q = urllib.parse.urlencode({"clientId": web, "returnUrl": "https://example.no/bye"})
    status, headers, _ = http_request(server, "GET", "/user/logout?" + q)
    assert (status, headers["Location"]) == (302, "https://example.no/bye")


def test_logout_to_an_unvalidated_url_is_refused(server, web):
    q = urllib.parse.urlencode({"clientId": web, "returnUrl": "https://evil.no/"})
    status, headers, _ = http_request(server, "GET", "/user/logout?" + q)
    assert status == 400 and headers["Location"] is None


def test_error_page_speaks_norwegian_when_asked(server, web):
    _, _, en = check(server, "no.such.client")
    _, _, nb = check(server, "no.such.client", headers={"Accept-Language": "nb-NO,nb;q=0.9,en;q=0.5"})
    assert b'lang="en"' in en and b'lang="nb"' in nb


def test_stylesheet_is_served_with_an_etag_and_revalidates(server):
    status, headers, body = http_request(server, "GET", "/user/static/style.css")
    assert status == 200 and headers["Content-Type"].startswith("text/css") and body
    # Long words wrap (a long e-mail address in the code page's notice made a phone zoom the
    # whole page out; found by the browser tests).
    assert b"overflow-wrap:anywhere" in body
    etag = headers["ETag"]
    status, _, body = http_request(server, "GET", "/user/static/style.css", headers={"If-None-Match": etag})
    assert status == 304 and body == b""


def test_sandbox_mailbox_lists_messages(server):
    db_exec(server.db, "INSERT INTO message (channel, recipient, subject, body, created_at, attempts) "
            "VALUES ('email', 'ola@example.no', 'Your code', 'Code: 123456', %d, 0)" % now_ms())
    status, _, body = http_request(server, "GET", "/user/sandbox/messages")
    assert status == 200
    import json
    messages = json.loads(body)["messages"]
    assert any(m["recipient"] == "ola@example.no" and m["body"] == "Code: 123456" for m in messages)


def test_redirect_host_with_a_port_only_matches_that_port(server):
    cid, _ = add_client(server.db.url, redirect_host=["localhost:8443"])
    status, headers, _ = check(server, cid, return_url="https://localhost:8443/ok",
                               error_url="https://localhost:8443/no")
    assert (status, headers["Location"]) == (302, "https://localhost:8443/no")
    status, _, _ = check(server, cid, return_url="https://localhost/ok", error_url="https://localhost:8443/no")
    assert status == 400


def test_client_add_refuses_a_bad_redirect_host_and_stores_nothing(server):
    from conftest import run_cli
    cid = "t.%s" % uuid.uuid4().hex[:12]
    r = run_cli("client", "add", "--db", server.db.url, "--id", cid, "--grants", "client_credentials",
                "--redirect-host", "evil.no/path")
    assert r.returncode == 2 and "--redirect-host" in r.stderr
    assert db_query(server.db, "SELECT client_id FROM client WHERE client_id = '%s'" % cid) == []
