"""OAuth 2.0: the token endpoint, revocation, introspection and bearer authentication of /capi.

The contract: spec README §4 (order of checks), §5.1 (modes, bearer rules, exact error bodies),
§9.2 (OAuth errors), §10 (rate limits), §13 (OAuth summary, log redaction) and identity.md §3.2
(token endpoint), plus what this issue designed around them:

- clients come from `connectd client add` (grants, secret, access/refresh lifetimes, per-client
  rates for /capi and the token endpoint, burst = 2 x rate, 0 = unlimited); the server caches a
  client's settings for up to 5 s, so every test uses a fresh client id;
- only client_credentials is issued in this issue; the other three grant types are recognised
  (unauthorized_client for a client not configured for them);
- POST /user/oauth/revoke (RFC 7009) and POST /user/oauth/introspect (RFC 7662) authenticate
  the client like the token endpoint;
- authentication happens before routing: a valid client-mode token on /capi/v1/client/<none>
  gets 404 NoHandlerFoundException, on a user-mode path 403 insufficient_scope;
- the WWW-Authenticate of a 401 repeats the body's error_description in the characters RFC 6750
  §3 allows there (the body's "…" becomes "...", '"' and '\\' cannot appear);
- failed authentications are limited per source address (--auth-fail-rate, default 10/s, burst
  20); the shared server runs with --auth-fail-rate 0 because every test comes from 127.0.0.1;
- no token or secret ever reaches a log or an error body (beyond the documented 6 characters).
"""

import base64
import json
import re
import threading
import time
import uuid
from urllib.parse import quote, quote_plus

import pytest
import requests

from conftest import DB_KIND, RawConn, add_client, assert_error, run_cli

TOKEN = "/user/oauth/token"
REVOKE = "/user/oauth/revoke"
INTROSPECT = "/user/oauth/introspect"
CLIENT_PATH = "/capi/v1/client/anything"  # client mode, no route yet: 404 once authenticated
USER_PATH = "/capi/v1/customer/anything"  # user mode: 403 with a client-mode token
FORM_CT = "application/x-www-form-urlencoded"
EXTID_GRANT = "https://connectid.no/oauth2/grant_type/extid_code"
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ELLIPSIS = "\u2026"

BAD_CLIENT = {"error": "invalid_client", "error_description": "Bad client credentials"}
NO_AUTH = {"error": "unauthorized",
           "error_description": "Full authentication is required to access this resource"}
NEEDS_USER = {"error": "insufficient_scope", "error_description": "This endpoint requires a user token"}
TOO_MANY = {"exceptionType": "TooManyRequestsException", "errorMessage": "Rate limit exceeded"}


# ---------------------------------------------------------------------------------------------
# Helpers


def basic(client_id, secret, encode=True):
    """An Authorization: Basic value; encode=True form-URL-encodes both parts first (RFC 6749)."""
    if encode:
        client_id, secret = quote_plus(client_id), quote_plus(secret)
    return "Basic " + base64.b64encode(("%s:%s" % (client_id, secret)).encode("utf-8")).decode("ascii")


def post(server, path, auth=None, data=None, params=None, headers=None, **kw):
    """POST to path; auth=(id, secret) becomes an encoded Basic header."""
    h = dict(headers or {})
    if auth is not None:
        h["Authorization"] = basic(*auth)
    return requests.post(server.url(path), data=data, params=params, headers=h, timeout=10, **kw)


def token_request(server, auth=None, data=None, **kw):
    """POST /user/oauth/token; data defaults to grant_type=client_credentials."""
    if data is None:
        data = {"grant_type": "client_credentials"}
    return post(server, TOKEN, auth=auth, data=data, **kw)


def get_token(server, client):
    r = token_request(server, auth=client)
    assert r.status_code == 200, (r.status_code, r.text)
    return r.json()["access_token"]


def capi(server, path, token=None, headers=None, method="GET", **kw):
    h = dict(headers or {})
    if token is not None:
        h["Authorization"] = "Bearer " + token
    return requests.request(method, server.url(path), headers=h, timeout=10, **kw)


def new_client(server, **options):
    """A fresh client (client_credentials unless grants= says otherwise) on server's database."""
    return add_client(server.db.url, **options)


def header_utf8(r, name):
    """A response header as the server's bytes decoded as UTF-8 (http.client decodes latin-1)."""
    v = r.headers.get(name)
    return None if v is None else v.encode("latin-1").decode("utf-8")


def assert_json_ct(r):
    ct = r.headers.get("Content-Type", "")
    assert ct.split(";")[0].strip().lower() == "application/json", ct


def assert_oauth_error(r, status, error, description=None):
    """An OAuth error (README §9.2): status, JSON, {"error","error_description"}."""
    assert r.status_code == status, (r.status_code, r.text[:500])
    assert_json_ct(r)
    doc = r.json()
    assert doc.get("error") == error, doc
    assert isinstance(doc.get("error_description"), str) and doc["error_description"], doc
    if description is not None:
        assert doc["error_description"] == description, doc
    return doc


def assert_bad_client(r, basic_used):
    assert r.status_code == 401, (r.status_code, r.text[:500])
    assert_json_ct(r)
    assert r.json() == BAD_CLIENT
    if basic_used:
        assert r.headers.get("WWW-Authenticate") == 'Basic realm="oauth"', r.headers


def bearer_challenge(error, description=None):
    if description is None:
        return 'Bearer realm="connectid", error="%s"' % error
    return 'Bearer realm="connectid", error="%s", error_description="%s"' % (error, description)


# RFC 6750 §3: error_description in the header is limited to %x20-21 / %x23-5B / %x5D-7E, so the
# "…" of the JSON body cannot appear there; the server writes "..." instead.
RFC6750_TEXT = re.compile(r'^[\x20\x21\x23-\x5b\x5d-\x7e]*$')


def header_description(description):
    return description.replace(ELLIPSIS, "...")


def assert_bearer_401(r, error, description):
    """401 with the exact body and the WWW-Authenticate that repeats it (README §5.1)."""
    assert r.status_code == 401, (r.status_code, r.text[:500])
    assert_json_ct(r)
    assert r.json() == {"error": error, "error_description": description}
    want = header_description(description)
    assert RFC6750_TEXT.match(want), want
    assert header_utf8(r, "WWW-Authenticate") == bearer_challenge(error, want), r.headers


def assert_invalid_token(r, token, expired=False):
    text = "Access token expired: " if expired else "Invalid access token: "
    assert_bearer_401(r, "invalid_token", text + token[:6] + ELLIPSIS)


def assert_unauthorized(r):
    assert_bearer_401(r, "unauthorized", NO_AUTH["error_description"])


def assert_authenticated_404(r):
    """A client-mode token accepted on /capi/v1/client/<no route>."""
    assert_error(r.status_code, r.headers, r.content, 404, "NoHandlerFoundException")


def assert_too_many(r):
    assert r.status_code == 429, (r.status_code, r.text[:500])
    assert_json_ct(r)
    assert r.json() == TOO_MANY
    ra = r.headers.get("Retry-After")
    assert ra is not None and re.fullmatch(r"\d+", ra) and int(ra) >= 1, r.headers


def poll_status(fn, status, timeout, interval=0.1):
    """Call fn() (-> requests.Response) until it answers status or timeout passes.

    Returns (the first response with that status or None, seconds it took).
    """
    t0 = time.monotonic()
    while True:
        r = fn()
        if r.status_code == status:
            return r, time.monotonic() - t0
        if time.monotonic() - t0 >= timeout:
            return None, time.monotonic() - t0
        time.sleep(interval)


def unknown_token():
    return str(uuid.uuid4())


# ---------------------------------------------------------------------------------------------
# Token endpoint: success


def test_client_credentials_with_basic_issues_a_client_token(server):
    client = new_client(server)
    r = token_request(server, auth=client)
    assert r.status_code == 200, r.text
    assert_json_ct(r)
    assert r.headers.get("Cache-Control") == "no-store", r.headers
    assert r.headers.get("Pragma") == "no-cache", r.headers
    doc = r.json()
    assert set(doc) == {"access_token", "token_type", "expires_in", "scope"}, doc  # no refresh_token
    assert doc["token_type"] == "bearer"
    assert doc["scope"] == "read"
    assert isinstance(doc["expires_in"], int) and 43199 <= doc["expires_in"] <= 43200, doc
    assert UUID_RE.match(doc["access_token"]), doc
    assert_authenticated_404(capi(server, CLIENT_PATH, doc["access_token"]))


def test_client_credentials_with_body_parameters(server):
    cid, secret = new_client(server)
    r = token_request(server, data={"grant_type": "client_credentials", "client_id": cid,
                                    "client_secret": secret})
    assert r.status_code == 200, r.text
    assert r.json()["token_type"] == "bearer"
    assert_authenticated_404(capi(server, CLIENT_PATH, r.json()["access_token"]))


def test_client_credentials_with_query_parameters_only(server):
    cid, secret = new_client(server)
    r = requests.post(server.url(TOKEN), params={"grant_type": "client_credentials", "client_id": cid,
                                                 "client_secret": secret}, timeout=10)
    assert r.status_code == 200, r.text
    assert_authenticated_404(capi(server, CLIENT_PATH, r.json()["access_token"]))


def test_form_content_type_with_charset_is_accepted(server):
    client = new_client(server)
    r = token_request(server, auth=client, data="grant_type=client_credentials",
                      headers={"Content-Type": FORM_CT + "; charset=UTF-8"})
    assert r.status_code == 200, r.text


def test_basic_with_raw_parts_is_accepted(server):
    """Generated ids and secrets use A-Z a-z 0-9 . _ -, so raw and encoded are the same."""
    cid, secret = new_client(server)
    assert re.fullmatch(r"[A-Za-z0-9._-]{16,}", secret), secret
    r = requests.post(server.url(TOKEN), auth=(cid, secret), data={"grant_type": "client_credentials"},
                      timeout=10)
    assert r.status_code == 200, r.text


def test_basic_parts_are_form_url_decoded(server):
    secret = "p@ss:w0rd+%/&=~!x" + uuid.uuid4().hex[:6]
    cid, _ = new_client(server, secret=secret)
    r = token_request(server, headers={"Authorization": basic(cid, secret, encode=True)})
    assert r.status_code == 200, r.text
    # the same secret in body parameters (requests form-encodes it)
    r = token_request(server, data={"grant_type": "client_credentials", "client_id": cid,
                                    "client_secret": secret})
    assert r.status_code == 200, r.text


def test_basic_scheme_is_case_insensitive(server):
    cid, secret = new_client(server)
    value = basic(cid, secret).split(" ", 1)[1]
    for scheme in ("basic", "BASIC"):
        r = token_request(server, headers={"Authorization": scheme + " " + value})
        assert r.status_code == 200, (scheme, r.text)


def test_basic_and_parameters_naming_the_same_client_succeed(server):
    cid, secret = new_client(server)
    r = token_request(server, auth=(cid, secret),
                      data={"grant_type": "client_credentials", "client_id": cid, "client_secret": secret})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("scope", [None, "", "read", "read read"], ids=repr)
def test_scope_read_or_absent_gives_read(server, scope):
    client = new_client(server)
    data = {"grant_type": "client_credentials"}
    if scope is not None:
        data["scope"] = scope
    r = token_request(server, auth=client, data=data)
    assert r.status_code == 200, r.text
    assert r.json()["scope"] == "read"


def test_parameters_the_grant_does_not_use_are_ignored(server):
    client = new_client(server)
    r = token_request(server, auth=client, data={"grant_type": "client_credentials", "redirect_uri": "",
                                                 "code": "whatever", "foo": "bar", "state": "x"})
    assert r.status_code == 200, r.text


def test_body_wins_over_query(server):
    client = new_client(server)
    r = token_request(server, auth=client, params={"grant_type": "bogus"},
                      data={"grant_type": "client_credentials"})
    assert r.status_code == 200, r.text
    r = token_request(server, auth=client, params={"grant_type": "client_credentials"},
                      data={"grant_type": "bogus"})
    assert_oauth_error(r, 400, "unsupported_grant_type")


def test_same_parameter_in_query_and_body_is_not_a_duplicate(server):
    client = new_client(server)
    r = token_request(server, auth=client, params={"grant_type": "client_credentials"},
                      data={"grant_type": "client_credentials"})
    assert r.status_code == 200, r.text


def test_json_body_is_ignored(server):
    client = new_client(server)
    body = json.dumps({"grant_type": "client_credentials"})
    # from the JSON body nothing is read: grant_type is missing
    r = token_request(server, auth=client, data=body, headers={"Content-Type": "application/json"})
    assert_oauth_error(r, 400, "invalid_request")
    # with the parameters in the query, the JSON body does not get in the way
    r = token_request(server, auth=client, data=body, params={"grant_type": "client_credentials"},
                      headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.text


def test_token_reuse_returns_the_same_token(server):
    client = new_client(server)
    first = token_request(server, auth=client).json()
    time.sleep(1.1)
    second = token_request(server, auth=client).json()
    assert second["access_token"] == first["access_token"]
    assert second["expires_in"] <= first["expires_in"]
    assert second["expires_in"] >= first["expires_in"] - 3


def test_short_lived_tokens_are_not_reused(server):
    """Reuse needs at least 60 s left; with a 30 s lifetime every request gets a new token."""
    client = new_client(server, access_ttl=30)
    tokens = [token_request(server, auth=client).json() for _ in range(2)]
    assert tokens[0]["access_token"] != tokens[1]["access_token"]
    assert all(29 <= t["expires_in"] <= 30 for t in tokens), tokens
    for t in tokens:
        assert_authenticated_404(capi(server, CLIENT_PATH, t["access_token"]))


def test_reuse_needs_60_seconds_left(server):
    client = new_client(server, access_ttl=70)  # 70 s left now: reused
    a, b = (token_request(server, auth=client).json() for _ in range(2))
    assert a["access_token"] == b["access_token"], (a, b)
    client = new_client(server, access_ttl=59)  # never 60 s left: a new token each time
    a, b = (token_request(server, auth=client).json() for _ in range(2))
    assert a["access_token"] != b["access_token"], (a, b)


def test_access_ttl_overrides_the_lifetime(server):
    client = new_client(server, access_ttl=600)
    doc = token_request(server, auth=client).json()
    assert doc["expires_in"] in (599, 600), doc


def test_concurrent_token_requests_all_succeed(server):
    """Many parallel grants for one client: no 500 from database contention, every token works."""
    client = new_client(server, token_rate=0)
    results = []
    lock = threading.Lock()

    def worker():
        s = requests.Session()
        for _ in range(5):
            r = s.post(server.url(TOKEN), headers={"Authorization": basic(*client)},
                       data={"grant_type": "client_credentials"}, timeout=20)
            with lock:
                results.append((r.status_code, r.text))

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 50
    bad = [x for x in results if x[0] != 200]
    assert not bad, bad[:5]
    for tok in {json.loads(t)["access_token"] for _, t in results}:
        assert_authenticated_404(capi(server, CLIENT_PATH, tok))


def test_token_response_is_json_whatever_the_accept_header(server):
    client = new_client(server)
    for accept in ("application/xml", "text/xml", "text/html", "*/*"):
        r = token_request(server, auth=client, headers={"Accept": accept})
        assert r.status_code == 200, (accept, r.text)
        assert_json_ct(r)
        assert r.json()["token_type"] == "bearer"


def test_oauth_errors_are_json_whatever_the_accept_header(server):
    """README §9.2: token-endpoint and bearer errors are always JSON."""
    cid, secret = new_client(server)
    xml = {"Accept": "application/xml"}
    assert_bad_client(token_request(server, auth=(cid, "wrong-secret-0123456789"), headers=xml), basic_used=True)
    assert_oauth_error(token_request(server, auth=(cid, secret), data={"grant_type": "bogus"}, headers=xml),
                       400, "unsupported_grant_type")
    assert_unauthorized(capi(server, CLIENT_PATH, headers=xml))
    tok = unknown_token()
    assert_invalid_token(capi(server, CLIENT_PATH, headers=dict(xml, Authorization="Bearer " + tok)), tok)
    tok = get_token(server, (cid, secret))
    r = capi(server, USER_PATH, tok, headers=xml)
    assert r.status_code == 403, r.text
    assert_json_ct(r)
    assert r.json() == NEEDS_USER


# ---------------------------------------------------------------------------------------------
# Token endpoint: request errors


def test_missing_grant_type_is_invalid_request(server):
    r = token_request(server, auth=new_client(server), data={"scope": "read"})
    assert_oauth_error(r, 400, "invalid_request")


def test_empty_body_is_invalid_request(server):
    r = token_request(server, auth=new_client(server), data="", headers={"Content-Type": FORM_CT})
    assert_oauth_error(r, 400, "invalid_request")


@pytest.mark.parametrize("grant", ["bogus", "password", "implicit", "CLIENT_CREDENTIALS",
                                   "client_credentials "], ids=repr)
def test_unknown_grant_type_is_unsupported(server, grant):
    r = token_request(server, auth=new_client(server), data={"grant_type": grant})
    assert_oauth_error(r, 400, "unsupported_grant_type")


@pytest.mark.parametrize("grant", ["authorization_code", "refresh_token", EXTID_GRANT])
def test_grant_the_client_is_not_configured_for_is_unauthorized_client(server, grant):
    client = new_client(server, grants="client_credentials")
    r = token_request(server, auth=client, data={"grant_type": grant, "code": "abcdefghijkl",
                                                 "refresh_token": str(uuid.uuid4())})
    assert_oauth_error(r, 400, "unauthorized_client")


def test_client_credentials_for_a_client_without_that_grant_is_unauthorized_client(server):
    client = new_client(server, grants="refresh_token")
    r = token_request(server, auth=client)
    assert_oauth_error(r, 400, "unauthorized_client")


def test_refresh_grant_without_refresh_token_is_invalid_request(server):
    client = new_client(server, grants="client_credentials,refresh_token")
    r = token_request(server, auth=client, data={"grant_type": "refresh_token"})
    assert_oauth_error(r, 400, "invalid_request")


def test_refresh_grant_with_unknown_refresh_token_is_invalid_grant(server):
    client = new_client(server, grants="client_credentials,refresh_token")
    r = token_request(server, auth=client, data={"grant_type": "refresh_token",
                                                 "refresh_token": str(uuid.uuid4())})
    assert_oauth_error(r, 400, "invalid_grant")


def test_access_token_is_not_a_refresh_token(server):
    client = new_client(server, grants="client_credentials,refresh_token")
    tok = get_token(server, client)
    r = token_request(server, auth=client, data={"grant_type": "refresh_token", "refresh_token": tok})
    assert_oauth_error(r, 400, "invalid_grant")


@pytest.mark.parametrize("scope", ["write", "read write", "READ", "openid", "read,write"], ids=repr)
def test_scope_other_than_read_is_invalid_scope(server, scope):
    r = token_request(server, auth=new_client(server), data={"grant_type": "client_credentials",
                                                             "scope": scope})
    assert_oauth_error(r, 400, "invalid_scope")


@pytest.mark.parametrize("where", ["body", "query"])
def test_parameter_repeated_within_one_source_is_invalid_request(server, where):
    client = new_client(server)
    twice = "grant_type=client_credentials&grant_type=client_credentials"
    if where == "body":
        r = token_request(server, auth=client, data=twice, headers={"Content-Type": FORM_CT})
    else:
        r = requests.post(server.url(TOKEN + "?" + twice), headers={"Authorization": basic(*client)},
                          timeout=10)
    assert_oauth_error(r, 400, "invalid_request")


def test_repeated_client_id_parameter_is_invalid_request(server):
    cid, secret = new_client(server)
    body = "grant_type=client_credentials&client_id=%s&client_id=%s&client_secret=%s" % (cid, cid, secret)
    r = token_request(server, data=body, headers={"Content-Type": FORM_CT})
    assert_oauth_error(r, 400, "invalid_request")


def test_body_that_is_not_form_encoded_is_invalid_request(server):
    """README §9.2: "a body that is not form-encoded" is malformed (JSON alone is ignored)."""
    client = new_client(server)
    r = token_request(server, auth=client, data="grant_type=client_credentials",
                      headers={"Content-Type": "text/plain"})
    assert_oauth_error(r, 400, "invalid_request")


def test_malformed_form_encoding_is_invalid_request(server):
    client = new_client(server)
    r = token_request(server, auth=client, data="grant_type=client_credentials&scope=%zz",
                      headers={"Content-Type": FORM_CT})
    assert_oauth_error(r, 400, "invalid_request")


def test_get_on_token_endpoint_is_405(server):
    r = requests.get(server.url(TOKEN), timeout=10)
    assert r.status_code == 405, r.text
    assert "POST" in r.headers.get("Allow", ""), r.headers


# ---------------------------------------------------------------------------------------------
# Token endpoint: client authentication


def test_wrong_secret_with_basic_is_invalid_client(server):
    cid, secret = new_client(server)
    r = token_request(server, auth=(cid, secret + "x"))
    assert_bad_client(r, basic_used=True)


def test_unknown_client_with_basic_is_invalid_client(server):
    r = token_request(server, auth=("no.such.client." + uuid.uuid4().hex[:6], "x" * 24))
    assert_bad_client(r, basic_used=True)


def test_wrong_secret_in_parameters_is_invalid_client(server):
    cid, secret = new_client(server)
    r = token_request(server, data={"grant_type": "client_credentials", "client_id": cid,
                                    "client_secret": secret[:-1]})
    assert_bad_client(r, basic_used=False)


def test_wrong_secret_in_query_is_invalid_client(server):
    cid, secret = new_client(server)
    r = requests.post(server.url(TOKEN), params={"grant_type": "client_credentials", "client_id": cid,
                                                 "client_secret": "wrong-" + secret}, timeout=10)
    assert_bad_client(r, basic_used=False)


def test_no_client_authentication_is_invalid_client(server):
    r = token_request(server)
    assert_bad_client(r, basic_used=False)


def test_client_id_without_secret_is_invalid_client(server):
    cid, _ = new_client(server)
    r = token_request(server, data={"grant_type": "client_credentials", "client_id": cid})
    assert_bad_client(r, basic_used=False)


def test_empty_secret_is_invalid_client(server):
    cid, _ = new_client(server)
    r = token_request(server, auth=(cid, ""))
    assert_bad_client(r, basic_used=True)
    r = token_request(server, data={"grant_type": "client_credentials", "client_id": cid,
                                    "client_secret": ""})
    assert_bad_client(r, basic_used=False)


@pytest.mark.parametrize("value", ["Basic", "Basic ", "Basic !!!notbase64!!!", "Basic Zm9v",
                                   "Basic " + base64.b64encode(b"no-colon-here").decode()],
                         ids=["no-credentials", "empty", "not-base64", "no-colon", "no-colon-2"])
def test_malformed_basic_is_invalid_client(server, value):
    r = token_request(server, headers={"Authorization": value})
    assert_bad_client(r, basic_used=True)


def test_basic_and_parameters_naming_different_clients_is_invalid_client(server):
    a = new_client(server)
    b = new_client(server)
    # both credential sets are valid on their own
    r = token_request(server, auth=a, data={"grant_type": "client_credentials", "client_id": b[0],
                                            "client_secret": b[1]})
    assert r.status_code == 401, r.text
    assert_json_ct(r)
    assert r.json()["error"] == "invalid_client", r.text
    # a client_id parameter alone that names another client than Basic
    r = token_request(server, auth=a, data={"grant_type": "client_credentials", "client_id": b[0]})
    assert r.status_code == 401, r.text
    assert r.json()["error"] == "invalid_client", r.text


def test_authentication_is_checked_before_the_grant(server):
    """Bad credentials with an unknown grant type or scope still say invalid_client."""
    cid, secret = new_client(server)
    r = token_request(server, auth=(cid, "wrong-secret-wrong-secret"), data={"grant_type": "bogus"})
    assert_bad_client(r, basic_used=True)


# ---------------------------------------------------------------------------------------------
# Token endpoint: rate limit


def test_token_endpoint_rate_limit_per_client(server):
    client = new_client(server, token_rate=1)  # burst 2
    s = requests.Session()
    statuses = []
    last = None
    for _ in range(3):
        last = s.post(server.url(TOKEN), headers={"Authorization": basic(*client)},
                      data={"grant_type": "client_credentials"}, timeout=10)
        statuses.append(last.status_code)
    assert statuses[:2] == [200, 200], statuses
    assert_too_many(last)
    # another client is not affected
    other = new_client(server, token_rate=1)
    assert token_request(server, auth=other).status_code == 200


# ---------------------------------------------------------------------------------------------
# Bearer authentication of /capi


def test_client_token_on_client_path_is_authenticated(server):
    tok = get_token(server, new_client(server))
    assert_authenticated_404(capi(server, CLIENT_PATH, tok))
    assert_authenticated_404(capi(server, "/capi/v1/client/x/y/z", tok))
    assert_authenticated_404(capi(server, CLIENT_PATH, tok, method="POST", json={}))


def test_client_token_on_user_path_is_403(server):
    tok = get_token(server, new_client(server))
    r = capi(server, USER_PATH, tok)
    assert r.status_code == 403, r.text
    assert_json_ct(r)
    assert r.json() == NEEDS_USER
    assert r.headers.get("WWW-Authenticate") == bearer_challenge("insufficient_scope"), r.headers


@pytest.mark.parametrize("path", [CLIENT_PATH, USER_PATH, "/capi/v1/nothing", "/capi/nothing"])
def test_missing_authorization_is_401_unauthorized(server, path):
    assert_unauthorized(capi(server, path))


def test_unknown_token_is_401_invalid_token(server):
    tok = unknown_token()
    assert_invalid_token(capi(server, CLIENT_PATH, tok), tok)
    assert_invalid_token(capi(server, USER_PATH, tok), tok)


def test_short_unknown_token_is_401_invalid_token(server):
    r = capi(server, CLIENT_PATH, "abc")
    assert_bearer_401(r, "invalid_token", "Invalid access token: abc" + ELLIPSIS)


@pytest.mark.parametrize("value", ["{token}", "Basic {basic}", "Token {token}", "Bearer{token}"],
                         ids=["no-scheme", "basic", "other-scheme", "no-space"])
def test_authorization_without_bearer_counts_as_missing(server, value):
    client = new_client(server)
    tok = get_token(server, client)
    h = value.format(token=tok, basic=base64.b64encode(("%s:%s" % client).encode()).decode())
    assert_unauthorized(capi(server, CLIENT_PATH, headers={"Authorization": h}))


def raw_get(server, path, header_lines):
    """GET with exactly these header lines (bytes or str); returns conftest.Response."""
    req = ["GET %s HTTP/1.1" % path, "Host: 127.0.0.1", "Connection: close"] + list(header_lines)
    data = "\r\n".join(req).encode("latin-1") if all(isinstance(x, str) for x in req) else \
        b"\r\n".join(x if isinstance(x, bytes) else x.encode("latin-1") for x in req)
    with RawConn(server) as c:
        c.send(data + b"\r\n\r\n")
        return c.read_response()


def raw_json(resp):
    return json.loads(resp.body.decode("utf-8"))


def test_empty_bearer_token_is_invalid_token(server):
    resp = raw_get(server, CLIENT_PATH, ["Authorization: Bearer "])
    assert resp.status == 401, resp
    assert raw_json(resp)["error"] == "invalid_token", resp
    assert resp.header("WWW-Authenticate").startswith('Bearer realm="connectid", error="invalid_token"')


def test_two_bearer_tokens_in_one_header_is_invalid_token(server):
    tok = get_token(server, new_client(server))
    r = capi(server, CLIENT_PATH, headers={"Authorization": "Bearer %s %s" % (tok, tok)})
    assert r.status_code == 401, r.text
    assert r.json()["error"] == "invalid_token", r.text
    r = capi(server, CLIENT_PATH, headers={"Authorization": "Bearer a b"})
    assert r.status_code == 401, r.text
    assert r.json()["error"] == "invalid_token", r.text


def test_two_authorization_headers_is_invalid_token(server):
    tok = get_token(server, new_client(server))
    resp = raw_get(server, CLIENT_PATH, ["Authorization: Bearer " + tok, "Authorization: Bearer " + tok])
    assert resp.status == 401, resp
    assert raw_json(resp)["error"] == "invalid_token", resp


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "bEaReR"])
def test_bearer_scheme_is_case_insensitive(server, scheme):
    tok = get_token(server, new_client(server))
    assert_authenticated_404(capi(server, CLIENT_PATH, headers={"Authorization": scheme + " " + tok}))


def test_access_token_in_query_or_body_is_ignored(server):
    tok = get_token(server, new_client(server))
    assert_unauthorized(capi(server, CLIENT_PATH, params={"access_token": tok}))
    assert_unauthorized(capi(server, CLIENT_PATH, method="POST", data={"access_token": tok}))
    assert_unauthorized(capi(server, CLIENT_PATH, method="POST", json={"access_token": tok}))


CHALLENGE_RE = re.compile(r'^Bearer realm="connectid", error="([a-z_]+)", error_description="([^"\\]*)"$')


def assert_safe_invalid_token(status, headers, body, token):
    """401 invalid_token whose body is valid JSON and whose header is a valid RFC 6750 challenge.

    The 6 echoed characters are hostile input here: the body may show each one as itself or as
    '?', and the header's error_description may only hold RFC 6750 characters.
    """
    assert status == 401, (status, body[:300])
    doc = json.loads(body.decode("utf-8") if isinstance(body, bytes) else body)
    assert doc["error"] == "invalid_token", doc
    d = doc["error_description"]
    prefix = "Invalid access token: "
    assert d.startswith(prefix) and d.endswith(ELLIPSIS), doc
    echoed = d[len(prefix):-1]
    assert len(echoed) <= 6, doc
    if token is not None:
        assert len(echoed) == min(6, len(token)), doc
        assert all(e == t or e == "?" for e, t in zip(echoed, token)), doc
    v = headers.get("WWW-Authenticate")
    assert v is not None, headers
    m = CHALLENGE_RE.match(v)
    assert m and m.group(1) == "invalid_token", v
    assert RFC6750_TEXT.match(m.group(2)), v
    assert m.group(2).startswith(prefix) and m.group(2).endswith("..."), v


def test_quotes_in_token_are_safe_in_body_and_header(server):
    tok = 'a"b\\cdefgh'
    r = capi(server, CLIENT_PATH, headers={"Authorization": "Bearer " + tok})
    assert_safe_invalid_token(r.status_code, r.headers, r.content, tok)


def test_non_ascii_token_gives_valid_json(server):
    """Bytes that are not UTF-8 (or a multi-byte character cut at 6) must not break the body."""
    for raw in (b"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9x", b"\xff\xfe\xfd\xfc\xfb\xfa\xf9"):
        resp = raw_get(server, CLIENT_PATH, [b"Authorization: Bearer " + raw])
        assert resp.status in (400, 401), resp
        if resp.status == 401:
            assert_safe_invalid_token(resp.status, {"WWW-Authenticate": resp.header("WWW-Authenticate")},
                                      resp.body, None)


def test_capi_rate_limit_per_client(server):
    client = new_client(server, capi_rate=1)  # burst 2
    tok = get_token(server, client)
    s = requests.Session()
    rs = [s.get(server.url(CLIENT_PATH), headers={"Authorization": "Bearer " + tok}, timeout=10)
          for _ in range(3)]
    assert [r.status_code for r in rs[:2]] == [404, 404], [(r.status_code, r.text) for r in rs]
    assert_too_many(rs[2])
    # README §4: 429 comes after 401/403 but before 404
    assert_too_many(s.get(server.url("/capi/v1/client/other"), headers={"Authorization": "Bearer " + tok},
                          timeout=10))
    # another client's bucket is its own
    tok2 = get_token(server, new_client(server, capi_rate=1))
    assert_authenticated_404(capi(server, CLIENT_PATH, tok2))


def test_wrong_mode_is_checked_before_the_rate_limit(server):
    """README §4: 401/403 come before 429."""
    client = new_client(server, capi_rate=1)  # burst 2
    tok = get_token(server, client)
    s = requests.Session()
    statuses = [s.get(server.url(CLIENT_PATH), headers={"Authorization": "Bearer " + tok},
                      timeout=10).status_code for _ in range(3)]
    assert statuses == [404, 404, 429], statuses
    r = capi(server, USER_PATH, tok)
    assert r.status_code == 403, r.text
    assert r.json() == NEEDS_USER
    assert_unauthorized(capi(server, CLIENT_PATH))


def test_capi_rate_limit_refills(server):
    client = new_client(server, capi_rate=2)  # burst 4
    tok = get_token(server, client)
    s = requests.Session()
    statuses = [s.get(server.url(CLIENT_PATH), headers={"Authorization": "Bearer " + tok},
                      timeout=10).status_code for _ in range(6)]
    assert 429 in statuses, statuses
    time.sleep(1.1)
    assert_authenticated_404(capi(server, CLIENT_PATH, tok))


def test_access_log_names_the_calling_client(server):
    cid, secret = new_client(server)
    tok = get_token(server, (cid, secret))
    marker = "l" + uuid.uuid4().hex[:8]
    assert capi(server, "/capi/v1/client/" + marker, tok).status_code == 404
    entries = server.wait_for_log(lambda e: marker in e.get("path", ""))
    assert len(entries) == 1, entries
    assert entries[0]["client"] == cid, entries[0]
    assert entries[0]["status"] == 404


# ---------------------------------------------------------------------------------------------
# Expiry


def test_expired_token_is_401_access_token_expired(server):
    client = new_client(server, access_ttl=2)
    r = token_request(server, auth=client)
    assert r.status_code == 200, r.text
    assert r.json()["expires_in"] in (1, 2), r.json()
    tok = r.json()["access_token"]
    assert_authenticated_404(capi(server, CLIENT_PATH, tok))
    time.sleep(3)
    assert_invalid_token(capi(server, CLIENT_PATH, tok), tok, expired=True)
    r = post(server, INTROSPECT, auth=client, data={"token": tok})
    assert r.status_code == 200, r.text
    assert r.json() == {"active": False}
    # a new grant gives a working token again
    assert_authenticated_404(capi(server, CLIENT_PATH, get_token(server, client)))


# ---------------------------------------------------------------------------------------------
# Revocation (RFC 7009)


def test_revoke_own_token(server):
    client = new_client(server)
    tok = get_token(server, client)
    assert_authenticated_404(capi(server, CLIENT_PATH, tok))
    r = post(server, REVOKE, auth=client, data={"token": tok})
    assert r.status_code == 200, r.text
    assert_invalid_token(capi(server, CLIENT_PATH, tok), tok)
    # reuse never hands out the revoked token
    tok2 = get_token(server, client)
    assert tok2 != tok
    assert_authenticated_404(capi(server, CLIENT_PATH, tok2))


def test_revoke_with_parameter_authentication_and_type_hint(server):
    cid, secret = new_client(server)
    tok = get_token(server, (cid, secret))
    r = post(server, REVOKE, data={"token": tok, "token_type_hint": "refresh_token", "client_id": cid,
                                   "client_secret": secret})
    assert r.status_code == 200, r.text
    assert_invalid_token(capi(server, CLIENT_PATH, tok), tok)


def test_revoke_unknown_token_is_200(server):
    client = new_client(server)
    r = post(server, REVOKE, auth=client, data={"token": unknown_token()})
    assert r.status_code == 200, r.text
    # twice is fine as well
    tok = get_token(server, client)
    for _ in range(2):
        assert post(server, REVOKE, auth=client, data={"token": tok}).status_code == 200


def test_revoke_another_clients_token_is_refused(server):
    a = new_client(server)
    b = new_client(server)
    tok = get_token(server, a)
    r = post(server, REVOKE, auth=b, data={"token": tok})
    assert_oauth_error(r, 400, "unauthorized_client")
    assert_authenticated_404(capi(server, CLIENT_PATH, tok))


def test_revoke_without_token_is_invalid_request(server):
    r = post(server, REVOKE, auth=new_client(server), data={"token_type_hint": "access_token"})
    assert_oauth_error(r, 400, "invalid_request")


def test_revoke_with_bad_credentials_is_invalid_client(server):
    cid, secret = new_client(server)
    tok = get_token(server, (cid, secret))
    r = post(server, REVOKE, auth=(cid, "wrong-" + secret), data={"token": tok})
    assert_bad_client(r, basic_used=True)
    r = post(server, REVOKE, data={"token": tok})
    assert_bad_client(r, basic_used=False)
    assert_authenticated_404(capi(server, CLIENT_PATH, tok))


# ---------------------------------------------------------------------------------------------
# Introspection (RFC 7662)


def test_introspect_own_active_token(server):
    cid, secret = new_client(server)
    before = int(time.time())
    tok = get_token(server, (cid, secret))
    after = int(time.time())
    r = post(server, INTROSPECT, auth=(cid, secret), data={"token": tok})
    assert r.status_code == 200, r.text
    assert_json_ct(r)
    doc = r.json()
    assert set(doc) == {"active", "scope", "client_id", "token_type", "exp", "iat"}, doc
    assert doc["active"] is True
    assert doc["scope"] == "read"
    assert doc["client_id"] == cid
    assert doc["token_type"] == "access_token"
    assert isinstance(doc["iat"], int) and isinstance(doc["exp"], int), doc
    assert before - 1 <= doc["iat"] <= after + 1, (before, doc, after)
    assert doc["exp"] - doc["iat"] in (43199, 43200, 43201), doc


def test_introspect_with_parameter_authentication(server):
    cid, secret = new_client(server)
    tok = get_token(server, (cid, secret))
    r = post(server, INTROSPECT, data={"token": tok, "client_id": cid, "client_secret": secret})
    assert r.status_code == 200, r.text
    assert r.json()["active"] is True


def test_introspect_inactive_tokens(server):
    a = new_client(server)
    b = new_client(server)
    tok_b = get_token(server, b)
    revoked = get_token(server, a)
    assert post(server, REVOKE, auth=a, data={"token": revoked}).status_code == 200
    for tok in (unknown_token(), revoked, tok_b, "x"):
        r = post(server, INTROSPECT, auth=a, data={"token": tok})
        assert r.status_code == 200, (tok, r.text)
        assert_json_ct(r)
        assert r.json() == {"active": False}, (tok, r.text)
    # b's token is untouched by a's introspection
    assert_authenticated_404(capi(server, CLIENT_PATH, tok_b))


def test_introspect_without_token_is_invalid_request(server):
    r = post(server, INTROSPECT, auth=new_client(server), data={})
    assert_oauth_error(r, 400, "invalid_request")


def test_introspect_with_bad_credentials_is_invalid_client(server):
    cid, secret = new_client(server)
    tok = get_token(server, (cid, secret))
    r = post(server, INTROSPECT, auth=(cid, secret + "x"), data={"token": tok})
    assert_bad_client(r, basic_used=True)


# ---------------------------------------------------------------------------------------------
# Client management seen from the API


def test_removed_client_loses_its_tokens_and_its_grant(server):
    client = new_client(server)
    tok = get_token(server, client)
    assert_authenticated_404(capi(server, CLIENT_PATH, tok))
    r = run_cli("client", "remove", "--db", server.db.url, "--id", client[0])
    assert r.returncode == 0, r.stderr
    r = poll_status(lambda: capi(server, CLIENT_PATH, tok), 401, 6)[0]
    assert r is not None, "token of a removed client still accepted after 6 s"
    assert_invalid_token(r, tok)
    r = poll_status(lambda: token_request(server, auth=client), 401, 6)[0]
    assert r is not None, "removed client still gets tokens after 6 s"
    assert_bad_client(r, basic_used=True)


def test_rotated_secret_replaces_the_old_one_and_keeps_tokens(server):
    cid, old = new_client(server)
    tok = get_token(server, (cid, old))
    r = run_cli("client", "rotate-secret", "--db", server.db.url, "--id", cid)
    assert r.returncode == 0, r.stderr
    m = re.search(r"^client_secret:\s*(\S+)\s*$", r.stdout, re.M)
    assert m, r.stdout
    new = m.group(1)
    assert new != old
    r = poll_status(lambda: token_request(server, auth=(cid, old)), 401, 6)[0]
    assert r is not None, "old secret still accepted 6 s after rotate-secret"
    assert_bad_client(r, basic_used=True)
    assert token_request(server, auth=(cid, new)).status_code == 200
    assert_authenticated_404(capi(server, CLIENT_PATH, tok))


def test_client_update_changes_the_lifetime(server):
    client = new_client(server, access_ttl=30)
    assert token_request(server, auth=client).json()["expires_in"] in (29, 30)
    r = run_cli("client", "update", "--db", server.db.url, "--id", client[0], "--access-ttl", "600")
    assert r.returncode == 0, r.stderr
    time.sleep(5.5)  # settings are cached for up to 5 s
    assert token_request(server, auth=client).json()["expires_in"] in (599, 600)


# ---------------------------------------------------------------------------------------------
# Failed authentications per source address (dedicated servers with the default limit)


def _allowed_failures(elapsed):
    """Burst 20 plus what 10/s refills during the run, with a little slack."""
    return 20 + int(elapsed * 10) + 2


def test_failed_token_authentications_are_limited_per_address(server_factory):
    srv = server_factory()  # default --auth-fail-rate 10: burst 20
    victim = add_client(srv.db.url, token_rate=1)  # burst 2, refills 1/s
    s = requests.Session()
    t0 = time.monotonic()
    rs = [s.post(srv.url(TOKEN), headers={"Authorization": basic(victim[0], "wrong-secret-0123456789")},
                 data={"grant_type": "client_credentials"}, timeout=10) for _ in range(40)]
    elapsed = time.monotonic() - t0
    statuses = [r.status_code for r in rs]
    assert set(statuses) <= {401, 429}, statuses
    assert statuses[:20] == [401] * 20, statuses
    assert 429 in statuses, statuses
    assert statuses.count(401) <= _allowed_failures(elapsed), (elapsed, statuses)
    assert_too_many(rs[statuses.index(429)])
    assert_too_many(rs[-1])
    # The failures named the victim, but never took from its own bucket (burst 2): shortly after,
    # two quick valid grants both succeed (a drained bucket would have refilled 0.3 tokens).
    time.sleep(0.3)
    r1 = token_request(srv, auth=victim)
    r2 = token_request(srv, auth=victim)
    assert (r1.status_code, r2.status_code) == (200, 200), (r1.text, r2.text)


def test_failed_bearer_authentications_are_limited_per_address(server_factory):
    srv = server_factory()
    victim = add_client(srv.db.url, capi_rate=1)  # burst 2
    revoked = get_token(srv, victim)
    assert post(srv, REVOKE, auth=victim, data={"token": revoked}).status_code == 200
    good = get_token(srv, victim)
    s = requests.Session()
    t0 = time.monotonic()
    # a revoked token names the victim; unknown ones name nobody
    rs = [s.get(srv.url(CLIENT_PATH), headers={"Authorization": "Bearer " + (revoked if i % 2 else unknown_token())},
                timeout=10) for i in range(40)]
    elapsed = time.monotonic() - t0
    statuses = [r.status_code for r in rs]
    assert set(statuses) <= {401, 429}, statuses
    assert statuses[:20] == [401] * 20, statuses
    assert 429 in statuses, statuses
    assert statuses.count(401) <= _allowed_failures(elapsed), (elapsed, statuses)
    assert_too_many(rs[-1])
    time.sleep(0.3)
    r1 = capi(srv, CLIENT_PATH, good)
    r2 = capi(srv, CLIENT_PATH, good)
    assert (r1.status_code, r2.status_code) == (404, 404), (r1.text, r2.text)
    # and missing headers count as failures too, on a limit that refills
    time.sleep(2.5)
    assert_unauthorized(capi(srv, CLIENT_PATH))


# ---------------------------------------------------------------------------------------------
# Secrets never reach a log or an error body


def test_no_token_or_secret_in_logs_or_error_bodies(server_factory):
    srv = server_factory("--log-level", "debug", "--auth-fail-rate", "0")
    secret = "LogSecret-" + uuid.uuid4().hex
    cid, _ = add_client(srv.db.url, secret=secret, grants="client_credentials,refresh_token,authorization_code")
    secret2 = "Other%2BSecret-" + uuid.uuid4().hex  # a '%' and '+' in it: encoded forms differ
    cid2, _ = add_client(srv.db.url, secret=secret2)
    bodies = []

    def keep(r):
        """Remember r's body unless it is a grant that legitimately carries a token."""
        if not (r.status_code == 200 and r.request.path_url.startswith(TOKEN)):
            bodies.append(r.content)
        return r

    tokens = []
    # successes: Basic, body parameters, query parameters (secret in the query string)
    r = keep(token_request(srv, auth=(cid, secret)))
    tokens.append(r.json()["access_token"])
    keep(token_request(srv, data={"grant_type": "client_credentials", "client_id": cid2,
                                  "client_secret": secret2}))
    r = keep(requests.post(srv.url(TOKEN), params={"grant_type": "client_credentials", "client_id": cid2,
                                                   "client_secret": secret2}, timeout=10))
    assert r.status_code == 200, r.text
    tokens.append(r.json()["access_token"])
    # failures: wrong secrets (near misses share a prefix with the real one), in each place
    wrong = secret + "-WRONG"
    keep(token_request(srv, auth=(cid, wrong)))
    keep(token_request(srv, data={"grant_type": "client_credentials", "client_id": cid, "client_secret": wrong}))
    keep(requests.post(srv.url(TOKEN), params={"grant_type": "client_credentials", "client_id": cid,
                                               "client_secret": wrong}, timeout=10))
    keep(requests.post(srv.url(TOKEN + "?client_secret=" + quote(wrong, safe="") + "&grant_type=bogus"),
                       timeout=10))
    # a refresh token, a code and a password in query and body
    refresh = "RefreshTok-" + uuid.uuid4().hex
    code = "AuthCode-" + uuid.uuid4().hex
    password = "Passw0rd-" + uuid.uuid4().hex
    keep(token_request(srv, auth=(cid, secret), data={"grant_type": "refresh_token", "refresh_token": refresh}))
    keep(requests.post(srv.url(TOKEN), params={"grant_type": "refresh_token", "refresh_token": refresh,
                                               "password": password}, auth=(cid, secret), timeout=10))
    keep(token_request(srv, auth=(cid, secret), data={"grant_type": "authorization_code", "code": code,
                                                      "password": password}))
    keep(requests.post(srv.url(TOKEN), params={"grant_type": "authorization_code", "code": code},
                       auth=(cid, secret), timeout=10))
    # bearer use and misuse
    unknown = "UnknownTok-" + uuid.uuid4().hex
    keep(capi(srv, CLIENT_PATH, tokens[0]))
    keep(capi(srv, USER_PATH, tokens[0]))
    keep(capi(srv, CLIENT_PATH, unknown))
    keep(capi(srv, CLIENT_PATH, params={"access_token": tokens[1]}))
    keep(capi(srv, CLIENT_PATH, headers={"Authorization": "Bearer %s %s" % (tokens[0], tokens[1])}))
    keep(capi(srv, CLIENT_PATH, headers={"Authorization": tokens[0]}))
    # introspection and revocation carry tokens in parameters
    keep(post(srv, INTROSPECT, auth=(cid, secret), data={"token": tokens[0]}))
    keep(post(srv, INTROSPECT, auth=(cid, secret), data={"token": tokens[1]}))
    keep(post(srv, REVOKE, auth=(cid, secret), data={"token": tokens[1]}))
    keep(requests.post(srv.url(REVOKE), params={"token": tokens[0]}, auth=(cid, secret), timeout=10))
    keep(capi(srv, CLIENT_PATH, tokens[0]))  # now revoked

    srv.wait_for_log(lambda e: e.get("path", "").startswith(REVOKE), count=2)
    time.sleep(0.3)
    with open(srv.access_log, "rb") as f:
        access = f.read().decode("utf-8", "replace")
    logs = {"access log": access, "stderr": srv.stderr_text(), "stdout": srv.stdout_text()}
    assert TOKEN in access and CLIENT_PATH in access, access[-2000:]

    secrets = {"client secret": secret, "client secret 2": secret2,
               "client secret 2 (form-encoded)": quote_plus(secret2), "wrong secret": wrong,
               "refresh token": refresh, "code": code, "password": password, "unknown token": unknown,
               "Basic credentials": basic(cid, secret).split(" ", 1)[1]}
    for i, t in enumerate(tokens):
        secrets["access token %d" % i] = t
    for where, text in logs.items():
        for what, value in secrets.items():
            assert value not in text, "%s found in %s" % (what, where)
            # the first 6 characters are allowed; 12 are not
            assert value[:12] not in text, "%s (12-character prefix) found in %s" % (what, where)
    for body in bodies:
        text = body.decode("utf-8", "replace")
        for what, value in secrets.items():
            # an error body may echo the first 6 characters of a token, never more
            assert value[:7] not in text, "%s in a response body: %s" % (what, text)
    # the token endpoint's query string is never logged (README §13)
    for e in srv.access_log_lines():
        if e.get("path", "").startswith(TOKEN):
            assert "client_secret" not in json.dumps(e), e


# ---------------------------------------------------------------------------------------------
# Two processes on one database


@pytest.mark.postgresql_only
def test_token_works_on_a_second_process_and_revocation_spreads(server_factory):
    if DB_KIND != "postgresql":
        pytest.skip("two processes share a database only with CONNECTD_TEST_DB=postgresql")
    one = server_factory("--auth-fail-rate", "0")
    two = server_factory("--auth-fail-rate", "0", db=one.db)
    client = add_client(one.db.url)
    for issuer, other in ((one, two), (two, one)):
        tok = get_token(issuer, client)
        assert_authenticated_404(capi(other, CLIENT_PATH, tok))
        assert_authenticated_404(capi(issuer, CLIENT_PATH, tok))
        r = post(issuer, INTROSPECT, auth=client, data={"token": tok})
        assert r.json()["active"] is True
        r = post(other, INTROSPECT, auth=client, data={"token": tok})
        assert r.json()["active"] is True, r.text
        # revoke on `other`: at once there, within 5 s on `issuer`
        assert post(other, REVOKE, auth=client, data={"token": tok}).status_code == 200
        assert_invalid_token(capi(other, CLIENT_PATH, tok), tok)
        r, took = poll_status(lambda: capi(issuer, CLIENT_PATH, tok), 401, 6)
        assert r is not None, "revoked token still accepted by the other process after 6 s"
        assert took <= 5.5, "revocation took %.2f s to reach the other process" % took
        assert_invalid_token(r, tok)


@pytest.mark.postgresql_only
def test_client_registered_while_two_processes_run_works_on_both(server_factory):
    if DB_KIND != "postgresql":
        pytest.skip("two processes share a database only with CONNECTD_TEST_DB=postgresql")
    one = server_factory("--auth-fail-rate", "0")
    two = server_factory("--auth-fail-rate", "0", db=one.db)
    client = add_client(one.db.url)
    for srv in (one, two):
        assert_authenticated_404(capi(srv, CLIENT_PATH, get_token(srv, client)))
