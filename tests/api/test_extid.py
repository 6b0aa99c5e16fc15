"""External Identity: #127 POST /capi/v1/client/extid, #128 POST /capi/v1/client/extid/customer,
the extid_code grant of the token endpoint and the user-mode tokens it gives.

The contract: spec identity.md §1 (users, states, credential types and prefixes, X scoped per
partner), §2 (#127, #128, the extidCode), §3.2 (token endpoint rules 3-7); README §4 (order of
checks), §5 (modes), §6 (JSON/XML bodies, leniency), §7 (XML replies), §9, §11.1 (a)-(c);
events.md §6.2 (USER_CREATED, USER_CUSTOMER_LINKED), plus what this issue designed around them:

- the credential types a client may use are a client setting (`client add --extid-types DX` or
  `all`, default none); another type gives 400 AccessDeniedException (after validation);
- customers are rows of the customer table, created here directly in the database; the partner
  row comes from `client add --partner P`, its schema_id is P upper-cased;
- the extidCode is a JWS with header {"alg":"HS512"(,"typ":"JWT")} and the claims sub, aud, ext,
  ct = "<type>_<credential>", iat, exp = iat + 600, jti (32 hex);
- events are written to the outbox table in the same transaction, so the tests count them there
  (their delivery as webhooks is tests/api/test_events.py); USER_CREATED also carries the
  client's schema (events.md §4.2 "when known").
"""

import base64
import itertools
import json
import random
import re
import threading
import time
import uuid

import pytest
import requests

from conftest import JSON_CT, XML_CT, add_client, assert_error, db_exec, db_query, insert_customer, parse_xml

EXTID = "/capi/v1/client/extid"
EXTID_CUSTOMER = "/capi/v1/client/extid/customer"
TOKEN = "/user/oauth/token"
EXTID_GRANT = "https://connectid.no/oauth2/grant_type/extid_code"
USER_PATH = "/capi/v1/customer/anything"  # user mode, no route yet: 404 once authenticated
CLIENT_PATH = "/capi/v1/client/anything"  # client mode: 403 with a user token
GRANTS = "client_credentials,extid_code,refresh_token"
EXTID_TYPES = "DEHILMXZ"
PREFIX = {"D": "AID", "E": "EGM", "H": "BYG", "I": "COR", "L": "LRF", "M": "MEN", "X": "EXT",
          "Z": "ZEP"}
CONNECTID_SOURCE = "no.mediaconnect.connectid"
UNIQUE_ID_RE = re.compile(r"^[0-9a-f]{32}$")
B64URL_RE = re.compile(r"^[A-Za-z0-9_-]+$")
ELLIPSIS = "\u2026"
FIELDS = {"credential", "externalId", "credentialType", "canLogin", "uniqueId", "enabled", "newUser",
          "extidCode"}
FIELDS_LINKED = FIELDS | {"customerNumber"}

# ---------------------------------------------------------------------------------------------
# Helpers


def new_ext():
    """A fresh external id (credentials D..Z other than X are unique installation-wide)."""
    return "ext-" + uuid.uuid4().hex


# Numbers no customer has: above the range insert_customer (conftest) draws from.
_customer_numbers = itertools.count(2 * 10 ** 12 + random.randrange(10 ** 9))


def outbox(db, detail_type, unique_id):
    """The outbox events of detail_type whose detail names unique_id: [(source, detail dict)]."""
    rows = db_query(db, "SELECT source, detail FROM outbox WHERE detail_type = '%s' AND detail LIKE '%%%s%%' "
                        "ORDER BY id" % (detail_type, unique_id))
    out = []
    for source, detail in rows:
        d = json.loads(detail)
        if d.get("uniqueId") == unique_id:
            out.append((source, d))
    return out


def link_events(db, customer):
    rows = db_query(db, "SELECT detail FROM outbox WHERE detail_type = 'USER_CUSTOMER_LINKED' "
                        "AND detail LIKE '%%%d%%'" % customer)
    return [d for d in (json.loads(r[0]) for r in rows) if d.get("customer") == customer]


class Client:
    """A registered OAuth client and a client-mode token for it."""

    def __init__(self, server, partner, types="all", grants=GRANTS):
        options = {"partner": partner}
        if types is not None:
            options["extid_types"] = types
        self.server = server
        self.partner = partner
        self.id, self.secret = add_client(server.db.url, grants=grants, **options)
        self.token = self.client_token(server)

    @property
    def auth(self):
        return (self.id, self.secret)

    def client_token(self, server):
        r = requests.post(server.url(TOKEN), auth=self.auth, data={"grant_type": "client_credentials"},
                          timeout=10)
        assert r.status_code == 200, (r.status_code, r.text)
        return r.json()["access_token"]

    def post(self, path, body=None, raw=None, headers=None, server=None, token=None):
        """POST body (a dict, sent as JSON) or raw bytes/str with the client token."""
        srv = server or self.server
        h = {"Authorization": "Bearer " + (token or self.token)}
        if raw is None:
            h["Content-Type"] = "application/json"
            raw = json.dumps(body)
        h.update(headers or {})
        return requests.post(srv.url(path), data=raw.encode("utf-8") if isinstance(raw, str) else raw,
                             headers=h, timeout=20)

    def extid(self, ext, ctype="D", **kw):
        return self.post(EXTID, {"externalId": ext, "credentialType": ctype}, **kw)

    def bind(self, ext, customer, ctype="D", **kw):
        return self.post(EXTID_CUSTOMER, {"externalId": ext, "credentialType": ctype,
                                          "customerNumber": customer}, **kw)

    def exchange(self, code, server=None):
        srv = server or self.server
        return requests.post(srv.url(TOKEN), auth=self.auth,
                             data={"grant_type": EXTID_GRANT, "code": code}, timeout=20)

    def refresh(self, refresh_token):
        return requests.post(self.server.url(TOKEN), auth=self.auth,
                             data={"grant_type": "refresh_token", "refresh_token": refresh_token}, timeout=10)


def ok(r):
    """A 200 JSON ExternalIdentity reply; returns the parsed body."""
    assert r.status_code == 200, (r.status_code, r.text[:500])
    assert r.headers.get("Content-Type") == JSON_CT, r.headers
    return r.json()


def assert_api_error(r, exception_type, message=None):
    return assert_error(r.status_code, r.headers, r.content, 400, exception_type, message)


def assert_invalid_grant(r):
    assert r.status_code == 400, (r.status_code, r.text[:500])
    doc = r.json()
    assert doc.get("error") == "invalid_grant", doc
    assert isinstance(doc.get("error_description"), str) and doc["error_description"], doc
    return doc


def check_identity(doc, ext, ctype, unique_id=None, new_user=None, active=None, customer=None):
    """Every field of an ExternalIdentity reply, with its JSON type.

    customer=None: customerNumber must be absent; otherwise it must equal customer.
    """
    assert set(doc) == (FIELDS if customer is None else FIELDS_LINKED), doc
    assert isinstance(doc["credential"], str) and doc["credential"] == PREFIX[ctype] + ":" + ext, doc
    assert isinstance(doc["externalId"], str) and doc["externalId"] == ext, doc
    assert doc["credentialType"] == ctype, doc
    for name in ("canLogin", "enabled", "newUser"):
        assert isinstance(doc[name], bool), (name, doc)
    assert isinstance(doc["uniqueId"], str) and UNIQUE_ID_RE.match(doc["uniqueId"]), doc
    if unique_id is not None:
        assert doc["uniqueId"] == unique_id, doc
    if new_user is not None:
        assert doc["newUser"] is new_user, doc
    if active is not None:
        assert doc["canLogin"] is active and doc["enabled"] is active, doc
    if customer is not None:
        assert type(doc["customerNumber"]) is int and doc["customerNumber"] == customer, doc
    assert isinstance(doc["extidCode"], str) and doc["extidCode"].count(".") == 2, doc
    return doc


def b64url_json(segment):
    assert B64URL_RE.match(segment), segment  # base64url, no padding
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def b64url(obj):
    raw = json.dumps(obj, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_code(code):
    header, payload, sig = code.split(".")
    assert B64URL_RE.match(sig), code
    return b64url_json(header), b64url_json(payload)


def user_get(server, token, path):
    return requests.get(server.url(path), headers={"Authorization": "Bearer " + token}, timeout=10)


def run_concurrently(n, fn):
    """Run fn(i) in n threads released together; returns the results in order (each its own
    HTTP connection: requests without a session opens one per call)."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def work(i):
        barrier.wait()
        try:
            results[i] = fn(i)
        except Exception as e:  # reported by the caller
            results[i] = e

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for res in results:
        assert not isinstance(res, Exception), res
    return results


# ---------------------------------------------------------------------------------------------
# Fixtures


class Env:
    """Two partners on the shared server; clients:
    a, a2: partner A, every credential type; b: partner B, every type; none: partner A, no types;
    d_only: partner A, type D only."""


@pytest.fixture(scope="module")
def env(server):
    e = Env()
    e.server = server
    e.db = server.db
    tag = uuid.uuid4().hex[:8]
    e.pa, e.pb = "pa-" + tag, "pb-" + tag
    e.a = Client(server, e.pa)
    e.a2 = Client(server, e.pa)
    e.b = Client(server, e.pb)
    e.none = Client(server, e.pa, types=None)
    e.d_only = Client(server, e.pa, types="D")
    return e


def schema_of(db, partner):
    rows = db_query(db, "SELECT schema_id FROM partner WHERE id = '%s'" % partner)
    assert rows, "no partner row for %s" % partner
    return rows[0][0]


# ---------------------------------------------------------------------------------------------
# The reference examples


def test_reference_examples_field_by_field(server_factory):
    """#128 then #127 with the reference's values give the reference's two responses."""
    srv = server_factory("--auth-fail-rate", "0")
    partner = "ref-" + uuid.uuid4().hex[:6]
    c = Client(srv, partner)
    now = int(time.time() * 1000)
    db_exec(srv.db, "INSERT INTO customer (customer_number, partner_id, first_name, last_name, company_name, "
                    "emails, created_at, updated_at) VALUES (327492, '%s', 'Ola', 'Nordmann', NULL, NULL, %d, %d)"
            % (partner, now, now))
    ext = "59cb6372-d3db-11e5-ab30-625662870761"

    r = c.post(EXTID_CUSTOMER, raw='{\n    "externalId": "59cb6372-d3db-11e5-ab30-625662870761",\n'
                                   '    "credentialType": "D",\n    "customerNumber": 327492\n}')
    doc = ok(r)
    assert list(doc) == ["credential", "externalId", "credentialType", "canLogin", "uniqueId", "enabled",
                         "newUser", "extidCode"], doc  # the example's order (README §7.3)
    assert doc["credential"] == "AID:59cb6372-d3db-11e5-ab30-625662870761"
    assert doc["externalId"] == ext
    assert doc["credentialType"] == "D"
    assert doc["canLogin"] is False
    assert doc["enabled"] is False
    assert doc["newUser"] is True
    assert UNIQUE_ID_RE.match(doc["uniqueId"])
    assert "customerNumber" not in doc
    assert doc["extidCode"].startswith("eyJ") and doc["extidCode"].count(".") == 2
    uid = doc["uniqueId"]

    r = c.post(EXTID, raw='{\n    "externalId": "59cb6372-d3db-11e5-ab30-625662870761",\n'
                          '    "credentialType": "D"\n}')
    doc = ok(r)
    assert list(doc) == ["credential", "externalId", "credentialType", "canLogin", "customerNumber", "uniqueId",
                         "enabled", "newUser", "extidCode"], doc
    assert doc["credential"] == "AID:59cb6372-d3db-11e5-ab30-625662870761"
    assert doc["externalId"] == ext
    assert doc["credentialType"] == "D"
    assert doc["canLogin"] is True
    assert type(doc["customerNumber"]) is int and doc["customerNumber"] == 327492
    assert doc["uniqueId"] == uid
    assert doc["enabled"] is True
    assert doc["newUser"] is False
    assert doc["extidCode"].startswith("eyJ")


def test_extid_code_claims(env):
    ext = new_ext()
    t0 = int(time.time())
    doc = ok(env.a.extid(ext, "D"))
    header, claims = decode_code(doc["extidCode"])
    assert header.get("alg") == "HS512", header
    assert set(header) <= {"alg", "typ"}, header
    if "typ" in header:
        assert header["typ"] == "JWT", header
    assert set(claims) == {"sub", "aud", "ext", "ct", "iat", "exp", "jti"}, claims
    assert claims["sub"] == doc["uniqueId"]
    assert claims["aud"] == env.a.id
    assert claims["ext"] == ext
    assert claims["ct"] == "D_AID:" + ext
    assert type(claims["iat"]) is int and t0 - 2 <= claims["iat"] <= time.time() + 2, claims
    assert type(claims["exp"]) is int and claims["exp"] == claims["iat"] + 600, claims
    assert isinstance(claims["jti"], str) and re.fullmatch(r"[0-9a-f]{32}", claims["jti"]), claims

    # A fresh code on every call, of #127 and of #128.
    doc2 = ok(env.a.extid(ext, "D"))
    assert doc2["extidCode"] != doc["extidCode"]
    assert decode_code(doc2["extidCode"])[1]["jti"] != claims["jti"]
    cust = insert_customer(env.db, env.pa)
    doc3 = ok(env.a.bind(ext, cust, "D"))
    _, c3 = decode_code(doc3["extidCode"])
    assert c3["jti"] not in (claims["jti"], decode_code(doc2["extidCode"])[1]["jti"])
    assert (c3["sub"], c3["aud"], c3["ext"], c3["ct"]) == (doc["uniqueId"], env.a.id, ext, "D_AID:" + ext)


@pytest.mark.parametrize("ctype", list(EXTID_TYPES))
def test_every_credential_type_and_its_prefix(env, ctype):
    ext = new_ext()
    doc = check_identity(ok(env.a.extid(ext, ctype)), ext, ctype, new_user=True, active=True)
    assert decode_code(doc["extidCode"])[1]["ct"] == "%s_%s:%s" % (ctype, PREFIX[ctype], ext)
    # The same id under another type is another credential, so another user.
    other = "D" if ctype != "D" else "E"
    assert ok(env.a.extid(ext, other))["uniqueId"] != doc["uniqueId"]


# ---------------------------------------------------------------------------------------------
# #127: new user, repeated calls


def test_new_user_true_then_false_and_one_user_created_event(env):
    ext = new_ext()
    first = check_identity(ok(env.a.extid(ext, "D")), ext, "D", new_user=True, active=True)
    uid = first["uniqueId"]
    second = check_identity(ok(env.a.extid(ext, "D")), ext, "D", unique_id=uid, new_user=False, active=True)
    assert second["extidCode"] != first["extidCode"]
    # Another client of the same partner sees the same user.
    check_identity(ok(env.a2.extid(ext, "D")), ext, "D", unique_id=uid, new_user=False, active=True)
    events = outbox(env.db, "USER_CREATED", uid)
    assert events == [(CONNECTID_SOURCE, {"uniqueId": uid, "clientId": env.a.id, "credentialType": "D",
                                          "origin": "EXTID", "schema": env.pa.upper()})], events
    assert outbox(env.db, "USER_CUSTOMER_LINKED", uid) == []


def test_external_ids_are_case_sensitive(env):
    base = "CaseId-" + uuid.uuid4().hex[:8]
    upper = ok(env.a.extid(base.upper(), "D"))
    lower = ok(env.a.extid(base.lower(), "D"))
    assert upper["newUser"] is True and lower["newUser"] is True
    assert upper["uniqueId"] != lower["uniqueId"]
    assert upper["externalId"] == base.upper() and lower["externalId"] == base.lower()


def test_external_id_is_trimmed_and_keeps_its_case(env):
    ext = "Trim-" + uuid.uuid4().hex[:8]
    doc = check_identity(ok(env.a.extid("  \t" + ext + "  ", "D")), ext, "D", new_user=True)
    check_identity(ok(env.a.extid(ext, "D")), ext, "D", unique_id=doc["uniqueId"], new_user=False)
    assert decode_code(doc["extidCode"])[1]["ext"] == ext


# ---------------------------------------------------------------------------------------------
# Validation (both endpoints)


def body_for(path, env, **fields):
    """A valid body for path, with fields overriding (None = leave the field out)."""
    body = {"externalId": new_ext(), "credentialType": "D"}
    if path == EXTID_CUSTOMER:
        body["customerNumber"] = insert_customer(env.db, env.pa)
    for k, v in fields.items():
        if v is None:
            body.pop(k, None)
        else:
            body[k] = v
    return body


@pytest.mark.parametrize("path", [EXTID, EXTID_CUSTOMER])
@pytest.mark.parametrize("ctype", ["D", "X"])
def test_external_id_of_60_characters_gives_a_64_character_credential(env, path, ctype):
    ext = ("%s-%s" % (path[-8:], uuid.uuid4().hex) + "y" * 60)[:60]
    assert len(ext) == 60
    doc = ok(env.a.post(path, body_for(path, env, externalId=ext, credentialType=ctype)))
    check_identity(doc, ext, ctype, new_user=True)
    assert len(doc["credential"]) == 64  # never truncated
    assert decode_code(doc["extidCode"])[1]["ct"] == "%s_%s:%s" % (ctype, PREFIX[ctype], ext)


def test_limit_counts_characters_not_bytes(env):
    ext = uuid.uuid4().hex[:8] + "\u00f8" * 52  # 60 characters, 112 bytes
    doc = ok(env.a.extid(ext, "D"))
    check_identity(doc, ext, "D", new_user=True)
    assert len(doc["credential"]) == 64
    assert_api_error(env.a.extid(ext + "\u00f8", "D"), "ValidationException")


def test_whitespace_around_a_60_character_external_id_is_trimmed_first(env):
    ext = (uuid.uuid4().hex + "z" * 60)[:60]
    check_identity(ok(env.a.extid("   " + ext + "  ", "D")), ext, "D", new_user=True)


BAD_FIELDS = [
    pytest.param({"externalId": "q" * 61}, id="externalId-61-chars"),
    pytest.param({"externalId": ""}, id="externalId-empty"),
    pytest.param({"externalId": None}, id="externalId-missing"),
    pytest.param({"externalId": "   \t "}, id="externalId-whitespace-only"),
    pytest.param({"externalId": ["abc"]}, id="externalId-array"),
    pytest.param({"externalId": {"id": "abc"}}, id="externalId-object"),
    pytest.param({"externalId": True}, id="externalId-boolean"),
    pytest.param({"credentialType": "d"}, id="credentialType-lower-case"),
    pytest.param({"credentialType": "Q"}, id="credentialType-unknown"),
    pytest.param({"credentialType": "A"}, id="credentialType-email-not-external"),
    pytest.param({"credentialType": "B"}, id="credentialType-phone-not-external"),
    pytest.param({"credentialType": "DX"}, id="credentialType-two-letters"),
    pytest.param({"credentialType": ""}, id="credentialType-empty"),
    pytest.param({"credentialType": None}, id="credentialType-missing"),
    pytest.param({"credentialType": ["D"]}, id="credentialType-array"),
    pytest.param({"credentialType": 4}, id="credentialType-number"),
]


@pytest.mark.parametrize("path", [EXTID, EXTID_CUSTOMER])
@pytest.mark.parametrize("fields", BAD_FIELDS)
def test_invalid_fields_give_validation_exception(env, path, fields):
    body = body_for(path, env, **fields)
    assert_api_error(env.a.post(path, body), "ValidationException")
    if isinstance(body.get("externalId"), str) and body["externalId"].strip():
        # Nothing was created: the first valid call creates the user.
        good = dict(body, credentialType="D")
        ext = good["externalId"].strip()
        if len(ext) <= 60:
            assert ok(env.a.extid(ext, "D"))["newUser"] is True


@pytest.mark.parametrize("customer", [0, -5, "0", "-5", "abc", "12x", 1.5, "", None, True, [1], 10 ** 20,
                                      "99999999999999999999"],
                         ids=["zero", "negative", "zero-string", "negative-string", "letters", "digits-letters",
                              "fraction", "empty", "missing", "boolean", "array", "beyond-int64",
                              "beyond-int64-string"])
def test_invalid_customer_number_gives_validation_exception(env, customer):
    ext = new_ext()
    body = {"externalId": ext, "credentialType": "D"}
    if customer is not None:
        body["customerNumber"] = customer
    assert_api_error(env.a.post(EXTID_CUSTOMER, body), "ValidationException")
    assert ok(env.a.extid(ext, "D"))["newUser"] is True  # nothing was created


def test_external_id_as_number_is_converted_to_text(env):
    n = random.randrange(10 ** 14, 10 ** 15)
    r = env.a.post(EXTID, raw='{"externalId": %d, "credentialType": "D"}' % n)
    check_identity(ok(r), str(n), "D", new_user=True)
    cust = insert_customer(env.db, env.pa)
    r = env.a.post(EXTID_CUSTOMER, raw='{"externalId": %d, "credentialType": "D", "customerNumber": %d}' % (n, cust))
    check_identity(ok(r), str(n), "D", new_user=False)


def test_customer_number_as_digit_string(env):
    ext = new_ext()
    cust = insert_customer(env.db, env.pa)
    doc = ok(env.a.post(EXTID_CUSTOMER, {"externalId": ext, "credentialType": "D", "customerNumber": str(cust)}))
    check_identity(doc, ext, "D", new_user=True, active=False)
    again = ok(env.a.post(EXTID_CUSTOMER, {"externalId": ext, "credentialType": "D",
                                           "customerNumber": " %d " % cust}))
    check_identity(again, ext, "D", unique_id=doc["uniqueId"], new_user=False, customer=cust)


def test_large_customer_number_is_exact(env):
    cust = 2 ** 62 + next(_customer_numbers)
    now = int(time.time() * 1000)
    db_exec(env.db, "INSERT INTO customer (customer_number, partner_id, created_at, updated_at) "
                    "VALUES (%d, '%s', %d, %d)" % (cust, env.pa, now, now))
    ext = new_ext()
    uid = ok(env.a.bind(ext, cust, "D"))["uniqueId"]
    check_identity(ok(env.a.extid(ext, "D")), ext, "D", unique_id=uid, customer=cust)
    assert [d["customer"] for _, d in outbox(env.db, "USER_CUSTOMER_LINKED", uid)] == [cust]


def test_nul_in_external_id_is_refused(env):
    r = env.a.post(EXTID, raw='{"externalId": "a\\u0000b", "credentialType": "D"}')
    assert_api_error(r, "ValidationException")


def test_markup_characters_round_trip(env):
    ext = "a&b<c>'\"d-" + uuid.uuid4().hex[:8]
    doc = check_identity(ok(env.a.extid(ext, "X")), ext, "X", new_user=True)
    assert decode_code(doc["extidCode"])[1]["ext"] == ext
    r = env.a.extid(ext, "X", headers={"Accept": "application/xml"})
    assert r.status_code == 200, r.text
    f = xml_fields(parse_xml(r.content))
    assert f["externalId"] == ext and f["credential"] == "EXT:" + ext and f["uniqueId"] == doc["uniqueId"], f


def test_unknown_fields_are_ignored(env):
    ext = new_ext()
    r = env.a.post(EXTID, {"externalId": ext, "credentialType": "D", "customerNumber": 1, "foo": {"x": [1]}})
    check_identity(ok(r), ext, "D", new_user=True)


@pytest.mark.parametrize("path", [EXTID, EXTID_CUSTOMER])
def test_malformed_and_empty_bodies(env, path):
    assert_api_error(env.a.post(path, raw='{"externalId": "x", "credentialType": '), "ValidationException",
                     "Malformed request body")
    assert_api_error(env.a.post(path, raw=""), "ValidationException")  # counts as {}
    r = env.a.post(path, raw="externalId=x&credentialType=D",
                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 415, (r.status_code, r.text)
    assert r.json()["exceptionType"] == "HttpMediaTypeNotSupportedException"


def test_validation_comes_before_the_credential_type_permission(env):
    """README §4: body validation (6) before the endpoint's business exceptions (7)."""
    assert_api_error(env.none.extid(new_ext(), "Q"), "ValidationException")
    assert_api_error(env.none.extid("", "D"), "ValidationException")
    assert_api_error(env.none.post(EXTID_CUSTOMER, {"externalId": new_ext(), "credentialType": "D",
                                                    "customerNumber": 0}), "ValidationException")


# ---------------------------------------------------------------------------------------------
# XML


def xml_fields(root):
    return {child.tag: child.text for child in root}


def test_xml_request_gets_xml_reply(env):
    ext = new_ext()
    body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<data>\n  <externalId>%s</externalId>\n"
            "  <credentialType>D</credentialType>\n</data>" % ext)
    r = env.a.post(EXTID, raw=body, headers={"Content-Type": "application/xml"})
    assert r.status_code == 200, r.text
    assert r.headers.get("Content-Type") == XML_CT, r.headers
    assert r.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>'), r.content[:80]
    root = parse_xml(r.content)
    assert root.tag == "externalIdentity"
    f = xml_fields(root)
    assert set(f) == FIELDS, f
    assert f["credential"] == "AID:" + ext and f["externalId"] == ext and f["credentialType"] == "D"
    assert f["canLogin"] == "true" and f["enabled"] == "true" and f["newUser"] == "true"
    assert UNIQUE_ID_RE.match(f["uniqueId"]) and f["extidCode"].count(".") == 2

    # #128 in XML, customerNumber as element text; the repeated call shows the link.
    cust = insert_customer(env.db, env.pa)
    body = ("<order><externalId> %s </externalId><credentialType>D</credentialType>"
            "<customerNumber>%d</customerNumber></order>" % (ext, cust))
    for expect_link in (False, True):
        r = env.a.post(EXTID_CUSTOMER, raw=body, headers={"Content-Type": "text/xml; charset=utf-8"})
        assert r.status_code == 200, r.text
        root = parse_xml(r.content)
        assert root.tag == "externalIdentity"
        g = xml_fields(root)
        assert g["uniqueId"] == f["uniqueId"] and g["newUser"] == "false" and g["externalId"] == ext
        if expect_link:
            assert g["customerNumber"] == str(cust), g
        else:
            assert "customerNumber" not in g, g


def test_json_request_with_accept_xml(env):
    ext = new_ext()
    r = env.a.post(EXTID, {"externalId": ext, "credentialType": "X"}, headers={"Accept": "application/xml"})
    assert r.status_code == 200, r.text
    assert r.headers.get("Content-Type") == XML_CT, r.headers
    root = parse_xml(r.content)
    assert root.tag == "externalIdentity"
    f = xml_fields(root)
    assert f["credential"] == "EXT:" + ext and f["newUser"] == "true", f
    # Errors in XML use the root "error".
    r = env.a.post(EXTID, {"externalId": "", "credentialType": "X"}, headers={"Accept": "application/xml"})
    assert r.status_code == 400
    root = parse_xml(r.content)
    assert root.tag == "error" and root.find("exceptionType").text == "ValidationException"


# ---------------------------------------------------------------------------------------------
# #128 and #127 together: states, the customerNumber presence rule, events


def test_register_customer_then_external_id_pending_then_active(env):
    ext = new_ext()
    cust = insert_customer(env.db, env.pa)
    first = check_identity(ok(env.a.bind(ext, cust, "D")), ext, "D", new_user=True, active=False)
    uid = first["uniqueId"]
    # Repeated #128: nothing changes, the link is shown, the user stays PENDING.
    check_identity(ok(env.a.bind(ext, cust, "D")), ext, "D", unique_id=uid, new_user=False, active=False,
                   customer=cust)
    # #127 activates it and shows the link made before.
    check_identity(ok(env.a.extid(ext, "D")), ext, "D", unique_id=uid, new_user=False, active=True, customer=cust)
    check_identity(ok(env.a.extid(ext, "D")), ext, "D", unique_id=uid, new_user=False, active=True, customer=cust)
    # #128 on the active user: still active.
    check_identity(ok(env.a.bind(ext, cust, "D")), ext, "D", unique_id=uid, new_user=False, active=True,
                   customer=cust)

    assert outbox(env.db, "USER_CREATED", uid) == [
        (CONNECTID_SOURCE, {"uniqueId": uid, "clientId": env.a.id, "credentialType": "D", "origin": "EXTID",
                            "schema": env.pa.upper()})]
    schema = schema_of(env.db, env.pa)
    assert schema == env.pa.upper()
    assert outbox(env.db, "USER_CUSTOMER_LINKED", uid) == [
        (CONNECTID_SOURCE, {"uniqueId": uid, "clientId": env.a.id, "schema": schema, "customer": cust})]


def test_link_an_existing_active_user(env):
    ext = new_ext()
    uid = ok(env.a.extid(ext, "X"))["uniqueId"]
    cust = insert_customer(env.db, env.pa)
    # The first link answers without customerNumber; the user stays ACTIVE.
    check_identity(ok(env.a2.bind(ext, cust, "X")), ext, "X", unique_id=uid, new_user=False, active=True)
    check_identity(ok(env.a.extid(ext, "X")), ext, "X", unique_id=uid, new_user=False, active=True, customer=cust)
    assert outbox(env.db, "USER_CUSTOMER_LINKED", uid) == [
        (CONNECTID_SOURCE, {"uniqueId": uid, "clientId": env.a2.id, "schema": env.pa.upper(), "customer": cust})]
    assert len(outbox(env.db, "USER_CREATED", uid)) == 1


def test_customer_number_is_shown_only_for_the_callers_partner(env):
    ext = new_ext()
    ca = insert_customer(env.db, env.pa)
    cb = insert_customer(env.db, env.pb)
    uid = ok(env.a.bind(ext, ca, "D"))["uniqueId"]
    # Partner B sees the same (installation-wide) D user, but not partner A's customer.
    check_identity(ok(env.b.extid(ext, "D")), ext, "D", unique_id=uid, new_user=False, active=True)
    # B links its own customer (one per partner): first answer without customerNumber.
    check_identity(ok(env.b.bind(ext, cb, "D")), ext, "D", unique_id=uid, new_user=False, active=True)
    check_identity(ok(env.b.extid(ext, "D")), ext, "D", unique_id=uid, customer=cb)
    check_identity(ok(env.a.extid(ext, "D")), ext, "D", unique_id=uid, customer=ca)
    check_identity(ok(env.b.bind(ext, cb, "D")), ext, "D", unique_id=uid, customer=cb)
    check_identity(ok(env.a.bind(ext, ca, "D")), ext, "D", unique_id=uid, customer=ca)
    linked = outbox(env.db, "USER_CUSTOMER_LINKED", uid)
    assert sorted((d["schema"], d["customer"]) for _, d in linked) == sorted(
        [(env.pa.upper(), ca), (env.pb.upper(), cb)]), linked


def test_user_linked_to_another_customer_is_a_conflict(env):
    ext = new_ext()
    c1 = insert_customer(env.db, env.pa)
    c2 = insert_customer(env.db, env.pa)
    uid = ok(env.a.bind(ext, c1, "D"))["uniqueId"]
    assert_api_error(env.a.bind(ext, c2, "D"), "IllegalStateException")
    assert link_events(env.db, c2) == []
    # Still linked to c1 only; c2 is still free for another user.
    check_identity(ok(env.a.extid(ext, "D")), ext, "D", unique_id=uid, customer=c1)
    other = new_ext()
    assert ok(env.a.bind(other, c2, "D"))["newUser"] is True
    assert len(link_events(env.db, c2)) == 1


def test_customer_linked_to_another_user_is_a_conflict_and_creates_nothing(env):
    c1 = insert_customer(env.db, env.pa)
    ok(env.a.bind(new_ext(), c1, "D"))
    ext2 = new_ext()
    before = db_query(env.db, "SELECT count(*) FROM outbox")[0][0]
    assert_api_error(env.a.bind(ext2, c1, "D"), "IllegalStateException")
    assert db_query(env.db, "SELECT count(*) FROM outbox WHERE detail LIKE '%%%s%%'" % ext2) == [("0",)]
    assert len(link_events(env.db, c1)) == 1
    # The failed call created no user: the first #127 creates it.
    doc = ok(env.a.extid(ext2, "D"))
    assert doc["newUser"] is True and "customerNumber" not in doc
    assert int(db_query(env.db, "SELECT count(*) FROM outbox")[0][0]) >= int(before) + 1


def test_existing_user_and_customer_linked_elsewhere_both_ways(env):
    """Two linked pairs (u1, c1) and (u2, c2): binding u1 to c2 conflicts on both sides."""
    e1, e2 = new_ext(), new_ext()
    c1, c2 = insert_customer(env.db, env.pa), insert_customer(env.db, env.pa)
    u1 = ok(env.a.bind(e1, c1, "D"))["uniqueId"]
    u2 = ok(env.a.bind(e2, c2, "D"))["uniqueId"]
    assert_api_error(env.a.bind(e1, c2, "D"), "IllegalStateException")
    assert_api_error(env.a.bind(e2, c1, "D"), "IllegalStateException")
    check_identity(ok(env.a.extid(e1, "D")), e1, "D", unique_id=u1, customer=c1)
    check_identity(ok(env.a.extid(e2, "D")), e2, "D", unique_id=u2, customer=c2)


@pytest.mark.parametrize("which", ["other-partner", "unknown"])
def test_customer_of_another_partner_or_unknown_is_not_found(env, which):
    cust = insert_customer(env.db, env.pb) if which == "other-partner" else next(_customer_numbers)
    ext = new_ext()
    assert_api_error(env.a.bind(ext, cust, "D"), "NotFoundException")
    assert link_events(env.db, cust) == []
    assert ok(env.a.extid(ext, "D"))["newUser"] is True  # nothing was created
    # An existing user is not linked either.
    assert_api_error(env.a.bind(ext, cust, "D"), "NotFoundException")
    assert "customerNumber" not in ok(env.a.extid(ext, "D"))


def test_other_partners_customer_is_not_found_even_if_linked(env):
    """The message must not reveal that the customer exists (README §5.1)."""
    cb = insert_customer(env.db, env.pb)
    ok(env.b.bind(new_ext(), cb, "D"))
    r_linked = env.a.bind(new_ext(), cb, "D")
    r_unknown = env.a.bind(new_ext(), next(_customer_numbers), "D")
    d1 = assert_api_error(r_linked, "NotFoundException")
    d2 = assert_api_error(r_unknown, "NotFoundException")
    assert re.sub(r"\d+", "N", d1["errorMessage"]) == re.sub(r"\d+", "N", d2["errorMessage"]), (d1, d2)


# ---------------------------------------------------------------------------------------------
# Credential types allowed per client


@pytest.mark.parametrize("path", [EXTID, EXTID_CUSTOMER])
def test_credential_type_not_allowed_for_the_client(env, path):
    ext = new_ext()
    cust = insert_customer(env.db, env.pa)
    body = {"externalId": ext, "credentialType": "D", "customerNumber": cust}
    assert_api_error(env.none.post(path, body), "AccessDeniedException")
    assert_api_error(env.d_only.post(path, dict(body, credentialType="X")), "AccessDeniedException")
    assert link_events(env.db, cust) == []
    assert ok(env.d_only.post(path, body))["newUser"] is True  # nothing was created before


# ---------------------------------------------------------------------------------------------
# Partners: X per partner, other types installation-wide


def test_same_x_id_from_two_partners_gives_two_users(env):
    ext = new_ext()
    da = check_identity(ok(env.a.extid(ext, "X")), ext, "X", new_user=True)
    db_ = check_identity(ok(env.b.extid(ext, "X")), ext, "X", new_user=True)
    assert da["uniqueId"] != db_["uniqueId"]
    assert da["credential"] == db_["credential"] == "EXT:" + ext
    # A second client of partner A finds A's user.
    check_identity(ok(env.a2.extid(ext, "X")), ext, "X", unique_id=da["uniqueId"], new_user=False)
    check_identity(ok(env.b.extid(ext, "X")), ext, "X", unique_id=db_["uniqueId"], new_user=False)
    # #128 too: each partner binds its own user.
    ca, cb = insert_customer(env.db, env.pa), insert_customer(env.db, env.pb)
    assert ok(env.a.bind(ext, ca, "X"))["uniqueId"] == da["uniqueId"]
    assert ok(env.b.bind(ext, cb, "X"))["uniqueId"] == db_["uniqueId"]
    assert len(outbox(env.db, "USER_CREATED", da["uniqueId"])) == 1
    assert len(outbox(env.db, "USER_CREATED", db_["uniqueId"])) == 1


def test_x_id_created_pending_by_one_partner_is_new_for_another(env):
    ext = new_ext()
    ca = insert_customer(env.db, env.pa)
    da = ok(env.a.bind(ext, ca, "X"))
    db_ = ok(env.b.extid(ext, "X"))
    assert db_["newUser"] is True and db_["uniqueId"] != da["uniqueId"]
    assert db_["canLogin"] is True
    # A's user is still pending.
    assert ok(env.a.bind(ext, ca, "X"))["canLogin"] is False


def test_same_d_id_from_two_partners_gives_one_user(env):
    ext = new_ext()
    da = check_identity(ok(env.a.extid(ext, "D")), ext, "D", new_user=True)
    db_ = check_identity(ok(env.b.extid(ext, "D")), ext, "D", unique_id=da["uniqueId"], new_user=False)
    assert db_["credential"] == "AID:" + ext
    assert len(outbox(env.db, "USER_CREATED", da["uniqueId"])) == 1


# ---------------------------------------------------------------------------------------------
# extidCode -> token -> user mode -> refresh


def assert_user_token_response(r):
    assert r.status_code == 200, (r.status_code, r.text)
    assert r.headers.get("Cache-Control") == "no-store", r.headers
    assert r.headers.get("Pragma") == "no-cache", r.headers
    doc = r.json()
    assert set(doc) == {"access_token", "token_type", "refresh_token", "expires_in", "scope"}, doc
    assert doc["token_type"] == "bearer" and doc["scope"] == "read"
    assert isinstance(doc["expires_in"], int) and 43199 <= doc["expires_in"] <= 43200, doc
    assert doc["access_token"] != doc["refresh_token"]
    return doc


def assert_user_token_works(server, token):
    r = user_get(server, token, USER_PATH)
    assert_error(r.status_code, r.headers, r.content, 404, "NoHandlerFoundException")
    r = user_get(server, token, CLIENT_PATH)
    assert r.status_code == 403, (r.status_code, r.text)
    assert r.json() == {"error": "insufficient_scope", "error_description": "This endpoint requires a client token"}
    assert r.headers.get("WWW-Authenticate", "").startswith(
        'Bearer realm="connectid", error="insufficient_scope"'), r.headers
    # A user token is not a client token for #127 either.
    r = requests.post(server.url(EXTID), headers={"Authorization": "Bearer " + token},
                      json={"externalId": "x", "credentialType": "D"}, timeout=10)
    assert r.status_code == 403, (r.status_code, r.text)


def test_full_chain_extid_code_token_user_mode_refresh(env):
    srv = env.server
    ext = new_ext()
    code = ok(env.a.extid(ext, "D"))["extidCode"]
    tok = assert_user_token_response(env.a.exchange(code))
    assert_user_token_works(srv, tok["access_token"])
    # The client token is still refused on user-mode paths.
    r = user_get(srv, env.a.token, USER_PATH)
    assert r.status_code == 403 and r.json()["error_description"] == "This endpoint requires a user token"

    # Refresh: a new access token, the same refresh token.
    r = env.a.refresh(tok["refresh_token"])
    assert r.status_code == 200, r.text
    ref = r.json()
    assert set(ref) == {"access_token", "token_type", "refresh_token", "expires_in", "scope"}, ref
    assert ref["refresh_token"] == tok["refresh_token"]
    assert ref["access_token"] != tok["access_token"]
    assert ref["token_type"] == "bearer" and ref["scope"] == "read"
    assert_user_token_works(srv, ref["access_token"])
    # The access token last issued from that refresh token stops working within 5 s.
    deadline = time.monotonic() + 6
    while True:
        r = user_get(srv, tok["access_token"], USER_PATH)
        if r.status_code == 401 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert r.status_code == 401, (r.status_code, r.text)
    assert r.json() == {"error": "invalid_token",
                        "error_description": "Invalid access token: " + tok["access_token"][:6] + ELLIPSIS}
    # Another client may not use this refresh token.
    assert_invalid_grant(env.a2.refresh(tok["refresh_token"]))
    assert_invalid_grant(env.b.refresh(tok["refresh_token"]))
    assert_user_token_works(srv, ref["access_token"])


def test_every_exchange_issues_new_tokens(env):
    ext = new_ext()
    t1 = assert_user_token_response(env.a.exchange(ok(env.a.extid(ext, "D"))["extidCode"]))
    t2 = assert_user_token_response(env.a.exchange(ok(env.a.extid(ext, "D"))["extidCode"]))
    assert t1["access_token"] != t2["access_token"]
    assert t1["refresh_token"] != t2["refresh_token"]
    # Both stay valid (rule 3 revokes only on refresh).
    assert_user_token_works(env.server, t1["access_token"])
    assert_user_token_works(env.server, t2["access_token"])


def test_code_from_register_customer_works_for_an_active_user(env):
    ext = new_ext()
    ok(env.a.extid(ext, "Z"))
    code = ok(env.a.bind(ext, insert_customer(env.db, env.pa), "Z"))["extidCode"]
    tok = assert_user_token_response(env.a.exchange(code))
    assert_user_token_works(env.server, tok["access_token"])


def test_code_of_a_pending_user_is_invalid_grant(env):
    ext = new_ext()
    code = ok(env.a.bind(ext, insert_customer(env.db, env.pa), "D"))["extidCode"]
    assert_invalid_grant(env.a.exchange(code))


def test_code_of_pending_user_works_after_activation(env):
    """Rule 5: the state is checked at exchange time."""
    ext = new_ext()
    code = ok(env.a.bind(ext, insert_customer(env.db, env.pa), "D"))["extidCode"]
    ok(env.a2.extid(ext, "D"))  # activated by another client of the partner
    tok = assert_user_token_response(env.a.exchange(code))
    assert_user_token_works(env.server, tok["access_token"])


def test_reused_code_is_invalid_grant(env):
    code = ok(env.a.extid(new_ext(), "D"))["extidCode"]
    assert_user_token_response(env.a.exchange(code))
    assert_invalid_grant(env.a.exchange(code))


def test_code_of_another_client_is_invalid_grant(env):
    code = ok(env.a.extid(new_ext(), "D"))["extidCode"]
    assert_invalid_grant(env.a2.exchange(code))  # same partner, other client
    assert_invalid_grant(env.b.exchange(code))   # other partner


def flip(ch):
    return "B" if ch != "B" else "C"


def test_tampered_codes_are_invalid_grant(env):
    ext = new_ext()
    doc = ok(env.a.extid(ext, "D"))
    h, p, s = doc["extidCode"].split(".")
    _, claims = decode_code(doc["extidCode"])
    other_uid = ok(env.a.extid(new_ext(), "D"))["uniqueId"]
    i = len(p) // 2
    forged = [
        "%s.%s.%s" % (h, p[:i] + flip(p[i]) + p[i + 1:], s),                    # a payload character flipped
        "%s.%s.%s" % (h, p, s[:10] + flip(s[10]) + s[11:]),                     # a signature character flipped
        "%s.%s.%s" % (h, b64url(dict(claims, sub=other_uid)), s),               # another user, old signature
        "%s.%s.%s" % (h, b64url(dict(claims, aud=env.a2.id)), s),               # another audience
        "%s.%s." % (b64url({"alg": "none"}), p),                                # unsigned
        "%s.%s.%s" % (b64url({"alg": "none"}), p, s),
        "%s.%s" % (h, p),                                                       # two segments
        "%s.%s.%s" % (h, p, ""),                                                # empty signature
        "garbage",
        "a.b.c",
        str(uuid.uuid4()),
    ]
    for code in forged:
        assert_invalid_grant(env.a.exchange(code))
        assert_invalid_grant(env.a2.exchange(code))
    # The genuine code still works after all that (no forged one consumed its jti).
    assert_user_token_response(env.a.exchange(doc["extidCode"]))


def test_missing_code_is_invalid_request(env):
    r = requests.post(env.server.url(TOKEN), auth=env.a.auth, data={"grant_type": EXTID_GRANT}, timeout=10)
    assert r.status_code == 400 and r.json()["error"] == "invalid_request", r.text


def test_client_without_the_extid_grant_is_unauthorized_client(env):
    c = Client(env.server, env.pa, grants="client_credentials")
    code = ok(c.extid(new_ext(), "D"))["extidCode"]  # may register, may not exchange
    r = c.exchange(code)
    assert r.status_code == 400 and r.json()["error"] == "unauthorized_client", r.text


# ---------------------------------------------------------------------------------------------
# Concurrency (README §11.1 a-c)


def race_registrations(servers, client, ext, n=50, path=EXTID, customer=None):
    def one(i):
        body = {"externalId": ext, "credentialType": "D"}
        if customer is not None:
            body["customerNumber"] = customer
        r = client.post(path, body, server=servers[i % len(servers)])
        return r.status_code, r.text

    return run_concurrently(n, one)


def check_one_user(db, client, ext, results):
    docs = []
    for status, text in results:
        assert status == 200, (status, text[:300])
        docs.append(json.loads(text))
    uids = {d["uniqueId"] for d in docs}
    assert len(uids) == 1, uids
    assert sum(d["newUser"] for d in docs) == 1, [d["newUser"] for d in docs]
    uid = uids.pop()
    events = outbox(db, "USER_CREATED", uid)
    assert len(events) == 1, events
    assert events[0][1] == {"uniqueId": uid, "clientId": client.id, "credentialType": "D", "origin": "EXTID",
                            "schema": client.partner.upper()}
    assert len({d["extidCode"] for d in docs}) == len(docs)  # every call its own code
    return uid, docs


def test_concurrent_first_registrations_create_one_user(server_factory):
    srv = server_factory("--auth-fail-rate", "0", workers=8)
    c = Client(srv, "race-" + uuid.uuid4().hex[:6])
    ext = new_ext()
    check_one_user(srv.db, c, ext, race_registrations([srv], c, ext))


def test_concurrent_register_customer_same_pair_links_once(server_factory):
    """README §11.1 (a), (b): a loser with the same pair answers like a repeated call (a few rounds:
    the window between reading the credential and reading the customer's link is small)."""
    srv = server_factory("--auth-fail-rate", "0", workers=8)
    partner = "race-" + uuid.uuid4().hex[:6]
    c = Client(srv, partner)
    for _ in range(3):
        ext = new_ext()
        cust = insert_customer(srv.db, partner)
        uid, docs = check_one_user(srv.db, c, ext, race_registrations([srv], c, ext, n=20, path=EXTID_CUSTOMER,
                                                                         customer=cust))
        assert sum("customerNumber" not in d for d in docs) == 1, docs  # the others: like a repeated call
        assert all(d["customerNumber"] == cust for d in docs if "customerNumber" in d)
        assert all(d["canLogin"] is False for d in docs)
        assert len(outbox(srv.db, "USER_CUSTOMER_LINKED", uid)) == 1


def test_concurrent_register_customer_one_customer_many_users(server_factory):
    srv = server_factory("--auth-fail-rate", "0", workers=8)
    partner = "race-" + uuid.uuid4().hex[:6]
    c = Client(srv, partner)
    cust = insert_customer(srv.db, partner)
    exts = [new_ext() for _ in range(20)]

    def one(i):
        r = c.bind(exts[i], cust, "D")
        return r.status_code, r.text

    results = run_concurrently(20, one)
    winners = [json.loads(t) for s, t in results if s == 200]
    assert len(winners) == 1, results
    for s, t in results:
        if s != 200:
            assert s == 400 and json.loads(t)["exceptionType"] == "IllegalStateException", (s, t)
    assert len(link_events(srv.db, cust)) == 1
    # Losers created no user (rule 0): USER_CREATED only for the winner.
    assert db_query(srv.db, "SELECT count(*) FROM outbox WHERE detail_type = 'USER_CREATED'") == [("1",)]


def test_concurrent_mixed_register_and_register_customer(server_factory):
    """README §11.1 (a): #127 and #128 race on one credential: one user, one link."""
    srv = server_factory("--auth-fail-rate", "0", workers=8)
    partner = "race-" + uuid.uuid4().hex[:6]
    c = Client(srv, partner)
    ext = new_ext()
    cust = insert_customer(srv.db, partner)

    def one(i):
        r = c.extid(ext, "D") if i % 2 else c.bind(ext, cust, "D")
        return r.status_code, r.text

    uid, docs = check_one_user(srv.db, c, ext, run_concurrently(40, one))
    assert len(outbox(srv.db, "USER_CUSTOMER_LINKED", uid)) == 1
    check_identity(ok(c.extid(ext, "D")), ext, "D", unique_id=uid, new_user=False, active=True, customer=cust)


def test_concurrent_exchanges_of_one_code(env):
    code = ok(env.a.extid(new_ext(), "D"))["extidCode"]

    def one(i):
        r = env.a.exchange(code)
        return r.status_code, r.text

    results = run_concurrently(20, one)
    assert sum(s == 200 for s, _ in results) == 1, results
    for s, t in results:
        if s != 200:
            assert s == 400 and json.loads(t)["error"] == "invalid_grant", (s, t)


@pytest.mark.postgresql_only
def test_concurrent_first_registrations_on_two_servers(server_factory):
    s1 = server_factory("--auth-fail-rate", "0", workers=4)
    s2 = server_factory("--auth-fail-rate", "0", workers=4, db=s1.db)
    c = Client(s1, "race-" + uuid.uuid4().hex[:6])
    ext = new_ext()
    check_one_user(s1.db, c, ext, race_registrations([s1, s2], c, ext))

    # ... and one code exchanged on both servers at once.
    code = ok(c.extid(ext, "D"))["extidCode"]

    def one(i):
        r = c.exchange(code, server=(s1, s2)[i % 2])
        return r.status_code, r.text

    results = run_concurrently(20, one)
    assert sum(s == 200 for s, _ in results) == 1, results
    assert all(s == 200 or (s == 400 and json.loads(t)["error"] == "invalid_grant") for s, t in results), results

    # Both servers sign with the installation's one key: a code of one works on the other.
    for issuer, exchanger in ((s1, s2), (s2, s1)):
        code = ok(c.extid(ext, "D", server=issuer))["extidCode"]
        tok = assert_user_token_response(c.exchange(code, server=exchanger))
        assert_user_token_works(issuer, tok["access_token"])
