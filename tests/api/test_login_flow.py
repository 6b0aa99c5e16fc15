"""Browser login flows (spec identity.md §4.1-§4.3): /user/createUser, /user/register and
/user/login with their credential, password, one-time code and set-password pages, CSRF,
remember-me, lockouts and no-enumeration, and the legacy /user/oauthLogin form. A tiny
browser (cookie jar + form parser) drives the pages; cookies are Secure, so the jar sends
them by hand. One-time codes are read from the sandbox mailbox.
"""
import html
import json
import re
import urllib.parse

import pytest

from conftest import add_client, db_query, http_request

OK = "https://example.no/ok"
ERR = "https://example.no/err"
PASSWORD = "correct horse battery"

INPUT_RE = re.compile(r"<input\b([^>]*)>")
ATTR_RE = re.compile(r'(\w[\w-]*)="([^"]*)"')


class Browser:
    def __init__(self, server, client_id, lang=None):
        self.server = server
        self.client_id = client_id
        self.jar = {}
        self.lang = lang

    def _headers(self, extra=None):
        h = {}
        if self.jar:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.jar.items())
        if self.lang:
            h["Accept-Language"] = self.lang
        h.update(extra or {})
        return h

    def _keep(self, headers):
        for sc in headers.get_all("Set-Cookie") or []:
            name, rest = sc.split("=", 1)
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in sc:
                self.jar.pop(name, None)
            else:
                self.jar[name] = value

    def get(self, path, **params):
        q = {"clientId": self.client_id, "returnUrl": OK, "errorUrl": ERR}
        q.update(params)
        st, h, body = http_request(self.server, "GET", path + "?" + urllib.parse.urlencode(q),
                                   headers=self._headers())
        self._keep(h)
        self.last = (st, h, body.decode())
        return self.last

    def post(self, action, fields):
        body = urllib.parse.urlencode(fields)
        st, h, b = http_request(self.server, "POST", action, body=body, headers=self._headers(
            {"Content-Type": "application/x-www-form-urlencoded"}))
        self._keep(h)
        self.last = (st, h, b.decode())
        return self.last

    def form(self):
        """(action, hidden fields) of the last page's form."""
        page = self.last[2]
        action = html.unescape(re.search(r'<form method="post" action="([^"]*)"', page).group(1))
        hidden = {}
        for m in INPUT_RE.finditer(page):
            attrs = dict(ATTR_RE.findall(m.group(1)))
            if attrs.get("type") == "hidden":
                hidden[attrs["name"]] = html.unescape(attrs.get("value", ""))
        return action, hidden

    def submit(self, **fields):
        action, hidden = self.form()
        hidden.update({k: v for k, v in fields.items() if v is not None})
        return self.post(action, hidden)


@pytest.fixture
def web(server):
    cid, _ = add_client(server.db.url, redirect_host=["example.no"])
    return cid


def email():
    import uuid
    return "u%s@example.no" % uuid.uuid4().hex[:10]


def last_code(server, recipient):
    st, _, body = http_request(server, "GET", "/user/sandbox/messages")
    assert st == 200
    for m in json.loads(body)["messages"]:
        if m["recipient"] == recipient:
            return re.search(r"\b(\d{6})\b", m["body"]).group(1)
    raise AssertionError("no message to %s" % recipient)


def message_count(server, recipient):
    _, _, body = http_request(server, "GET", "/user/sandbox/messages")
    return sum(1 for m in json.loads(body)["messages"] if m["recipient"] == recipient)


def create_user(server, cid, cred, password=PASSWORD, **extra):
    """createUser through the pages; returns the browser (logged in)."""
    b = Browser(server, cid)
    st, _, page = b.get("/user/createUser", **extra)
    assert st == 200
    b.submit(credential=cred)
    b.submit(code=last_code(server, cred))
    st, h, page = b.submit(password=password)
    assert st == 302, page
    assert h["Location"] == OK
    return b


def age_codes(server, cred):
    """Moves the credential's codes 60 s into the past, past the 30 s resend limit."""
    db_query(server.db, "UPDATE one_time_code SET created_at = created_at - 60000 WHERE credential = '%s'" % cred)


def login_check(b):
    return b.get("/user/loginCheck")


def assert_page_headers(h):
    assert h["Content-Type"].startswith("text/html")
    assert h["X-Frame-Options"] == "DENY"
    assert h["Cache-Control"] == "no-store"
    assert h["Referrer-Policy"] == "same-origin"
    assert "https://example.no" in h["Content-Security-Policy"]


# ---- createUser (§4.2) ----------------------------------------------------------------------


def test_create_user_with_new_email_sends_code_sets_password_and_logs_in(server, web):
    cred = email()
    b = Browser(server, web)
    st, h, page = b.get("/user/createUser")
    assert st == 200
    assert_page_headers(h)
    assert 'name="credential"' in page
    st, h, page = b.submit(credential=cred)
    assert st == 200 and 'name="code"' in page
    assert cred in page
    st, h, page = b.submit(code=last_code(server, cred))
    assert st == 200 and 'name="password"' in page and "setpw" in page
    st, h, page = b.submit(password=PASSWORD)
    assert st == 302 and h["Location"] == OK
    assert "connectid_session" in b.jar
    rows = db_query(server.db, "SELECT detail FROM outbox WHERE detail_type = 'USER_CREATED'")
    details = [json.loads(r[0]) for r in rows]
    mine = [d for d in details if d.get("clientId") == web]
    assert len(mine) == 1 and mine[0]["origin"] == "GUI" and mine[0]["credentialType"] == "A"
    st, h, _ = login_check(b)
    assert st == 302 and h["Location"] == OK


def test_register_is_an_alias_of_create_user(server, web):
    cred = email()
    b = Browser(server, web)
    b.get("/user/register")
    action, _ = b.form()
    assert action.startswith("/user/register?")
    b.submit(credential=cred)
    b.submit(code=last_code(server, cred))
    st, h, _ = b.submit(password=PASSWORD)
    assert st == 302 and h["Location"] == OK


def test_credential_submit_skips_the_credential_page(server, web):
    cred = email()
    b = Browser(server, web)
    st, _, page = b.get("/user/createUser", credential=cred, credentialSubmit="true")
    assert st == 200 and 'name="code"' in page
    assert message_count(server, cred) == 1


def test_create_user_for_existing_user_logs_in_after_code(server, web):
    cred = email()
    create_user(server, web, cred)
    age_codes(server, cred)
    b = Browser(server, web)
    b.get("/user/createUser", credential=cred, credentialSubmit="true")
    st, h, _ = b.submit(code=last_code(server, cred))
    assert st == 302 and h["Location"] == OK


def test_weak_password_is_refused_and_page_kept(server, web):
    cred = email()
    b = Browser(server, web)
    b.get("/user/createUser", credential=cred, credentialSubmit="true")
    b.submit(code=last_code(server, cred))
    st, _, page = b.submit(password="short")
    assert st == 200 and "setpw" in page
    st, h, _ = b.submit(password=PASSWORD)
    assert st == 302


def test_set_password_page_cannot_be_forged_without_a_code(server, web):
    cred = email()
    b = Browser(server, web)
    b.get("/user/createUser")
    _, hidden = b.form()
    st, _, page = b.post("/user/createUser?" + urllib.parse.urlencode(
        {"clientId": web, "returnUrl": OK, "errorUrl": ERR}),
        dict(hidden, step="setpw", credential=cred, password=PASSWORD, proof="0" * 64, proofExp="99999999999999"))
    assert st == 200
    assert "The page had expired" in page
    created = [json.loads(r[0]) for r in db_query(server.db, "SELECT detail FROM outbox WHERE detail_type = 'USER_CREATED'")]
    assert not [d for d in created if d.get("clientId") == web]
    b2 = Browser(server, web)
    b2.get("/user/login")
    st, _, page = b2.submit(credential=cred, password=PASSWORD)
    assert st == 200 and "Wrong e-mail" in page


def test_wrong_code_five_times_kills_the_code(server, web):
    cred = email()
    b = Browser(server, web)
    b.get("/user/createUser", credential=cred, credentialSubmit="true")
    code = last_code(server, cred)
    wrong = "%06d" % ((int(code) + 1) % 1000000)
    for _ in range(5):
        st, _, page = b.submit(code=wrong)
        assert st == 200 and "The code is wrong" in page
    st, _, page = b.submit(code=code)
    assert st == 200 and "The code is wrong" in page


def test_resend_within_30_seconds_shows_try_later(server, web):
    cred = email()
    b = Browser(server, web)
    b.get("/user/createUser", credential=cred, credentialSubmit="true")
    st, _, page = b.submit(event="resend")
    assert st == 200 and "try again later" in page and 'name="code"' in page
    assert message_count(server, cred) == 1


def test_code_page_is_shown_for_unknown_and_known_credentials_alike(server, web):
    known = email()
    create_user(server, web, known)
    age_codes(server, known)
    pages = []
    for cred in (known, email()):
        b = Browser(server, web)
        st, _, page = b.get("/user/createUser", credential=cred, credentialSubmit="true")
        pages.append((st, re.sub(r'value="[^"]*"', "", page.replace(cred, "X").replace(urllib.parse.quote(cred, safe=""), "X"))))
    assert pages[0] == pages[1]


# ---- login (§4.3) ---------------------------------------------------------------------------


def test_login_page_asks_for_password_first(server, web):
    b = Browser(server, web)
    st, h, page = b.get("/user/login", credential="ola@example.no")
    assert st == 200 and 'name="password"' in page and 'value="ola@example.no"' in page
    assert_page_headers(h)
    assert 'value="useCode"' in page


def test_login_with_correct_password_redirects(server, web):
    cred = email()
    create_user(server, web, cred)
    b = Browser(server, web)
    b.get("/user/login")
    st, h, _ = b.submit(credential=cred, password=PASSWORD)
    assert st == 302 and h["Location"] == OK
    st, h, _ = login_check(b)
    assert h["Location"] == OK


def test_wrong_password_and_unknown_user_look_the_same(server, web):
    cred = email()
    create_user(server, web, cred)
    answers = []
    for c, pw in ((cred, "wrong password 1"), (email(), PASSWORD)):
        b = Browser(server, web)
        b.get("/user/login")
        st, _, page = b.submit(credential=c, password=pw)
        assert "Wrong e-mail, phone number or password." in page
        answers.append((st, re.sub(r'value="[^"]*"', "", page)))
    assert answers[0] == answers[1]
    assert answers[0][0] == 200


def test_blocked_user_looks_like_a_wrong_password(server, web):
    cred = email()
    create_user(server, web, cred)
    uid = [json.loads(r[0])["uniqueId"] for r in db_query(
        server.db, "SELECT detail FROM outbox WHERE detail_type = 'USER_CREATED'")
        if json.loads(r[0]).get("clientId") == web][0]
    db_query(server.db, "UPDATE users SET state = 'BLOCKED' WHERE unique_id = '%s'" % uid)
    b = Browser(server, web)
    b.get("/user/login")
    st, _, page = b.submit(credential=cred, password=PASSWORD)
    assert st == 200 and "Wrong e-mail, phone number or password." in page


def test_login_with_assume_new_user_uses_a_code(server, web):
    cred = email()
    create_user(server, web, cred)
    age_codes(server, cred)
    b = Browser(server, web)
    st, _, page = b.get("/user/login", assumeNewUser="true")
    assert 'name="password"' not in page
    st, _, page = b.submit(credential=cred)
    assert 'name="code"' in page
    st, h, _ = b.submit(code=last_code(server, cred))
    assert st == 302 and h["Location"] == OK


def test_use_code_instead_from_the_password_page(server, web):
    cred = email()
    create_user(server, web, cred)
    age_codes(server, cred)
    b = Browser(server, web)
    b.get("/user/login", credential=cred)
    st, _, page = b.submit(credential=cred, event="useCode")
    assert st == 200 and 'name="code"' in page
    st, h, _ = b.submit(code=last_code(server, cred))
    assert st == 302


def test_ten_wrong_passwords_lock_the_credential(server, web):
    cred = email()
    create_user(server, web, cred)
    b = Browser(server, web)
    b.get("/user/login")
    for i in range(10):
        st, _, page = b.submit(credential=cred, password="wrong %d" % i)
        assert st == 200
    st, _, locked = b.submit(credential=cred, password=PASSWORD)
    assert st == 200 and "Wrong e-mail, phone number or password." in locked


def test_already_logged_in_goes_straight_back(server, web):
    cred = email()
    b = create_user(server, web, cred)
    st, h, _ = b.get("/user/login")
    assert st == 302 and h["Location"] == OK
    st, h, _ = b.get("/user/createUser", credential=cred)
    assert st == 302 and h["Location"] == OK


def test_logged_in_as_another_user_is_logged_out_first(server, web):
    b = create_user(server, web, email())
    other = email()
    st, h, page = b.get("/user/login", credential=other)
    assert st == 200 and 'name="password"' in page
    assert "connectid_session" not in b.jar
    st, h, _ = login_check(b)
    assert h["Location"] == ERR


def test_remember_me_sets_a_cookie_that_logs_in_silently(server, web):
    cred = email()
    create_user(server, web, cred)
    b = Browser(server, web)
    b.get("/user/login")
    st, h, _ = b.submit(credential=cred, password=PASSWORD, remember="1")
    assert st == 302
    cookies = h.get_all("Set-Cookie")
    rem = [c for c in cookies if c.startswith("connectid_remember=")]
    assert rem and "Max-Age=31536000" in rem[0]
    only = Browser(server, web)
    only.jar = {"connectid_remember": b.jar["connectid_remember"]}
    st, h, _ = login_check(only)
    assert st == 302 and h["Location"] == OK


def test_cancel_redirects_to_error_url(server, web):
    b = Browser(server, web)
    b.get("/user/login")
    st, h, _ = b.submit(event="cancel")
    assert st == 302 and h["Location"] == ERR + "?error=cancelled"


# ---- CSRF, parameters, escaping (§4.1) ------------------------------------------------------


@pytest.mark.parametrize("token", [None, "0" * 64])
def test_post_without_valid_csrf_changes_nothing(server, web, token):
    cred = email()
    b = Browser(server, web)
    b.get("/user/createUser")
    action, hidden = b.form()
    if token is None:
        del hidden["csrf"]
    else:
        hidden["csrf"] = token
    st, _, page = b.post(action, dict(hidden, credential=cred))
    assert st == 200 and "The page had expired" in page
    assert message_count(server, cred) == 0


def test_csrf_token_is_bound_to_the_browser(server, web):
    cred = email()
    a, b = Browser(server, web), Browser(server, web)
    a.get("/user/createUser")
    b.get("/user/createUser")
    action, hidden = a.form()
    st, _, page = b.post(action, dict(hidden, credential=cred))
    assert "The page had expired" in page
    assert message_count(server, cred) == 0


def test_invalid_flag_redirects_with_invalid_request(server, web):
    b = Browser(server, web)
    st, h, _ = b.get("/user/createUser", assumeNewUser="maybe")
    assert st == 302 and h["Location"] == ERR + "?error=invalid_request"


def test_unknown_client_gets_the_400_page(server):
    b = Browser(server, "no.such.client")
    st, _, _ = b.get("/user/login")
    assert st == 400


def test_script_in_parameters_is_never_reflected(server, web):
    evil = "<script>alert(1)</script>"
    b = Browser(server, web)
    st, _, page = b.get("/user/login", credential=evil, assumeNewUser="false", _ga=evil)
    assert evil not in page
    st, _, page = b.submit(credential=evil, password=evil)
    assert st == 200 and evil not in page and "<script" not in page
    b2 = Browser(server, web)
    b2.get("/user/createUser", credential=evil, credentialSubmit="true")
    assert "<script" not in b2.last[2]
    st, _, page = b2.submit(credential=evil, event=evil, step=evil)
    assert "<script" not in page
    st, _, page = http_request(server, "GET", "/user/login?clientId=%s&returnUrl=%s&errorUrl=%s&x=%s" % (
        web, urllib.parse.quote(OK), urllib.parse.quote(ERR), urllib.parse.quote(evil)))
    assert b"<script" not in page


def test_norwegian_by_accept_language(server, web):
    b = Browser(server, web, lang="nb-NO,nb;q=0.9")
    st, _, page = b.get("/user/login")
    assert 'lang="nb"' in page and "Logg inn" in page


# ---- legacy form ----------------------------------------------------------------------------


def test_legacy_oauth_login_form(server, web):
    cred = email()
    create_user(server, web, cred)
    st, h, page = http_request(server, "GET", "/user/oauthLogin?" + urllib.parse.urlencode(
        {"clientId": web, "returnUrl": OK, "errorUrl": ERR}))
    page = page.decode()
    assert st == 200 and 'name="j_username"' in page and 'name="j_password"' in page and 'name="loginButton"' in page
    # Under no-referrer a browser posts this page with "Origin: null", which the Origin guard
    # refuses (found by the browser tests); same-origin lets it send our origin.
    assert h["Referrer-Policy"] == "same-origin"
    # Its button is the primary one: styled as the main action, and it checks the required fields.
    assert '<button type="submit" name="loginButton" value="1">' in page
    form = {"j_username": cred, "j_password": PASSWORD, "loginButton": "1", "clientId": web, "returnUrl": OK,
            "errorUrl": ERR}
    hdr = {"Content-Type": "application/x-www-form-urlencoded"}
    st, h, _ = http_request(server, "POST", "/user/oauthLogin", body=urllib.parse.urlencode(form), headers=hdr)
    assert st == 302 and h["Location"] == OK
    assert any(c.startswith("connectid_session=") for c in h.get_all("Set-Cookie"))
    st, h, page = http_request(server, "POST", "/user/oauthLogin?" + urllib.parse.urlencode(
        {"clientId": web, "returnUrl": OK, "errorUrl": ERR}), body=urllib.parse.urlencode(
        {"j_username": cred, "j_password": "nope nope", "loginButton": "1"}), headers=hdr)
    assert st == 200 and b"Wrong e-mail, phone number or password." in page
