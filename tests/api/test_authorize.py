"""The authorization endpoint and the authorization_code grant (spec identity.md §3.1, §3.2,
README §11.1 c, RFC 7636 PKCE): the 400 page for an unknown client or redirect URI, the error
redirects, the detour through /user/login, the approval page with its CSRF token, and codes
exchanged for user-mode tokens exactly once. A logged-in browser is a session planted in the
database the way the login pages store it (SHA-256 of the cookie value).
"""
import base64
import hashlib
import html
import re
import threading
import time
import urllib.parse
import uuid

import pytest
import requests

from conftest import add_client, db_exec, db_query, http_request, run_cli

CB = "https://app.example.no/callback"
CB2 = "https://app.example.no/other?x=1"
AUTHORIZE = "/user/oauth/authorize"
APPROVE = "/user/oauth/authorize/approve"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"  # RFC 7636 appendix B
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def now_ms():
    return int(time.time() * 1000)


def new_user(server, state="ACTIVE"):
    uid = uuid.uuid4().hex
    db_exec(server.db, "INSERT INTO users (unique_id, state, created_at, updated_at) VALUES ('%s', '%s', %d, %d)"
            % (uid, state, now_ms(), now_ms()))
    return uid


def plant_session(server, uid):
    sid = uuid.uuid4().hex
    h = hashlib.sha256(sid.encode()).hexdigest()
    db_exec(server.db, "INSERT INTO login_session (session_hash, user_id, created_at, last_seen_at, expires_at) "
            "VALUES ('%s', '%s', %d, %d, %d)" % (h, uid, now_ms(), now_ms(), now_ms() + 3600 * 1000))
    return "connectid_session=" + sid


def new_client(server, uris=(CB,), require_pkce=False, require_approval=False):
    """A code-flow client; the two booleans are set with `client update --require-...`."""
    cid, secret = add_client(server.db.url, grants="authorization_code,refresh_token", redirect_uri=list(uris),
                             redirect_host=["app.example.no"])
    flags = [f for f, on in (("--require-pkce", require_pkce), ("--require-approval", require_approval)) if on]
    if flags:
        r = run_cli("client", "update", "--db", server.db.url, "--id", cid, *flags)
        assert r.returncode == 0, r.stderr
    return cid, secret


def browser(server, uid=None):
    """A cookie header of a logged-in browser (a fresh ACTIVE user unless uid is given)."""
    uid = uid or new_user(server)
    return uid, plant_session(server, uid)


def authorize(server, params, cookie=None, raw=None):
    path = AUTHORIZE + "?" + (raw if raw is not None else urllib.parse.urlencode(params))
    return http_request(server, "GET", path, headers={"Cookie": cookie} if cookie else {})


def location(headers):
    loc = headers["Location"]
    parts = urllib.parse.urlsplit(loc)
    return loc, dict(urllib.parse.parse_qsl(parts.query))


def params(cid, **extra):
    p = {"response_type": "code", "client_id": cid, "redirect_uri": CB, "scope": "read", "state": "xyz"}
    p.update(extra)
    return {k: v for k, v in p.items() if v is not None}


def get_code(server, cid, cookie, **extra):
    status, headers, body = authorize(server, params(cid, **extra), cookie)
    assert status == 302, body
    loc, q = location(headers)
    assert loc.startswith(extra.get("redirect_uri") or CB), loc
    return q["code"]


def exchange(server, cid, secret, code, **extra):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": CB}
    data.update(extra)
    data = {k: v for k, v in data.items() if v is not None}
    return requests.post(server.url("/user/oauth/token"), data=data, auth=(cid, secret), timeout=10)


def s256(verifier):
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


# ---- §3.1 rule 1: the 400 page, never a redirect -----------------------------------------------

@pytest.mark.parametrize("case", ["unknown_client", "no_client_id", "unregistered_uri", "missing_uri_several",
                                  "missing_uri_none", "repeated_client_id"])
def test_bad_client_or_redirect_uri_shows_the_400_page(server, case):
    cid, _ = new_client(server, uris=(CB, CB2))
    none, _ = add_client(server.db.url, grants="authorization_code")
    p = params(cid)
    raw = None
    if case == "unknown_client":
        p["client_id"] = "no.such.client"
    elif case == "no_client_id":
        del p["client_id"]
    elif case == "unregistered_uri":
        p["redirect_uri"] = "https://evil.example/cb"
    elif case == "missing_uri_several":
        del p["redirect_uri"]
    elif case == "missing_uri_none":
        p["client_id"] = none
        del p["redirect_uri"]
    else:
        raw = urllib.parse.urlencode(p) + "&client_id=" + cid
    status, headers, body = authorize(server, p, browser(server)[1], raw=raw)
    assert status == 400
    assert "Location" not in headers
    assert headers["Content-Type"].startswith("text/html")


def test_redirect_uri_prefix_of_a_registered_one_is_not_registered(server):
    cid, _ = new_client(server)
    status, _, _ = authorize(server, params(cid, redirect_uri=CB + "/x"), browser(server)[1])
    assert status == 400


def test_redirect_uri_may_be_omitted_when_exactly_one_is_registered(server):
    cid, secret = new_client(server)
    code = get_code(server, cid, browser(server)[1], redirect_uri=None)
    # redirect_uri was not given to authorize, so the token request need not repeat it
    r = exchange(server, cid, secret, code, redirect_uri=None)
    assert r.status_code == 200, r.text


# ---- §3.1 rule 2 and PKCE: error redirects ------------------------------------------------------

@pytest.mark.parametrize("extra,error", [
    ({"response_type": "token"}, "unsupported_response_type"),
    ({"response_type": None}, "unsupported_response_type"),
    ({"scope": "write"}, "invalid_scope"),
    ({"scope": "read write"}, "invalid_scope"),
    ({"code_challenge": CHALLENGE, "code_challenge_method": "S512"}, "invalid_request"),
    ({"code_challenge": "short", "code_challenge_method": "S256"}, "invalid_request"),
    ({"code_challenge": "a" * 129, "code_challenge_method": "plain"}, "invalid_request"),
    ({"code_challenge": CHALLENGE[:-1] + "=", "code_challenge_method": "S256"}, "invalid_request"),
    ({"code_challenge_method": "S256"}, "invalid_request"),
])
def test_bad_parameters_redirect_with_an_error_and_the_state(server, extra, error):
    cid, _ = new_client(server)
    status, headers, _ = authorize(server, params(cid, **extra), browser(server)[1])
    assert status == 302
    loc, q = location(headers)
    assert loc.startswith(CB + "?")
    assert q == {"error": error, "state": "xyz"}


def test_error_redirect_without_state_has_no_state(server):
    cid, _ = new_client(server)
    _, headers, _ = authorize(server, params(cid, response_type="token", state=None))
    assert headers["Location"] == CB + "?error=unsupported_response_type"


def test_error_redirect_appends_with_ampersand_to_a_uri_with_a_query(server):
    cid, _ = new_client(server, uris=(CB, CB2))
    _, headers, _ = authorize(server, params(cid, redirect_uri=CB2, scope="admin"))
    assert headers["Location"] == CB2 + "&error=invalid_scope&state=xyz"


@pytest.mark.parametrize("scope", ["", "read", "read read", " read "])
def test_empty_or_read_scope_is_read(server, scope):
    cid, _ = new_client(server)
    assert get_code(server, cid, browser(server)[1], scope=scope)


def test_unknown_parameters_are_ignored(server):
    cid, _ = new_client(server)
    assert get_code(server, cid, browser(server)[1], approval_prompt="force")


def test_require_pkce_without_a_challenge_redirects_invalid_request(server):
    cid, _ = new_client(server, require_pkce=True)
    _, headers, _ = authorize(server, params(cid), browser(server)[1])
    assert location(headers)[1] == {"error": "invalid_request", "state": "xyz"}


# ---- §3.1 rule 3: no session -> the login pages, and back ---------------------------------------

def test_without_a_session_the_browser_goes_to_login_and_back(server):
    cid, _ = new_client(server)
    query = urllib.parse.urlencode(params(cid))
    status, headers, _ = authorize(server, None, raw=query)
    assert status == 302
    loc, q = location(headers)
    assert loc.startswith("/user/login?")
    assert q["clientId"] == cid
    assert q["returnUrl"] == AUTHORIZE + "?" + query
    assert q["errorUrl"].startswith(AUTHORIZE + "?" + query + "&")
    assert q["assumeNewUser"] == "false"
    assert "code=" not in loc


def test_coming_back_through_the_error_url_redirects_access_denied(server):
    cid, _ = new_client(server)
    _, headers, _ = authorize(server, params(cid))
    error_url = location(headers)[1]["errorUrl"]
    status, headers, _ = http_request(server, "GET", error_url)
    assert status == 302
    assert location(headers)[1] == {"error": "access_denied", "state": "xyz"}
    _, headers, _ = http_request(server, "GET", error_url + "&error=server_error")
    assert location(headers)[1] == {"error": "server_error", "state": "xyz"}


def form_action(csp):
    directive = [d.strip() for d in csp.split(";") if d.strip().startswith("form-action ")]
    assert len(directive) == 1, csp
    return directive[0].split()[1:]


def test_login_page_of_an_authorization_lets_its_form_reach_the_redirect_uri(server):
    # Browsers check a form's CSP form-action against every redirect after the POST: login ->
    # authorize -> redirect_uri. A client registered with no redirect host (the code flow needs
    # none) must still get the browser back, so the redirect URIs' hosts are in the login page's
    # form-action (found by the browser tests: Chromium blocked the POST).
    cid, _ = add_client(server.db.url, grants="authorization_code", redirect_uri=[
        "https://cb.example.net/callback", "http://127.0.0.1:8999/cb?x=1"])
    _, headers, _ = authorize(server, params(cid, redirect_uri="https://cb.example.net/callback"))
    status, headers, _ = http_request(server, "GET", headers["Location"])
    assert status == 200
    assert form_action(headers["Content-Security-Policy"]) == [
        "'self'", "http://cb.example.net", "https://cb.example.net", "http://127.0.0.1:8999", "https://127.0.0.1:8999"]
    # The same client's plain login page (returnUrl on a redirect host) lists only those hosts.
    run_cli("client", "update", "--db", server.db.url, "--id", cid, "--redirect-host", "news.example.no")
    status, headers, _ = http_request(server, "GET", "/user/login?" + urllib.parse.urlencode({
        "clientId": cid, "returnUrl": "https://news.example.no/ok", "errorUrl": "https://news.example.no/err"}))
    assert status == 200
    assert form_action(headers["Content-Security-Policy"]) == [
        "'self'", "http://news.example.no", "https://news.example.no"]


def test_a_session_of_a_blocked_user_counts_as_none(server):
    cid, _ = new_client(server)
    _, cookie = browser(server, new_user(server, state="BLOCKED"))
    _, headers, _ = authorize(server, params(cid), cookie)
    assert headers["Location"].startswith("/user/login?")


# ---- §3.1 rules 5, 6 and the token exchange -----------------------------------------------------

def test_code_flow_gives_a_user_mode_token_and_refresh_token(server):
    cid, secret = new_client(server)
    uid, cookie = browser(server)
    status, headers, _ = authorize(server, params(cid), cookie)
    assert status == 302
    loc, q = location(headers)
    assert loc.startswith(CB + "?code=")
    assert set(q) == {"code", "state"} and q["state"] == "xyz"
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", q["code"])
    r = exchange(server, cid, secret, q["code"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer" and body["scope"] == "read" and body["refresh_token"]
    assert r.headers["Cache-Control"] == "no-store"
    bearer = {"Authorization": "Bearer " + body["access_token"]}
    assert requests.get(server.url("/capi/v1/customer/x"), headers=bearer, timeout=10).status_code == 404
    r = requests.get(server.url("/capi/v1/client/x"), headers=bearer, timeout=10)
    assert r.status_code == 403 and r.json()["error"] == "insufficient_scope"
    intro = requests.post(server.url("/user/oauth/introspect"), data={"token": body["access_token"]},
                          auth=(cid, secret), timeout=10).json()
    assert intro["active"] and intro["sub"] == uid
    refreshed = requests.post(server.url("/user/oauth/token"), auth=(cid, secret), timeout=10,
                              data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text


def test_state_is_returned_unchanged(server):
    cid, _ = new_client(server)
    state = "a b&c=d/é<>"
    _, headers, _ = authorize(server, params(cid, state=state), browser(server)[1])
    assert location(headers)[1]["state"] == state


def test_code_is_single_use(server):
    cid, secret = new_client(server)
    code = get_code(server, cid, browser(server)[1])
    assert exchange(server, cid, secret, code).status_code == 200
    r = exchange(server, cid, secret, code)
    assert (r.status_code, r.json()["error"]) == (400, "invalid_grant")


def test_of_ten_concurrent_exchanges_exactly_one_wins(server):
    cid, secret = new_client(server)
    code = get_code(server, cid, browser(server)[1])
    results = [None] * 10
    barrier = threading.Barrier(10)

    def one(i):
        barrier.wait()
        r = exchange(server, cid, secret, code)
        results[i] = (r.status_code, r.json().get("error"))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results, key=str) == sorted([(200, None)] + [(400, "invalid_grant")] * 9, key=str)


def test_code_of_another_client_is_invalid_grant(server):
    cid, _ = new_client(server)
    other, other_secret = new_client(server)
    code = get_code(server, cid, browser(server)[1])
    r = exchange(server, other, other_secret, code)
    assert (r.status_code, r.json()["error"]) == (400, "invalid_grant")


def test_redirect_uri_must_equal_the_one_given_to_authorize(server):
    cid, secret = new_client(server, uris=(CB, CB2))
    code = get_code(server, cid, browser(server)[1])
    r = exchange(server, cid, secret, code, redirect_uri=CB2)
    assert (r.status_code, r.json()["error"]) == (400, "invalid_grant")


def test_redirect_uri_given_to_authorize_is_required_at_the_token_endpoint(server):
    cid, secret = new_client(server)
    code = get_code(server, cid, browser(server)[1])
    r = exchange(server, cid, secret, code, redirect_uri=None)
    assert (r.status_code, r.json()["error"]) == (400, "invalid_request")


@pytest.mark.parametrize("code", [None, "", "not-a-code"])
def test_missing_or_unknown_code(server, code):
    cid, secret = new_client(server)
    r = exchange(server, cid, secret, code)
    assert r.status_code == 400
    assert r.json()["error"] == ("invalid_grant" if code else "invalid_request")


def test_expired_code_is_invalid_grant(server):
    cid, secret = new_client(server)
    code = get_code(server, cid, browser(server)[1])
    h = hashlib.sha256(code.encode()).hexdigest()
    # the store keeps codes as SHA-256 hashes; age this one past its 10 minutes
    db_exec(server.db, "UPDATE auth_code SET expires_at = %d WHERE code_hash = '%s'" % (now_ms() - 1000, h))
    r = exchange(server, cid, secret, code)
    assert (r.status_code, r.json()["error"]) == (400, "invalid_grant")


def test_user_no_longer_active_is_invalid_grant(server):
    cid, secret = new_client(server)
    uid, cookie = browser(server)
    code = get_code(server, cid, cookie)
    db_exec(server.db, "UPDATE users SET state = 'BLOCKED' WHERE unique_id = '%s'" % uid)
    r = exchange(server, cid, secret, code)
    assert (r.status_code, r.json()["error"]) == (400, "invalid_grant")


# ---- PKCE (RFC 7636) ----------------------------------------------------------------------------

def test_pkce_s256_succeeds_with_the_verifier(server):
    assert s256(VERIFIER) == CHALLENGE
    cid, secret = new_client(server)
    code = get_code(server, cid, browser(server)[1], code_challenge=CHALLENGE, code_challenge_method="S256")
    assert exchange(server, cid, secret, code, code_verifier=VERIFIER).status_code == 200


def test_pkce_plain_succeeds_with_the_same_value(server):
    cid, secret = new_client(server)
    v = "plain-verifier-" + "x" * 40
    code = get_code(server, cid, browser(server)[1], code_challenge=v, code_challenge_method="plain")
    assert exchange(server, cid, secret, code, code_verifier=v).status_code == 200


def test_pkce_without_method_means_plain(server):
    cid, secret = new_client(server)
    v = "y" * 50
    code = get_code(server, cid, browser(server)[1], code_challenge=v)
    assert exchange(server, cid, secret, code, code_verifier=v).status_code == 200


@pytest.mark.parametrize("verifier", ["wrong" + VERIFIER[5:], None, CHALLENGE, "short"])
def test_pkce_wrong_missing_or_downgraded_verifier_is_invalid_grant(server, verifier):
    cid, secret = new_client(server)
    code = get_code(server, cid, browser(server)[1], code_challenge=CHALLENGE, code_challenge_method="S256")
    r = exchange(server, cid, secret, code, code_verifier=verifier)
    assert (r.status_code, r.json()["error"]) == (400, "invalid_grant")


def test_verifier_for_a_code_issued_without_challenge_is_invalid_grant(server):
    cid, secret = new_client(server)
    code = get_code(server, cid, browser(server)[1])
    r = exchange(server, cid, secret, code, code_verifier=VERIFIER)
    assert (r.status_code, r.json()["error"]) == (400, "invalid_grant")


def test_require_pkce_code_without_challenge_is_invalid_grant(server):
    cid, secret = new_client(server)
    code = get_code(server, cid, browser(server)[1])
    r = run_cli("client", "update", "--db", server.db.url, "--id", cid, "--require-pkce")
    assert r.returncode == 0, r.stderr
    r = exchange(server, cid, secret, code)
    assert (r.status_code, r.json()["error"]) == (400, "invalid_grant")


def test_require_pkce_client_with_s256_challenge_succeeds(server):
    cid, secret = new_client(server, require_pkce=True)
    code = get_code(server, cid, browser(server)[1], code_challenge=CHALLENGE, code_challenge_method="S256")
    assert exchange(server, cid, secret, code, code_verifier=VERIFIER).status_code == 200


# ---- §3.1 rule 4: approval ----------------------------------------------------------------------

def approval_form(server, cid, cookie, **extra):
    status, headers, body = authorize(server, params(cid, **extra), cookie)
    assert status == 200, (status, headers)
    text = body.decode()
    csrf = re.search(r'name="csrf" value="([^"]*)"', text).group(1)
    request = html.unescape(re.search(r'name="request" value="([^"]*)"', text).group(1))
    cookies = headers.get_all("Set-Cookie")
    csrf_cookie = [c.split(";")[0] for c in cookies if c.startswith("connectid_authz_csrf=")][0]
    return text, csrf, request, csrf_cookie, headers


def post_approval(server, cookie, fields):
    return http_request(server, "POST", APPROVE, body=urllib.parse.urlencode(fields),
                        headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})


def test_approval_page_then_approve_issues_a_code_and_is_remembered(server):
    cid, secret = new_client(server, require_approval=True)
    uid, cookie = browser(server)
    text, csrf, request, csrf_cookie, headers = approval_form(server, cid, cookie)
    assert cid in text
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "https://app.example.no" in headers["Content-Security-Policy"]
    status, headers, _ = post_approval(server, cookie + "; " + csrf_cookie, {"csrf": csrf, "request": request})
    assert status == 302
    loc, q = location(headers)
    assert loc.startswith(CB + "?code=") and q["state"] == "xyz"
    assert exchange(server, cid, secret, q["code"]).status_code == 200
    # remembered: the next authorization goes straight to a code
    assert get_code(server, cid, cookie)
    # per user: another user sees the page
    status, _, _ = authorize(server, params(cid), browser(server)[1])
    assert status == 200


def test_deny_redirects_access_denied_and_remembers_nothing(server):
    cid, _ = new_client(server, require_approval=True)
    _, cookie = browser(server)
    _, csrf, request, csrf_cookie, _ = approval_form(server, cid, cookie)
    status, headers, _ = post_approval(server, cookie + "; " + csrf_cookie,
                                       {"csrf": csrf, "request": request, "deny": "1"})
    assert status == 302
    assert location(headers)[1] == {"error": "access_denied", "state": "xyz"}
    assert authorize(server, params(cid), cookie)[0] == 200


@pytest.mark.parametrize("case", ["wrong", "missing_field", "missing_cookie"])
def test_approval_with_a_bad_csrf_token_redisplays_the_page(server, case):
    cid, _ = new_client(server, require_approval=True)
    _, cookie = browser(server)
    _, csrf, request, csrf_cookie, _ = approval_form(server, cid, cookie)
    fields = {"csrf": "0" * len(csrf) if case == "wrong" else csrf, "request": request}
    if case == "missing_field":
        del fields["csrf"]
    c = cookie if case == "missing_cookie" else cookie + "; " + csrf_cookie
    status, headers, body = post_approval(server, c, fields)
    assert status == 200 and "Location" not in headers
    assert b"expired" in body
    assert authorize(server, params(cid), cookie)[0] == 200  # nothing was approved


def test_approval_post_without_a_session_goes_to_login(server):
    cid, _ = new_client(server, require_approval=True)
    _, cookie = browser(server)
    _, csrf, request, csrf_cookie, _ = approval_form(server, cid, cookie)
    status, headers, _ = post_approval(server, csrf_cookie, {"csrf": csrf, "request": request})
    assert status == 302 and headers["Location"].startswith("/user/login?")


def test_approval_post_rechecks_the_request(server):
    cid, _ = new_client(server, require_approval=True)
    _, cookie = browser(server)
    _, csrf, request, csrf_cookie, _ = approval_form(server, cid, cookie)
    forged = request.replace(urllib.parse.quote(CB, safe=""), urllib.parse.quote("https://evil.example/", safe=""))
    assert forged != request
    status, _, _ = post_approval(server, cookie + "; " + csrf_cookie, {"csrf": csrf, "request": forged})
    assert status == 400


def test_require_approval_can_be_turned_off(server):
    cid, _ = new_client(server, require_approval=True)
    _, cookie = browser(server)
    assert authorize(server, params(cid), cookie)[0] == 200
    r = run_cli("client", "update", "--db", server.db.url, "--id", cid, "--require-approval=false")
    assert r.returncode == 0, r.stderr
    assert "require_approval: no" in r.stdout
    assert get_code(server, cid, cookie)


def test_cli_rejects_a_non_boolean_value(fresh_db):
    r = run_cli("client", "add", "--db", fresh_db.url, "--id", "t.bool", "--grants", "authorization_code",
                "--require-pkce=maybe")
    assert r.returncode != 0 and "require-pkce" in r.stderr


# ---- no reflection --------------------------------------------------------------------------------

def test_script_in_parameters_is_never_reflected_unescaped(server):
    cid, _ = new_client(server, require_approval=True)
    _, cookie = browser(server)
    evil = "<script>alert(1)</script>"
    for p in (params(cid, state=evil, x=evil), params(cid, scope=evil, state=evil),
              params(evil), params(cid, redirect_uri=evil)):
        for c in (cookie, None):
            status, headers, body = authorize(server, p, c)
            assert b"<script>" not in body
            assert "<script>" not in headers.get("Location", "")
