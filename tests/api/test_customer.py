"""Customer Data: Customer (#9-#13), Address (#1-#5), Category (#6-#8), External Reference
(#14-#17), and `connectd import` (customers, products, subscriptions, categories).

The contract: spec customer.md §1-§5; README §2 (one customer per user and partner), §4 (order of
checks), §5.1 (modes, another partner's data is NotFound), §5.3 (user without customer), §6.3
(leniency), §7 (XML), §9, §11.1 (d), (e); events.md §6.1 (CUSTOMER_CHANGED, ADDRESS_CHANGED,
EXTERNAL_REFERENCE_*). What this issue designed around them:

- customers, products, subscriptions and category descriptions are loaded with
  `connectd import KIND FILE --partner P` (JSON lines of the models' fields; a customer line may
  nest "address" and "categories"); the tests load their data that way;
- user-mode tokens come from #128 (links an external id to a customer) + the extid_code grant;
- the events are written to the outbox table in the same transaction (delivery is another issue),
  so the tests read them there.

User Data (#118-#126, C1) is in test_user_data.py.
"""

import datetime
import json
import os
import random
import tempfile
import threading
import time
import uuid
import zoneinfo

import pytest
import requests

from conftest import JSON_CT, XML_CT, add_client, assert_error, db_exec, db_query, parse_xml, run_cli

TOKEN = "/user/oauth/token"
EXTID_GRANT = "https://connectid.no/oauth2/grant_type/extid_code"
GRANTS = "client_credentials,extid_code,refresh_token"
CONNECT = "no.mediaconnect.connect"
OSLO = zoneinfo.ZoneInfo("Europe/Oslo")
DAY = 86400 * 1000

INFO = "/capi/v1/customer/info"
CLIENT_INFO = "/capi/v1/client/customer/info/%d"
SEARCH = "/capi/v1/client/customer/search"
CHECK = "/capi/v1/client/customer/check"
ADDRESS = "/capi/v1/customer/address"
CLIENT_ADDRESS = "/capi/v1/client/customer/address/%d"
REFS = "/capi/v1/client/customer/%d/external-reference"

_used_numbers = set()


def next_number():
    """A fresh customer number. Random rather than counting up: imports without a number take
    the next after the highest in the database, and must not meet the numbers tests pick."""
    while True:
        n = random.randrange(10 ** 10, 10 ** 12)
        if n not in _used_numbers:
            _used_numbers.add(n)
            return n


def day_start(offset_days=0):
    """Epoch ms of 00:00 in Europe/Oslo, offset_days from today."""
    d = datetime.datetime.now(OSLO).date() + datetime.timedelta(days=offset_days)
    return int(datetime.datetime(d.year, d.month, d.day, tzinfo=OSLO).timestamp() * 1000)


def write_lines(records):
    """A temp file of JSON lines (records: dicts, or strings written as they are)."""
    fd, path = tempfile.mkstemp(prefix="connectd-import-", suffix=".jsonl")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        for rec in records:
            f.write((rec if isinstance(rec, str) else json.dumps(rec)) + "\n")
    return path


def import_lines(db, kind, partner, records, expect_ok=True):
    path = write_lines(records)
    try:
        r = run_cli("import", kind, path, "--db", db.url, "--partner", partner, timeout=120)
    finally:
        os.unlink(path)
    if expect_ok:
        assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    return r


def events(db, detail_type, customer):
    rows = db_query(db, "SELECT source, detail FROM outbox WHERE detail_type = '%s' AND detail LIKE '%%%d%%' "
                        "ORDER BY id" % (detail_type, customer))
    out = []
    for source, detail in rows:
        d = json.loads(detail)
        if d.get("customer") == customer:
            assert source == CONNECT, source
            out.append(d)
    return out


def ok(r, root_xml=False):
    assert r.status_code == 200, (r.status_code, r.text[:800])
    if root_xml:
        assert r.headers["Content-Type"] == XML_CT, r.headers
        return parse_xml(r.content)
    assert r.headers["Content-Type"] == JSON_CT, r.headers
    return r.json()


def api_error(r, exception_type, message=None, status=400):
    return assert_error(r.status_code, r.headers, r.content, status, exception_type, message)


class Caller:
    """Sends requests with one bearer token."""

    def __init__(self, server, token):
        self.server = server
        self.token = token

    def call(self, method, path, body=None, raw=None, headers=None):
        h = {"Authorization": "Bearer " + self.token}
        data = None
        if raw is not None:
            data = raw.encode("utf-8") if isinstance(raw, str) else raw
        elif body is not None:
            h["Content-Type"] = "application/json"
            data = json.dumps(body).encode("utf-8")
        h.update(headers or {})
        return requests.request(method, self.server.url(path), data=data, headers=h, timeout=30)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.call("PATCH", path, body, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)


class User(Caller):
    def __init__(self, server, token, unique_id):
        super().__init__(server, token)
        self.unique_id = unique_id


class Partner(Caller):
    """A partner with one client (client_credentials, extid_code, refresh_token; type D) and its
    own company codes (company codes are installation-wide) with products P1, P2 and P3."""

    def __init__(self, server):
        self.id = "p-" + uuid.uuid4().hex[:10]
        self.db = server.db
        self.client_id, self.secret = add_client(server.db.url, grants=GRANTS, partner=self.id, extid_types="D")
        r = requests.post(server.url(TOKEN), auth=(self.client_id, self.secret),
                          data={"grant_type": "client_credentials"}, timeout=10)
        assert r.status_code == 200, r.text
        super().__init__(server, r.json()["access_token"])
        self.company = "C" + uuid.uuid4().hex[:9]
        import_lines(self.db, "products", self.id, [
            {"companyCode": self.company, "product": code, "description": "Product " + code,
             "productType": "subscription"} for code in ("P1", "P2", "P3")])

    def customer(self, **fields):
        """Imports one customer (Kari Nordmann, Grubbegata 6 A, 0179 Oslo unless overridden;
        address=None for none); returns its number."""
        rec = {"customerNumber": next_number(), "firstName": "Kari", "lastName": "Nordmann",
               "emails": ["kari.nordmann@example.no"], "phoneNumbers": ["+4791234567"],
               "address": {"streetAddress": "Grubbegata", "streetNumber": 6, "entrance": "A",
                           "postalCode": "0179", "postalPlace": "Oslo", "countryCode": "NO"}}
        rec.update(fields)
        if rec["address"] is None:
            del rec["address"]
        import_lines(self.db, "customers", self.id, [rec])
        return rec["customerNumber"]

    def subscribe(self, customer, product="P1", **fields):
        rec = {"customerNumber": customer, "companyCode": self.company, "product": product,
               "startTime": day_start(-30)}
        rec.update(fields)
        import_lines(self.db, "subscriptions", self.id, [rec])

    def user_token(self, ext):
        r = self.post("/capi/v1/client/extid", {"externalId": ext, "credentialType": "D"})
        assert r.status_code == 200, r.text
        doc = r.json()
        t = requests.post(self.server.url(TOKEN), auth=(self.client_id, self.secret),
                          data={"grant_type": EXTID_GRANT, "code": doc["extidCode"]}, timeout=10)
        assert t.status_code == 200, t.text
        return User(self.server, t.json()["access_token"], doc["uniqueId"])

    def user_for(self, customer):
        """A user-mode token for a new user linked to the customer (#128, then #127's code)."""
        ext = "ext-" + uuid.uuid4().hex
        r = self.post("/capi/v1/client/extid/customer", {"externalId": ext, "credentialType": "D",
                                                          "customerNumber": customer})
        assert r.status_code == 200, r.text
        return self.user_token(ext)

    def user_without_customer(self):
        return self.user_token("ext-" + uuid.uuid4().hex)


@pytest.fixture(scope="module")
def pa(server):
    return Partner(server)


@pytest.fixture(scope="module")
def pb(server):
    return Partner(server)


# ---------------------------------------------------------------------------------------------
# §1.3 / §4.1 / §4.5 List customer info

EXAMPLE = {
    "firstName": "Ola", "lastName": "Nordmann", "birthDate": 917823600000, "sex": "male",
    "emails": ["ola.nordmann@hotmail.no"], "phoneNumbers": ["+4723339100"],
    "invoiceEmailAddress": "ola.nordmann@hotmail.no",
    "address": {"streetAddress": "Grubbegata", "streetNumber": 6, "entrance": "A", "postalCode": "0179",
                "postalPlace": "Oslo", "countryCode": "NO"},
    "categories": [{"categoryType": "SWISJ", "categoryCode": "A1", "freeValue": "Oslo kommune"}],
}


def test_customer_info_client_mode_is_the_reference_example_field_by_field(pa):
    n = pa.customer(**EXAMPLE)
    user = pa.user_for(n)
    doc = ok(pa.get(CLIENT_INFO % n))
    home_id = doc["address"]["id"]
    assert type(home_id) is int
    assert list(doc) == ["customerNumber", "uniqueUserId", "firstName", "lastName", "birthDate", "sex", "emails",
                         "phoneNumbers", "invoiceEmailAddress", "address", "categories", "phone", "email"], doc
    assert doc == {
        "customerNumber": n, "uniqueUserId": user.unique_id, "firstName": "Ola", "lastName": "Nordmann",
        "birthDate": 917823600000, "sex": "male", "emails": ["ola.nordmann@hotmail.no"],
        "phoneNumbers": ["+4723339100"], "invoiceEmailAddress": "ola.nordmann@hotmail.no",
        "address": {"id": home_id, "addressType": "home", "streetAddress": "Grubbegata", "streetNumber": 6,
                    "entrance": "A", "postalCode": "0179", "postalPlace": "Oslo", "countryCode": "NO"},
        "categories": [{"categoryType": "SWISJ", "categoryCode": "A1", "freeValue": "Oslo kommune"}],
        "phone": "+4723339100", "email": "ola.nordmann@hotmail.no"}


def test_customer_info_user_mode_is_the_token_users_customer(pa):
    n = pa.customer(**EXAMPLE)
    user = pa.user_for(n)
    assert ok(user.get(INFO)) == ok(pa.get(CLIENT_INFO % n))


def test_customer_info_company_fields_and_the_company_alias(pa):
    n = pa.customer(firstName=None, lastName=None, companyName="Fjordbris Kafé AS",
                    companyRegistrationNumber="912345678", department="D12", departmentName="Innkjøp",
                    middleName="M", emails=[], phoneNumbers=[], address=None)
    doc = ok(pa.get(CLIENT_INFO % n))
    assert doc == {"customerNumber": n, "companyRegistrationNumber": "912345678", "companyName": "Fjordbris Kafé AS",
                   "department": "D12", "departmentName": "Innkjøp", "middleName": "M", "categories": [],
                   "company": "Fjordbris Kafé AS"}, doc


def test_customer_info_never_returns_the_national_id(pa):
    n = pa.customer(personsSocialSecurityNumber="01019912345")
    r = pa.get(CLIENT_INFO % n)
    assert "01019912345" not in r.text and "personsSocialSecurityNumber" not in ok(r)


def test_customer_info_in_xml(pa):
    n = pa.customer(**EXAMPLE)
    root = ok(pa.get(CLIENT_INFO % n, headers={"Accept": "application/xml"}), root_xml=True)
    assert root.tag == "customer"
    assert root.findtext("customerNumber") == str(n)
    assert [e.text for e in root.find("emails")] == ["ola.nordmann@hotmail.no"]
    assert [e.tag for e in root.find("emails")] == ["email"]
    assert [e.tag for e in root.find("phoneNumbers")] == ["phoneNumber"]
    assert root.find("address/postalCode").text == "0179"
    cat = root.find("categories/category")
    assert cat.findtext("categoryType") == "SWISJ" and cat.findtext("freeValue") == "Oslo kommune"


@pytest.mark.parametrize("value", ["abc", "0", "-5", "1.5", "99999999999999999999"])
def test_customer_number_in_the_path_must_be_a_positive_integer(pa, value):
    api_error(pa.get("/capi/v1/client/customer/info/" + value), "ValidationException")
    api_error(pa.get("/capi/v1/client/customer/address/" + value), "ValidationException")
    api_error(pa.get("/capi/v1/client/customer/%s/external-reference" % value), "ValidationException")


def test_unknown_and_other_partners_customers_are_not_found(pa, pb):
    theirs = pb.customer()
    unknown = next_number()
    for n in (theirs, unknown):
        msg = "customerNumber: no customer %d" % n
        api_error(pa.get(CLIENT_INFO % n), "NotFoundException", msg)
        api_error(pa.get(CLIENT_ADDRESS % n), "NotFoundException", msg)
        api_error(pa.get(CLIENT_ADDRESS % n + "/P1"), "NotFoundException", msg)
        api_error(pa.get(REFS % n), "NotFoundException", msg)
        api_error(pa.post(REFS % n, {"referenceCode": "CRM", "externalId": "1"}), "NotFoundException", msg)
        api_error(pa.patch(REFS % n + "/CRM", {"externalId": "1"}), "NotFoundException", msg)
        api_error(pa.delete(REFS % n + "/CRM"), "NotFoundException", msg)
    assert ok(pb.get(CLIENT_INFO % theirs))["customerNumber"] == theirs


def test_a_users_customer_of_another_partner_is_invisible(pa, pb):
    """The user is linked to a customer of B only: for A's client the user has no customer."""
    n = pb.customer()
    ext = "ext-" + uuid.uuid4().hex
    r = pb.post("/capi/v1/client/extid/customer", {"externalId": ext, "credentialType": "D", "customerNumber": n})
    assert r.status_code == 200
    user_a = pa.user_token(ext)  # the same external id, through A's client
    api_error(user_a.get(INFO), "NotFoundException", "No customer is linked to the user")
    assert ok(pb.user_token(ext).get(INFO))["customerNumber"] == n


def test_user_without_customer(pa):
    """README §5.3: lists are empty, everything else NotFound with the documented message."""
    user = pa.user_without_customer()
    assert ok(user.get(ADDRESS)) == {"addresses": []}
    assert ok(user.get(ADDRESS + "/P1")) == {"addresses": []}
    assert ok(user.get("/capi/v1/customer/category")) == {"categories": []}
    assert ok(user.get("/capi/v1/customer/category/SWISJ")) == {"categories": []}
    assert ok(user.get("/capi/v1/customer/category/type")) == {"categoryTypes": []}
    msg = "No customer is linked to the user"
    api_error(user.get(INFO), "NotFoundException", msg)
    api_error(user.post(INFO, {"firstName": "Kari"}), "NotFoundException", msg)
    api_error(user.post(ADDRESS, {"product": "P1", "changeType": "update", "streetAddress": "Storgata",
                                  "postalCode": "0155", "countryCode": "NO"}), "NotFoundException", msg)
    root = ok(user.get(ADDRESS, headers={"Accept": "application/xml"}), root_xml=True)
    assert root.tag == "addresses" and list(root) == []


def test_modes_are_enforced(pa):
    user = pa.user_without_customer()
    assert user.get(CLIENT_INFO % 1).status_code == 403
    assert pa.get(INFO).status_code == 403
    assert requests.get(pa.server.url(INFO), timeout=10).status_code == 401


# ---------------------------------------------------------------------------------------------
# §4.2 Change customer Info (#10)

def test_change_info_reference_example(pa):
    n = pa.customer(firstName="Kari", lastName="Hansen", emails=["kari@example.no"])
    user = pa.user_for(n)
    before = ok(user.get(INFO))
    doc = ok(user.post(INFO, {"firstName": "Ola", "lastName": "Nordmann",
                              "emails": ["ola.nordmann@hotmail.no", "ola.nordmann@company.com"]}))
    assert doc["firstName"] == "Ola" and doc["lastName"] == "Nordmann"
    assert doc["emails"] == ["ola.nordmann@hotmail.no", "ola.nordmann@company.com"]
    assert doc["email"] == "ola.nordmann@hotmail.no"
    assert doc["address"] == before["address"] and doc["phoneNumbers"] == before["phoneNumbers"]
    assert ok(user.get(INFO)) == doc
    ev = events(pa.db, "CUSTOMER_CHANGED", n)
    assert len(ev) == 1
    assert ev[0]["changedFields"] == ["firstName", "lastName", "emails"]
    assert ev[0]["schema"] == pa.id.upper() and ev[0]["customer"] == n


def test_change_info_every_field_and_leniency(pa):
    n = pa.customer()
    user = pa.user_for(n)
    doc = ok(user.post(INFO, {
        "companyName": " Acme AS ", "department": "D1", "departmentName": "Salg", "firstName": "Kari",
        "middleName": "Marie", "lastName": "Nordmann", "birthDate": "1985-03-14", "sex": "female",
        "emails": "one@example.no", "phoneNumbers": ["+4712345678", "+4687654321"],
        "invoiceEmailAddress": "invoice@example.no", "unknownField": 1}))
    assert doc["companyName"] == "Acme AS" and doc["company"] == "Acme AS"
    assert doc["department"] == "D1" and doc["departmentName"] == "Salg" and doc["middleName"] == "Marie"
    expected_birth = int(datetime.datetime(1985, 3, 14, tzinfo=OSLO).timestamp() * 1000)
    assert doc["birthDate"] == expected_birth and doc["sex"] == "female"
    assert doc["emails"] == ["one@example.no"] and doc["phoneNumbers"] == ["+4712345678", "+4687654321"]
    assert doc["invoiceEmailAddress"] == "invoice@example.no" and doc["phone"] == "+4712345678"


def test_change_info_absent_and_empty_keep_null_clears(pa):
    n = pa.customer(middleName="Marie", invoiceEmailAddress="inv@example.no")
    user = pa.user_for(n)
    doc = ok(user.post(INFO, {"firstName": "", "middleName": None, "emails": []}))
    assert doc["firstName"] == "Kari"
    assert "middleName" not in doc and "emails" not in doc and "email" not in doc
    assert doc["invoiceEmailAddress"] == "inv@example.no"
    assert events(pa.db, "CUSTOMER_CHANGED", n)[-1]["changedFields"] == ["middleName", "emails"]


def test_change_info_without_change_emits_nothing(pa):
    n = pa.customer()
    user = pa.user_for(n)
    ok(user.post(INFO, {"firstName": "Kari", "lastName": "Nordmann"}))
    ok(user.post(INFO, {}))
    assert events(pa.db, "CUSTOMER_CHANGED", n) == []


@pytest.mark.parametrize("body, message", [
    ({"firstName": "x" * 31}, "firstName: must not be longer than 30 characters"),
    ({"companyName": "x" * 41}, "companyName: must not be longer than 40 characters"),
    ({"department": "x" * 41}, "department: must not be longer than 40 characters"),
    ({"sex": "other"}, "sex: must be one of male, female"),
    ({"sex": "Male"}, "sex: must be one of male, female"),
    ({"emails": ["not-an-address"]}, "emails: must be a valid e-mail address"),
    ({"emails": ["a%d@example.no" % i for i in range(6)]}, "emails: must not have more than 5 items"),
    ({"phoneNumbers": ["12345678"]}, "phoneNumbers: must be an E.164 phone number (+ and 8 to 15 digits)"),
    ({"phoneNumbers": ["+47%08d" % i for i in range(6)]}, "phoneNumbers: must not have more than 5 items"),
    ({"invoiceEmailAddress": "nobody"}, "invoiceEmailAddress: must be a valid e-mail address"),
    ({"birthDate": "tomorrow"}, "birthDate: must be epoch milliseconds, an ISO-8601 date-time or a yyyy-MM-dd date"),
    ({"birthDate": int(time.time() * 1000) + 10 * DAY}, "birthDate: must not be in the future"),
    ({"lastName": None}, "lastName or companyName: is required"),
    ({"emails": {"a": 1}}, "emails: must be an array of strings"),
])
def test_change_info_validation(pa, body, message):
    n = pa.customer()
    user = pa.user_for(n)
    api_error(user.post(INFO, body), "ValidationException", message)
    assert ok(user.get(INFO))["lastName"] == "Nordmann"
    assert events(pa.db, "CUSTOMER_CHANGED", n) == []


def test_change_info_company_keeps_the_customer_valid_without_last_name(pa):
    n = pa.customer()
    user = pa.user_for(n)
    doc = ok(user.post(INFO, {"companyName": "Acme AS", "lastName": None}))
    assert "lastName" not in doc and doc["companyName"] == "Acme AS"


def test_change_info_in_xml(pa):
    n = pa.customer()
    user = pa.user_for(n)
    xml = ("<?xml version=\"1.0\"?><data><firstName>Ola</firstName><emails><item>ola@example.no</item>"
           "<item>ola2@example.no</item></emails><phoneNumbers><phone>+4799999999</phone></phoneNumbers></data>")
    root = ok(user.post(INFO, raw=xml, headers={"Content-Type": "application/xml"}), root_xml=True)
    assert root.tag == "customer" and root.findtext("firstName") == "Ola"
    assert [e.text for e in root.find("emails")] == ["ola@example.no", "ola2@example.no"]
    assert [e.text for e in root.find("phoneNumbers")] == ["+4799999999"]


def test_change_info_checks_the_body_before_the_customer(pa):
    user = pa.user_without_customer()
    api_error(user.post(INFO, {"sex": "x"}), "ValidationException")
    api_error(user.post(INFO, raw="{", headers={"Content-Type": "application/json"}), "ValidationException",
              "Malformed request body")
    r = user.post(INFO, raw="a=b", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 415


# ---------------------------------------------------------------------------------------------
# §4.3 Search customer (#11)

def test_search_reference_example(pa):
    pc = "%04d" % random.randrange(10000)
    n = pa.customer(lastName="Søk" + uuid.uuid4().hex[:6], firstName="Ola",
                    address={"streetAddress": "Grubbegata", "streetNumber": 6, "entrance": "A", "postalCode": pc,
                             "postalPlace": "Oslo", "countryCode": "NO"},
                    emails=["ola.nordmann@hotmail.no"], phoneNumbers=["+4723339100"], birthDate=917823600000,
                    invoiceEmailAddress="inv@example.no",
                    categories=[{"categoryType": "SWISJ", "categoryCode": "A1"}])
    last = ok(pa.get(CLIENT_INFO % n))["lastName"]
    doc = ok(pa.post(SEARCH, {"lastName": last, "postalCode": pc}))
    assert doc == {"customers": [{
        "customerNumber": n, "firstName": "Ola", "lastName": last, "streetAddress": "Grubbegata",
        "streetNumber": 6, "entrance": "A", "postalCode": pc, "postalPlace": "Oslo", "countryCode": "NO",
        "emails": ["ola.nordmann@hotmail.no"], "phoneNumbers": ["+4723339100"],
        "phone": "+4723339100", "email": "ola.nordmann@hotmail.no"}]}
    assert list(doc["customers"][0]) == ["customerNumber", "firstName", "lastName", "streetAddress", "streetNumber",
                                         "entrance", "postalCode", "postalPlace", "countryCode", "emails",
                                         "phoneNumbers", "phone", "email"]


@pytest.mark.parametrize("body", [{}, {"lastName": "Nordmann"}, {"postalCode": "0179"},
                                  {"firstName": "Kari", "postalCode": "0179"}, {"streetAddress": "Grubbegata"}])
def test_search_needs_email_phone_or_name_with_postal_code(pa, body):
    api_error(pa.post(SEARCH, body), "ValidationException",
              "email, phoneNumber, or lastName or companyName together with postalCode: one of them is required")


@pytest.mark.parametrize("body, message", [
    ({"email": "x" * 256}, "email: must not be longer than 255 characters"),
    ({"phoneNumber": "4712345678"}, "phoneNumber: must be an E.164 phone number (+ and 8 to 15 digits)"),
    ({"lastName": "x" * 31, "postalCode": "0179"}, "lastName: must not be longer than 30 characters"),
    ({"lastName": "x", "postalCode": "12345678901"}, "postalCode: must not be longer than 10 characters"),
])
def test_search_limits(pa, body, message):
    api_error(pa.post(SEARCH, body), "ValidationException", message)


def test_search_by_email_is_case_insensitive_and_covers_the_invoice_address(pa, pb):
    tag = uuid.uuid4().hex[:8]
    a = pa.customer(emails=["Kari.%s@Example.no" % tag])
    b = pa.customer(emails=["other.%s@example.no" % tag], invoiceEmailAddress="faktura.%s@example.no" % tag)
    pb.customer(emails=["kari.%s@example.no" % tag])
    found = ok(pa.post(SEARCH, {"email": "KARI.%s@example.NO" % tag}))["customers"]
    assert [c["customerNumber"] for c in found] == [a]
    found = ok(pa.post(SEARCH, {"email": "faktura.%s@example.no" % tag}))["customers"]
    assert [c["customerNumber"] for c in found] == [b]


def test_search_criteria_are_anded(pa):
    phone = "+479%07d" % random.randrange(10 ** 7)
    a = pa.customer(phoneNumbers=[phone], firstName="Kari")
    b = pa.customer(phoneNumbers=["+4700000001", phone], firstName="Ola")
    assert [c["customerNumber"] for c in ok(pa.post(SEARCH, {"phoneNumber": phone}))["customers"]] == sorted([a, b])
    assert [c["customerNumber"] for c in ok(pa.post(SEARCH, {"phoneNumber": phone, "firstName": "ola"}))
            ["customers"]] == [b]
    assert ok(pa.post(SEARCH, {"phoneNumber": phone, "postalCode": "9999"}))["customers"] == []
    assert [c["customerNumber"] for c in ok(pa.post(SEARCH, {"phoneNumber": phone, "streetAddress": "GRUBBEGATA"}))
            ["customers"]] == sorted([a, b])


def test_search_names_fold_case_beyond_ascii(pa):
    pc = "%04d" % random.randrange(10000)
    addr = {"streetAddress": "Bryggen", "postalCode": pc, "countryCode": "NO"}
    n = pa.customer(lastName="Ødegård", address=addr)
    c = pa.customer(lastName=None, companyName="Ærlig Øl AS", address=addr)
    assert [x["customerNumber"] for x in ok(pa.post(SEARCH, {"lastName": "ØDEGÅRD", "postalCode": pc}))
            ["customers"]] == [n]
    assert [x["customerNumber"] for x in ok(pa.post(SEARCH, {"companyName": "ærlig øl as", "postalCode": pc}))
            ["customers"]] == [c]


def test_search_returns_at_most_50_by_customer_number(pa):
    pc = "%04d" % random.randrange(10000)
    last = "Many" + uuid.uuid4().hex[:6]
    numbers = [next_number() for _ in range(55)]
    random.shuffle(numbers)
    import_lines(pa.db, "customers", pa.id, [
        {"customerNumber": x, "lastName": last, "address": {"postalCode": pc, "streetAddress": "Gate",
                                                            "countryCode": "NO"}} for x in numbers])
    found = ok(pa.post(SEARCH, {"lastName": last, "postalCode": pc}))["customers"]
    assert [c["customerNumber"] for c in found] == sorted(numbers)[:50]


def test_search_xml_reply(pa):
    phone = "+478%07d" % random.randrange(10 ** 7)
    n = pa.customer(phoneNumbers=[phone])
    r = pa.post(SEARCH, raw="<search><phoneNumber>%s</phoneNumber></search>" % phone,
                headers={"Content-Type": "text/xml"})
    assert r.status_code == 200 and r.headers["Content-Type"] == XML_CT
    root = parse_xml(r.content)
    assert root.tag == "customers" and [c.tag for c in root] == ["customer"]
    assert root.findtext("customer/customerNumber") == str(n)


# ---------------------------------------------------------------------------------------------
# §4.4 Check customer number (#12)

def test_check_reference_example_and_the_facts(pa, pb):
    n = pa.customer(lastName="Nordmann", emails=["kari@example.no"], phoneNumbers=["+4791234567"])
    assert ok(pa.post(CHECK, {"customerNumber": n, "postalCode": "0179"})) == {"customerNumber": n, "valid": True}
    assert ok(pa.post(CHECK, {"customerNumber": n}))["valid"] is True
    assert ok(pa.post(CHECK, {"customerNumber": str(n), "postalCode": 179, "lastName": "NORDMANN",
                              "email": "KARI@example.no", "phoneNumber": "+4791234567"}))["valid"] is True
    assert ok(pa.post(CHECK, {"customerNumber": n, "postalCode": "0180"}))["valid"] is False
    assert ok(pa.post(CHECK, {"customerNumber": n, "lastName": "Hansen"}))["valid"] is False
    assert ok(pa.post(CHECK, {"customerNumber": n, "email": "other@example.no"}))["valid"] is False
    assert ok(pa.post(CHECK, {"customerNumber": n, "phoneNumber": "+4700000000"}))["valid"] is False
    other = pb.customer()
    assert ok(pa.post(CHECK, {"customerNumber": other})) == {"customerNumber": other, "valid": False}
    unknown = next_number()
    assert ok(pa.post(CHECK, {"customerNumber": unknown})) == {"customerNumber": unknown, "valid": False}


def test_check_last_name_also_matches_the_company_name(pa):
    n = pa.customer(lastName=None, companyName="Fjordbris Kafé AS")
    assert ok(pa.post(CHECK, {"customerNumber": n, "lastName": "fjordbris kafé as"}))["valid"] is True


def test_check_xml_root(pa):
    n = pa.customer()
    r = pa.post(CHECK, {"customerNumber": n}, headers={"Accept": "application/xml"})
    root = ok(r, root_xml=True)
    assert root.tag == "customerCheck" and root.findtext("valid") == "true"
    assert root.findtext("customerNumber") == str(n)


@pytest.mark.parametrize("body, message", [
    ({}, "customerNumber: is required"),
    ({"customerNumber": 0}, "customerNumber: must be greater than 0"),
    ({"customerNumber": "abc"}, "customerNumber: must be an integer"),
    ({"customerNumber": 1, "lastName": "x" * 31}, "lastName: must not be longer than 30 characters"),
    ({"customerNumber": 1, "phoneNumber": "123"}, "phoneNumber: must be an E.164 phone number (+ and 8 to 15 digits)"),
])
def test_check_validation(pa, body, message):
    api_error(pa.post(CHECK, body), "ValidationException", message)


def test_check_is_refused_after_10_failures_in_an_hour(pa, pb):
    n = pa.customer()
    for _ in range(10):
        assert ok(pa.post(CHECK, {"customerNumber": n, "postalCode": "9999"}))["valid"] is False
    r = pa.post(CHECK, {"customerNumber": n, "postalCode": "0179"})
    api_error(r, "TooManyRequestsException", "Rate limit exceeded", status=429)
    assert 3500 <= int(r.headers["Retry-After"]) <= 3600
    # per number: another number of the partner is still checked
    assert ok(pa.post(CHECK, {"customerNumber": pa.customer()}))["valid"] is True
    # per partner: another partner's failures are its own
    assert ok(pb.post(CHECK, {"customerNumber": n}))["valid"] is False


# ---------------------------------------------------------------------------------------------
# §2 Addresses

def addresses(caller, path=ADDRESS):
    return ok(caller.get(path))["addresses"]


def home_of(caller):
    return [a for a in addresses(caller) if a["addressType"] == "home"][0]


@pytest.fixture
def kari(pa):
    """A customer with a home address, subscribed to P1 and P2, and a user token for her."""
    n = pa.customer()
    pa.subscribe(n, "P1")
    pa.subscribe(n, "P2")
    u = pa.user_for(n)
    u.number = n
    return u


def temporary(product="P1", start=None, end=None, **fields):
    body = {"product": product, "changeType": "create", "careOfAddress": "", "streetAddress": "Møllergata",
            "streetNumber": 3, "entrance": "A", "postalCode": 179, "postalPlace": "Oslo", "countryCode": "NO",
            "period": {"startTime": start if start is not None else day_start(7),
                       "endTime": end if end is not None else day_start(21)}}
    body.update(fields)
    return body


def test_create_temporary_change_reference_example(pa, kari):
    home = home_of(kari)
    doc = ok(kari.post(ADDRESS, temporary("P1")))
    assert len(doc["addresses"]) == 2
    assert doc["addresses"][0] == home
    change = doc["addresses"][1]
    assert change == {"id": change["id"], "addressType": "temporary", "streetAddress": "Møllergata",
                      "streetNumber": 3, "entrance": "A", "postalCode": "0179", "postalPlace": "Oslo",
                      "countryCode": "NO", "period": {"startTime": day_start(7), "endTime": day_start(21)},
                      "products": ["P1"]}
    assert addresses(kari) == doc["addresses"]
    ev = events(pa.db, "ADDRESS_CHANGED", kari.number)
    assert ev == [{"schema": pa.id.upper(), "customer": kari.number, "changeType": "create",
                   "addressId": change["id"], "products": ["P1"]}]


def test_update_home_address_reference_example_keeps_the_id_and_the_history(pa, kari):
    home = home_of(kari)
    body = {"product": "P1", "changeType": "update", "id": home["id"], "careOfAddress": "",
            "streetAddress": "Storgata", "streetNumber": 12, "entrance": "B", "postalCode": 155,
            "postalPlace": "Oslo", "countryCode": "NO"}
    doc = ok(kari.post(ADDRESS, body))["addresses"]
    assert doc[0] == {"id": home["id"], "addressType": "home", "streetAddress": "Storgata", "streetNumber": 12,
                      "entrance": "B", "postalCode": "0155", "postalPlace": "Oslo", "countryCode": "NO"}
    hist = doc[1]
    assert hist["addressType"] == "historical" and hist["streetAddress"] == "Grubbegata"
    assert hist["postalCode"] == "0179" and hist["id"] != home["id"]
    assert hist["period"]["endTime"] <= int(time.time() * 1000) and "products" not in hist
    assert ok(kari.get(INFO))["address"] == doc[0]
    ev = events(pa.db, "ADDRESS_CHANGED", kari.number)[-1]
    assert ev["changeType"] == "update" and ev["addressId"] == home["id"] and ev["products"] == ["P1"]


def test_update_without_id_replaces_the_home_and_empties_fields_not_given(kari):
    home = home_of(kari)
    doc = ok(kari.post(ADDRESS, {"product": "P1", "changeType": "update", "postalAddress": "Postboks 6300",
                                 "postalCode": "0603", "countryCode": "NO"}))["addresses"]
    assert doc[0] == {"id": home["id"], "addressType": "home", "postalAddress": "Postboks 6300",
                      "postalCode": "0603", "countryCode": "NO"}


def test_a_customer_without_an_address_gets_one_by_update(pa):
    n = pa.customer(address=None)
    u = pa.user_for(n)
    assert addresses(u) == []
    doc = ok(u.post(ADDRESS, {"product": "P1", "changeType": "update", "streetAddress": "Storgata",
                              "postalCode": "0155", "countryCode": "NO"}))["addresses"]
    assert [a["addressType"] for a in doc] == ["home"]
    assert ok(u.get(INFO))["address"]["streetAddress"] == "Storgata"


def test_postal_codes_are_padded_only_for_norway(pa, kari):
    doc = ok(kari.post(ADDRESS, {"product": "P1", "changeType": "update", "streetAddress": "Kungsgatan",
                                 "postalCode": 11143, "countryCode": "SE"}))
    assert doc["addresses"][0]["postalCode"] == "11143"
    doc = ok(kari.post(ADDRESS, {"product": "P1", "changeType": "update", "streetAddress": "Storgatan",
                                 "postalCode": 123, "countryCode": "SE"}))
    assert doc["addresses"][0]["postalCode"] == "123"


def test_lists_sort_by_kind_then_start_and_filter_by_product(pa, kari):
    ok(kari.post(ADDRESS, temporary("P2", day_start(30), day_start(40), streetAddress="Second")))
    ok(kari.post(ADDRESS, temporary("P1", day_start(2), day_start(5), streetAddress="First")))
    ok(kari.post(ADDRESS, {"changeType": "createPermanent", "streetAddress": "Flytting", "postalCode": "5003",
                           "countryCode": "NO", "period": {"startTime": day_start(60)}}))
    ok(kari.post(ADDRESS, {"product": "P1", "changeType": "update", "streetAddress": "New home",
                           "postalCode": "0155", "countryCode": "NO"}))
    all_ = addresses(kari)
    assert [(a["addressType"], a.get("streetAddress")) for a in all_] == [
        ("home", "New home"), ("temporary", "First"), ("temporary", "Second"), ("permanent", "Flytting"),
        ("historical", "Grubbegata")]
    permanent = all_[3]
    assert permanent["period"] == {"startTime": day_start(60)} and "products" not in permanent
    assert addresses(pa, CLIENT_ADDRESS % kari.number) == all_
    p1 = addresses(kari, ADDRESS + "/P1")
    assert [a.get("streetAddress") for a in p1] == ["New home", "First", "Flytting"]
    assert addresses(pa, CLIENT_ADDRESS % kari.number + "/P1") == p1
    p2 = addresses(pa, CLIENT_ADDRESS % kari.number + "/P2")
    assert [a.get("streetAddress") for a in p2] == ["New home", "Second", "Flytting"]
    p3 = addresses(kari, ADDRESS + "/P3")
    assert [a.get("streetAddress") for a in p3] == ["New home", "Flytting"]


def test_product_code_in_the_path_is_validated(pa, kari):
    api_error(kari.get(ADDRESS + "/" + "X" * 13), "ValidationException",
              "productCode: must not be longer than 12 characters")
    api_error(pa.get(CLIENT_ADDRESS % kari.number + "/" + "X" * 13), "ValidationException",
              "productCode: must not be longer than 12 characters")


def test_an_ended_temporary_change_is_historical_and_old_history_is_dropped(pa, kari):
    doc = ok(kari.post(ADDRESS, temporary("P1")))
    change = doc["addresses"][1]
    db_exec(pa.db, "UPDATE address SET start_time = %d, end_time = %d WHERE id = %d"
            % (day_start(-20), day_start(-10), change["id"]))
    listed = addresses(kari)
    assert [a["addressType"] for a in listed] == ["home", "historical"]
    assert listed[1]["products"] == ["P1"]
    assert [a["addressType"] for a in addresses(kari, ADDRESS + "/P1")] == ["home"]
    db_exec(pa.db, "UPDATE address SET start_time = %d, end_time = %d WHERE id = %d"
            % (day_start(-900), day_start(-800), change["id"]))
    assert [a["addressType"] for a in addresses(kari)] == ["home"]


def test_create_permanent_takes_effect_on_its_day(pa, kari):
    home = home_of(kari)
    doc = ok(kari.post(ADDRESS, {"product": "ignored", "changeType": "createPermanent", "streetAddress": "Bryggen",
                                 "streetNumber": 3, "postalCode": "5003", "postalPlace": "Bergen",
                                 "countryCode": "NO", "period": {"startTime": day_start(3), "endTime": 1}}))
    perm = [a for a in doc["addresses"] if a["addressType"] == "permanent"][0]
    assert perm["period"] == {"startTime": day_start(3)}
    ev = events(pa.db, "ADDRESS_CHANGED", kari.number)
    assert ev[-1]["changeType"] == "createPermanent" and ev[-1]["products"] == []
    # its day comes
    db_exec(pa.db, "UPDATE address SET start_time = %d WHERE id = %d" % (day_start(-1), perm["id"]))
    db_exec(pa.db, "UPDATE customer SET address_due_at = %d WHERE customer_number = %d"
            % (day_start(-1), kari.number))
    info = ok(kari.get(INFO))
    assert info["address"]["id"] == perm["id"] and info["address"]["streetAddress"] == "Bryggen"
    assert "period" not in info["address"]
    listed = addresses(kari)
    assert [(a["addressType"], a["id"]) for a in listed] == [("home", perm["id"]), ("historical", home["id"])]
    assert listed[1]["period"]["endTime"] == day_start(-1)
    effective = [e for e in events(pa.db, "ADDRESS_CHANGED", kari.number) if e["changeType"] == "effective"]
    assert effective == [{"schema": pa.id.upper(), "customer": kari.number, "changeType": "effective",
                          "addressId": perm["id"], "products": []}]
    ok(kari.get(INFO))
    assert len([e for e in events(pa.db, "ADDRESS_CHANGED", kari.number) if e["changeType"] == "effective"]) == 1


def test_the_periodic_job_settles_a_due_permanent_change(server_factory):
    """Without any read: the server's job applies it (it runs at start, then every 30 s)."""
    srv = server_factory("--auth-fail-rate", "0")
    p = Partner(srv)
    n = p.customer()
    u = p.user_for(n)
    doc = ok(u.post(ADDRESS, {"changeType": "createPermanent", "streetAddress": "Bryggen", "postalCode": "5003",
                              "countryCode": "NO", "period": {"startTime": day_start(1)}}))
    perm = [a for a in doc["addresses"] if a["addressType"] == "permanent"][0]
    db_exec(srv.db, "UPDATE address SET start_time = %d WHERE id = %d" % (day_start(-1), perm["id"]))
    db_exec(srv.db, "UPDATE customer SET address_due_at = %d WHERE customer_number = %d" % (day_start(-1), n))
    srv.stop()
    srv2 = server_factory("--auth-fail-rate", "0", db=srv.db)
    deadline = time.time() + 10
    while time.time() < deadline and not [e for e in events(srv2.db, "ADDRESS_CHANGED", n)
                                          if e["changeType"] == "effective"]:
        time.sleep(0.1)
    assert [e["addressId"] for e in events(srv2.db, "ADDRESS_CHANGED", n) if e["changeType"] == "effective"] == \
        [perm["id"]]
    rows = db_query(srv2.db, "SELECT kind FROM address WHERE id = %d" % perm["id"])
    assert rows == [("home",)]


def test_only_one_planned_permanent_change(kari):
    body = {"changeType": "createPermanent", "streetAddress": "Bryggen", "postalCode": "5003", "countryCode": "NO",
            "period": {"startTime": day_start(10)}}
    ok(kari.post(ADDRESS, body))
    api_error(kari.post(ADDRESS, body), "IllegalStateException",
              "A permanent change is already planned: delete it first")


def test_delete_a_planned_change(pa, kari):
    change = ok(kari.post(ADDRESS, temporary("P1")))["addresses"][1]
    doc = ok(kari.post(ADDRESS, {"product": "P1", "changeType": "delete", "id": change["id"]}))
    assert [a["addressType"] for a in doc["addresses"]] == ["home"]
    ev = events(pa.db, "ADDRESS_CHANGED", kari.number)[-1]
    assert ev["changeType"] == "delete" and ev["addressId"] == change["id"] and ev["products"] == ["P1"]
    perm = ok(kari.post(ADDRESS, {"changeType": "createPermanent", "streetAddress": "X", "postalCode": "5003",
                                  "countryCode": "NO", "period": {"startTime": day_start(5)}}))["addresses"][1]
    ok(kari.post(ADDRESS, {"product": "P1", "changeType": "delete", "id": perm["id"]}))
    assert db_query(pa.db, "SELECT address_due_at FROM customer WHERE customer_number = %d" % kari.number) == \
        [(None,)]


def test_update_the_period_of_a_planned_change(pa, kari):
    change = ok(kari.post(ADDRESS, temporary("P1")))["addresses"][1]
    doc = ok(kari.post(ADDRESS, {"product": "P1", "changeType": "update", "id": change["id"],
                                 "period": {"startTime": day_start(8), "endTime": day_start(30)}}))
    assert doc["addresses"][1]["period"] == {"startTime": day_start(8), "endTime": day_start(30)}
    # address fields equal to the stored ones are allowed
    doc = ok(kari.post(ADDRESS, {"product": "P1", "changeType": "update", "id": change["id"],
                                 "streetAddress": "Møllergata", "countryCode": "NO",
                                 "period": {"endTime": day_start(31)}}))
    assert doc["addresses"][1]["period"] == {"startTime": day_start(8), "endTime": day_start(31)}
    api_error(kari.post(ADDRESS, {"product": "P1", "changeType": "update", "id": change["id"],
                                  "streetAddress": "Other", "countryCode": "NO"}),
              "ValidationException", "streetAddress: only the period of a planned change can be changed")
    api_error(kari.post(ADDRESS, {"product": "P1", "changeType": "update", "id": change["id"],
                                  "period": {"endTime": day_start(8)}}),
              "ValidationException", "period.endTime: must be after period.startTime")
    api_error(kari.post(ADDRESS, {"product": "P1", "changeType": "update", "id": change["id"],
                                  "period": {"startTime": day_start(-1)}}),
              "ValidationException", "period.startTime: must not be before today")
    ev = events(pa.db, "ADDRESS_CHANGED", kari.number)
    assert [e["changeType"] for e in ev] == ["create", "update", "update"]


def test_a_started_change_may_only_get_a_new_end(pa, kari):
    change = ok(kari.post(ADDRESS, temporary("P1")))["addresses"][1]
    db_exec(pa.db, "UPDATE address SET start_time = %d WHERE id = %d" % (day_start(-2), change["id"]))
    doc = ok(kari.post(ADDRESS, {"product": "P1", "changeType": "update", "id": change["id"],
                                 "period": {"startTime": day_start(-2), "endTime": day_start(40)}}))
    assert doc["addresses"][1]["period"] == {"startTime": day_start(-2), "endTime": day_start(40)}
    api_error(kari.post(ADDRESS, {"product": "P1", "changeType": "update", "id": change["id"],
                                  "period": {"startTime": day_start(1)}}),
              "IllegalStateException", "The change has started: only period.endTime may change")
    api_error(kari.post(ADDRESS, {"product": "P1", "changeType": "update", "id": change["id"],
                                  "period": {"endTime": day_start(-1)}}),
              "IllegalStateException", "The change has started: period.endTime must not be before today")
    api_error(kari.post(ADDRESS, {"product": "P1", "changeType": "delete", "id": change["id"]}),
              "IllegalStateException", "The change has started and can no longer be deleted")


def test_historical_and_unknown_ids(pa, kari):
    ok(kari.post(ADDRESS, {"product": "P1", "changeType": "update", "streetAddress": "Storgata",
                           "postalCode": "0155", "countryCode": "NO"}))
    hist = [a for a in addresses(kari) if a["addressType"] == "historical"][0]
    api_error(kari.post(ADDRESS, {"product": "P1", "changeType": "update", "id": hist["id"]}),
              "IllegalStateException", "A historical address cannot be changed")
    api_error(kari.post(ADDRESS, {"product": "P1", "changeType": "delete", "id": hist["id"]}),
              "IllegalStateException", "A historical address cannot be deleted")
    api_error(kari.post(ADDRESS, {"product": "P1", "changeType": "delete", "id": home_of(kari)["id"]}),
              "IllegalStateException", "The home address cannot be deleted")
    other = pa.customer()
    foreign = ok(pa.get(CLIENT_INFO % other))["address"]["id"]
    for change in ("update", "delete", "create"):
        body = {"product": "P1", "changeType": change, "id": foreign}
        if change == "create":
            body["period"] = {"startTime": day_start(1), "endTime": day_start(2)}
        api_error(kari.post(ADDRESS, body), "NotFoundException", "id: the customer has no such address")


def test_create_from_a_historical_address_reuses_its_data(kari):
    ok(kari.post(ADDRESS, {"product": "P1", "changeType": "update", "streetAddress": "Storgata",
                           "postalCode": "0155", "countryCode": "NO"}))
    hist = [a for a in addresses(kari) if a["addressType"] == "historical"][0]
    doc = ok(kari.post(ADDRESS, {"product": "P2", "changeType": "create", "id": hist["id"],
                                 "period": {"startTime": day_start(3), "endTime": day_start(9)}}))
    change = [a for a in doc["addresses"] if a["addressType"] == "temporary"][0]
    assert change["streetAddress"] == "Grubbegata" and change["postalCode"] == "0179"
    assert change["id"] != hist["id"] and change["products"] == ["P2"]
    api_error(kari.post(ADDRESS, {"product": "P2", "changeType": "create", "id": hist["id"],
                                  "streetAddress": "x", "postalCode": "0155", "countryCode": "NO",
                                  "period": {"startTime": day_start(30), "endTime": day_start(39)}}),
              "ValidationException", "id: address fields must be absent when id is given")
    api_error(kari.post(ADDRESS, {"product": "P1", "changeType": "create", "id": home_of(kari)["id"],
                                  "period": {"startTime": day_start(30), "endTime": day_start(39)}}),
              "ValidationException", "id: must not name the home address")
    api_error(kari.post(ADDRESS, {"product": "P1", "changeType": "create", "id": change["id"],
                                  "period": {"startTime": day_start(30), "endTime": day_start(39)}}),
              "ValidationException", "id: must name a historical address")


def test_temporary_changes_for_a_product_must_not_overlap(pa, kari):
    ok(kari.post(ADDRESS, temporary("P1", day_start(10), day_start(20))))
    for start, end in ((day_start(5), day_start(11)), (day_start(19), day_start(25)),
                       (day_start(12), day_start(15)), (day_start(1), day_start(30))):
        api_error(kari.post(ADDRESS, temporary("P1,P2", start, end)), "IllegalStateException",
                  "The period overlaps another temporary change for the product")
    ok(kari.post(ADDRESS, temporary("P2", day_start(12), day_start(15))))
    ok(kari.post(ADDRESS, temporary("P1", day_start(20), day_start(25))))
    ok(kari.post(ADDRESS, temporary("P1", day_start(1), day_start(10))))


def test_concurrent_overlapping_creates_give_exactly_one_change(pa, kari):
    """README §11.1 (e): the overlap check and the insert are one step."""
    body = temporary("P1", day_start(10), day_start(20))
    barrier = threading.Barrier(8)
    results = []

    def work():
        barrier.wait()
        results.append(kari.post(ADDRESS, body))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200] + [400] * 7, [r.text for r in results]
    for r in results:
        if r.status_code == 400:
            api_error(r, "IllegalStateException")
    assert len([a for a in addresses(kari) if a["addressType"] == "temporary"]) == 1


def test_products_must_be_active_subscriptions(pa, kari):
    api_error(kari.post(ADDRESS, temporary("P3")), "NotFoundException",
              "product: P3 is not an active subscription of the customer")
    api_error(kari.post(ADDRESS, temporary("P1,NOPE")), "NotFoundException",
              "product: NOPE is not an active subscription of the customer")
    n = pa.customer()
    pa.subscribe(n, "P1", startTime=day_start(-30), endTime=day_start(-1))
    pa.subscribe(n, "P2", startTime=day_start(5))
    pa.subscribe(n, "P3", stopped=True)
    u = pa.user_for(n)
    for product in ("P1", "P2", "P3"):
        api_error(u.post(ADDRESS, temporary(product)), "NotFoundException")
    # update and delete: product is required but does not limit the change
    ok(u.post(ADDRESS, {"product": "ANY", "changeType": "update", "streetAddress": "Storgata", "postalCode": "0155",
                        "countryCode": "NO"}))


def test_product_codes_needing_escapes_round_trip(pa, kari):
    code = 'Q"\\1'
    import_lines(pa.db, "products", pa.id, [{"companyCode": pa.company, "product": code, "description": "x",
                                             "productType": "subscription"}])
    pa.subscribe(kari.number, code)
    doc = ok(kari.post(ADDRESS, temporary(code)))
    assert doc["addresses"][1]["products"] == [code]
    assert addresses(kari, ADDRESS + "/Q%22%5C1")[1]["products"] == [code]


def test_several_products_in_one_change(kari):
    doc = ok(kari.post(ADDRESS, temporary(" P1 , P2 ")))
    assert doc["addresses"][1]["products"] == ["P1", "P2"]


@pytest.mark.parametrize("body, message", [
    ({"changeType": "update", "streetAddress": "x", "postalCode": "0155", "countryCode": "NO"}, "product: is required"),
    ({"product": "P1"}, "changeType: is required"),
    ({"product": "P1", "changeType": "move"}, "changeType: must be one of update, delete, create, createPermanent"),
    ({"product": "P1", "changeType": "Update"}, "changeType: must be one of update, delete, create, createPermanent"),
    ({"product": "P1,", "changeType": "delete", "id": 1}, "product: each code must be 1 to 12 characters"),
    ({"product": "P1,ABCDEFGHIJKLM", "changeType": "delete", "id": 1}, "product: each code must be 1 to 12 characters"),
    ({"product": "P1", "changeType": "delete", "id": "x"}, "id: must be an integer"),
    ({"product": "P1", "changeType": "delete"}, "id: is required"),
    ({"product": "P1", "changeType": "update", "streetAddress": "x", "postalCode": "0155"},
     "countryCode: is required when address data is sent"),
    ({"product": "P1", "changeType": "update", "streetAddress": "x" * 41, "countryCode": "NO"},
     "streetAddress: must not be longer than 40 characters"),
    ({"product": "P1", "changeType": "update", "entrance": "x" * 13, "countryCode": "NO"},
     "entrance: must not be longer than 12 characters"),
    ({"product": "P1", "changeType": "update", "postalPlace": "x" * 31, "countryCode": "NO"},
     "postalPlace: must not be longer than 30 characters"),
    ({"product": "P1", "changeType": "update", "countryCode": "NORW"}, "countryCode: must not be longer than 3 characters"),
    ({"product": "P1", "changeType": "update", "streetNumber": "six", "countryCode": "NO"},
     "streetNumber: must be an integer"),
    ({"product": "P1", "changeType": "update", "streetAddress": "x", "postalCode": "0155", "countryCode": "NO",
      "period": {"startTime": 1}}, "period: is not allowed without id"),
    ({"product": "P1", "changeType": "update", "countryCode": "NO", "streetNumber": 3},
     "streetAddress or postalAddress, and postalCode: are required"),
    ({"product": "P1", "changeType": "create", "streetAddress": "x", "postalCode": "0155", "countryCode": "NO"},
     "period.startTime: is required"),
    ({"product": "P1", "changeType": "create", "streetAddress": "x", "postalCode": "0155", "countryCode": "NO",
      "period": {"startTime": "2099-01-01"}}, "period.endTime: is required"),
    ({"product": "P1", "changeType": "create", "streetAddress": "x", "postalCode": "0155", "countryCode": "NO",
      "period": {"startTime": "2099-01-02", "endTime": "2099-01-01"}}, "period.endTime: must be after period.startTime"),
    ({"product": "P1", "changeType": "create", "streetAddress": "x", "postalCode": "0155", "countryCode": "NO",
      "period": {"startTime": "2001-01-01", "endTime": "2099-01-01"}}, "period.startTime: must not be before today"),
    ({"product": "P1", "changeType": "create", "streetAddress": "x", "postalCode": "0155", "countryCode": "NO",
      "period": {"startTime": "soon", "endTime": "2099-01-01"}},
     "period.startTime: must be epoch milliseconds, an ISO-8601 date-time or a yyyy-MM-dd date"),
    ({"product": "P1", "changeType": "create", "streetAddress": "x", "postalCode": "0155", "countryCode": "NO",
      "period": "2099"}, "period: must be an object"),
    ({"product": "P1", "changeType": "create", "streetAddress": "x", "countryCode": "NO",
      "period": {"startTime": "2099-01-01", "endTime": "2099-02-01"}},
     "streetAddress or postalAddress, and postalCode: are required"),
    ({"changeType": "createPermanent", "postalCode": "0155", "countryCode": "NO", "period": {"startTime": "2099-01-01"}},
     "streetAddress or postalAddress, and postalCode: are required"),
    ({"changeType": "createPermanent", "streetAddress": "x", "postalCode": "0155", "countryCode": "NO"},
     "period.startTime: is required"),
    ({"changeType": "createPermanent", "streetAddress": "x", "postalCode": "0155", "countryCode": "NO",
      "period": {"startTime": "2000-01-01"}}, "period.startTime: must not be before today"),
])
def test_change_address_validation(kari, body, message):
    before = addresses(kari)
    api_error(kari.post(ADDRESS, body), "ValidationException", message)
    assert addresses(kari) == before


def test_home_update_with_a_period_is_refused(kari):
    home = home_of(kari)
    api_error(kari.post(ADDRESS, {"product": "P1", "changeType": "update", "id": home["id"], "streetAddress": "x",
                                  "postalCode": "0155", "countryCode": "NO", "period": {"startTime": day_start(2)}}),
              "ValidationException", "period: is not allowed when the home address is updated")


def test_change_addresses_in_xml(kari):
    xml = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><address><product>P1</product><changeType>create</changeType>"
           "<streetAddress>Møllergata</streetAddress><streetNumber>3</streetNumber><postalCode>179</postalCode>"
           "<countryCode>NO</countryCode><period><startTime>%d</startTime><endTime>%d</endTime></period>"
           "</address>" % (day_start(7), day_start(21)))
    r = kari.post(ADDRESS, raw=xml, headers={"Content-Type": "application/xml; charset=UTF-8"})
    root = ok(r, root_xml=True)
    assert root.tag == "addresses" and [a.tag for a in root] == ["address", "address"]
    change = root[1]
    assert change.findtext("addressType") == "temporary" and change.findtext("postalCode") == "179"
    assert change.findtext("period/startTime") == str(day_start(7))
    assert [p.text for p in change.find("products")] == ["P1"]
    assert [p.tag for p in change.find("products")] == ["product"]


# ---------------------------------------------------------------------------------------------
# §3 Categories

@pytest.fixture(scope="module")
def categorized(pa):
    import_lines(pa.db, "categories", pa.id, [
        {"categoryType": "SWISJ", "description": "Skoleabonnement"},
        {"categoryType": "SWISJ", "categoryCode": "A1", "description": "Grunnskole"},
        {"categoryType": "KUNDE", "categoryCode": "VIP", "description": "Viktig kunde"}])
    n = pa.customer(categories=[{"categoryType": "SWISJ", "categoryCode": "A1", "freeValue": "Oslo kommune"},
                                {"categoryType": "SWISJ", "categoryCode": "B2"},
                                {"categoryType": "KUNDE", "categoryCode": "VIP"}])
    return pa.user_for(n)


def test_category_types(categorized):
    assert ok(categorized.get("/capi/v1/customer/category/type")) == {"categoryTypes": [
        {"categoryType": "KUNDE"}, {"categoryType": "SWISJ", "description": "Skoleabonnement"}]}


def test_category_codes(categorized):
    assert ok(categorized.get("/capi/v1/customer/category")) == {"categories": [
        {"categoryType": "KUNDE", "categoryCode": "VIP", "description": "Viktig kunde"},
        {"categoryType": "SWISJ", "categoryCode": "A1", "description": "Grunnskole", "freeValue": "Oslo kommune"},
        {"categoryType": "SWISJ", "categoryCode": "B2"}]}


def test_category_codes_for_a_type(categorized):
    assert ok(categorized.get("/capi/v1/customer/category/SWISJ")) == {"categories": [
        {"categoryType": "SWISJ", "categoryCode": "A1", "description": "Grunnskole", "freeValue": "Oslo kommune"},
        {"categoryType": "SWISJ", "categoryCode": "B2"}]}
    assert ok(categorized.get("/capi/v1/customer/category/NONE")) == {"categories": []}
    api_error(categorized.get("/capi/v1/customer/category/" + "X" * 13), "ValidationException",
              "categoryType: must not be longer than 12 characters")


def test_category_lists_in_xml(categorized):
    root = ok(categorized.get("/capi/v1/customer/category/type", headers={"Accept": "application/xml"}),
              root_xml=True)
    assert root.tag == "categoryTypes" and [c.tag for c in root] == ["categoryType", "categoryType"]
    assert root[1].findtext("categoryType") == "SWISJ"
    root = parse_xml(categorized.get("/capi/v1/customer/category", headers={"Accept": "application/xml"}).content)
    assert root.tag == "categories" and [c.tag for c in root] == ["category"] * 3


def test_another_partners_descriptions_are_not_shown(pa, pb):
    import_lines(pb.db, "categories", pb.id, [{"categoryType": "ONLYB", "categoryCode": "X",
                                               "description": "B's"}])
    n = pa.customer(categories=[{"categoryType": "ONLYB", "categoryCode": "X"}])
    u = pa.user_for(n)
    assert ok(u.get("/capi/v1/customer/category")) == {"categories": [{"categoryType": "ONLYB",
                                                                        "categoryCode": "X"}]}


# ---------------------------------------------------------------------------------------------
# §5 External references

def test_external_reference_lifecycle_and_events(pa):
    n = pa.customer()
    assert ok(pa.get(REFS % n)) == {"externalReferences": []}
    assert ok(pa.post(REFS % n, {"referenceCode": "CRM", "externalId": "1"})) == {"success": True}
    assert ok(pa.post(REFS % n, {"referenceCode": "CRM", "externalId": "2"})) == {"success": False}
    assert ok(pa.post(REFS % n, {"referenceCode": "Billing_2-x", "externalId": 42})) == {"success": True}
    assert ok(pa.get(REFS % n)) == {"externalReferences": [
        {"referenceCode": "Billing_2-x", "externalId": "42"}, {"referenceCode": "CRM", "externalId": "1"}]}
    assert ok(pa.patch(REFS % n + "/CRM", {"externalId": "1"})) == {"success": True}
    assert ok(pa.patch(REFS % n + "/CRM", {"externalId": "7"})) == {"success": True}
    assert ok(pa.patch(REFS % n + "/NOPE", {"externalId": "7"})) == {"success": False}
    assert ok(pa.get(REFS % n))["externalReferences"][1] == {"referenceCode": "CRM", "externalId": "7"}
    assert ok(pa.delete(REFS % n + "/CRM")) == {"success": True}
    assert ok(pa.delete(REFS % n + "/CRM")) == {"success": False}
    assert ok(pa.get(REFS % n)) == {"externalReferences": [{"referenceCode": "Billing_2-x", "externalId": "42"}]}
    schema = pa.id.upper()
    assert events(pa.db, "EXTERNAL_REFERENCE_REGISTERED", n) == [
        {"schema": schema, "customer": n, "referenceCode": "CRM", "externalId": "1"},
        {"schema": schema, "customer": n, "referenceCode": "Billing_2-x", "externalId": "42"}]
    assert events(pa.db, "EXTERNAL_REFERENCE_CHANGED", n) == [
        {"schema": schema, "customer": n, "referenceCode": "CRM", "externalId": "1"},
        {"schema": schema, "customer": n, "referenceCode": "CRM", "externalId": "7"}]
    assert events(pa.db, "EXTERNAL_REFERENCE_REMOVED", n) == [{"schema": schema, "customer": n,
                                                               "referenceCode": "CRM"}]


def test_external_references_in_xml(pa):
    n = pa.customer()
    r = pa.post(REFS % n, raw="<data><referenceCode>CRM</referenceCode><externalId>1</externalId></data>",
                headers={"Content-Type": "application/xml"})
    root = ok(r, root_xml=True)
    assert root.tag == "result" and root.findtext("success") == "true"
    root = parse_xml(pa.get(REFS % n, headers={"Accept": "application/xml"}).content)
    assert root.tag == "externalReferences" and root.findtext("externalReference/referenceCode") == "CRM"


@pytest.mark.parametrize("body, message", [
    ({"externalId": "1"}, "referenceCode: is required"),
    ({"referenceCode": "CRM"}, "externalId: is required"),
    ({"referenceCode": "CRM", "externalId": "x" * 17}, "externalId: must not be longer than 16 characters"),
    ({"referenceCode": "x" * 21, "externalId": "1"}, "referenceCode: must not be longer than 20 characters"),
    ({"referenceCode": "CR M", "externalId": "1"}, "referenceCode: must be 1 to 20 of the characters A-Z a-z 0-9 _ -"),
    ({"referenceCode": "CRMø", "externalId": "1"}, "referenceCode: must be 1 to 20 of the characters A-Z a-z 0-9 _ -"),
])
def test_register_external_reference_validation(pa, body, message):
    n = pa.customer()
    api_error(pa.post(REFS % n, body), "ValidationException", message)
    assert ok(pa.get(REFS % n)) == {"externalReferences": []}


def test_reference_code_in_the_path_is_validated_before_the_body(pa):
    n = pa.customer()
    api_error(pa.patch(REFS % n + "/bad%20code", {}), "ValidationException",
              "referenceCode: must be 1 to 20 of the characters A-Z a-z 0-9 _ -")
    api_error(pa.delete(REFS % n + "/" + "x" * 21), "ValidationException",
              "referenceCode: must not be longer than 20 characters")
    api_error(pa.patch(REFS % n + "/CRM", {}), "ValidationException", "externalId: is required")
    api_error(pa.patch(REFS % n + "/CRM", {"externalId": "x" * 17}), "ValidationException",
              "externalId: must not be longer than 16 characters")


def test_concurrent_registrations_give_one_success(pa):
    """README §11.1 (d)."""
    n = pa.customer()
    barrier = threading.Barrier(10)
    results = []

    def work(i):
        barrier.wait()
        results.append(pa.post(REFS % n, {"referenceCode": "CRM", "externalId": str(i)}))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    answers = [ok(r)["success"] for r in results]
    assert answers.count(True) == 1 and answers.count(False) == 9
    assert len(events(pa.db, "EXTERNAL_REFERENCE_REGISTERED", n)) == 1


# ---------------------------------------------------------------------------------------------
# connectd import

def test_import_reports_refused_lines_with_numbers_and_imports_the_rest(pa):
    good, dup, bad_cat = next_number(), next_number(), next_number()
    r = import_lines(pa.db, "customers", pa.id, [
        {"customerNumber": good, "lastName": "Hansen"},
        "",
        "{not json",
        {"customerNumber": good, "lastName": "Again"},
        {"customerNumber": bad_cat, "lastName": "Half", "categories": [{"categoryType": "T", "categoryCode": "x" * 13}]},
        {"customerNumber": dup, "firstName": "NoName"},
        {"customerNumber": dup, "lastName": "Fine", "emails": ["nope"]},
        {"customerNumber": dup, "lastName": "Fine", "address": {"postalCode": 179}, "uniqueUserId": "0" * 32},
        "[1, 2]",
        {"customerNumber": dup, "lastName": "Fine", "address": {"postalCode": 179, "countryCode": "NO"}},
    ], expect_ok=False)
    assert r.returncode == 1, r.stderr
    assert r.stderr.splitlines() == [
        "line 3: not a JSON value (one JSON object per line)",
        "line 4: customerNumber: a customer with this number exists",
        "line 5: categories[0].categoryCode: must not be longer than 12 characters",
        "line 6: lastName or companyName: is required",
        "line 7: emails: must be a valid e-mail address",
        "line 8: uniqueUserId: no such user",
        "line 9: must be a JSON object",
    ], r.stderr
    assert "imported 2 customers from 9 lines (7 refused)" in r.stdout
    assert ok(pa.get(CLIENT_INFO % good))["lastName"] == "Hansen"
    assert ok(pa.get(CLIENT_INFO % dup))["address"]["postalCode"] == "0179"
    api_error(pa.get(CLIENT_INFO % bad_cat), "NotFoundException")
    assert db_query(pa.db, "SELECT count(*) FROM customer_category WHERE customer_number = %d" % bad_cat) == [("0",)]


def test_import_without_numbers_allocates_them_and_links_users(pa):
    user = pa.user_without_customer()
    r = import_lines(pa.db, "customers", pa.id, [{"lastName": "Auto", "uniqueUserId": user.unique_id},
                                                 {"lastName": "Auto2"}])
    assert "imported 2 customers" in r.stdout
    info = ok(user.get(INFO))
    assert info["lastName"] == "Auto" and info["uniqueUserId"] == user.unique_id
    r = import_lines(pa.db, "customers", pa.id, [{"lastName": "Twice", "uniqueUserId": user.unique_id}],
                     expect_ok=False)
    assert r.returncode == 1
    assert "line 1: uniqueUserId: the user already has a customer of this partner" in r.stderr


def test_import_products_replace_and_subscriptions_check_their_references(pa, pb):
    import_lines(pa.db, "products", pa.id, [{"companyCode": pa.company, "product": "P1",
                                             "description": "Renamed", "productType": "subscription"}])
    rows = db_query(pa.db, "SELECT description FROM product WHERE company_code = '%s' AND code = 'P1'" % pa.company)
    assert rows == [("Renamed",)]
    r = import_lines(pa.db, "products", pa.id, [{"companyCode": pb.company, "product": "X1", "description": "x",
                                                 "productType": "subscription"},
                                                {"companyCode": pa.company, "product": "X2", "description": "x",
                                                 "productType": "magazine"}], expect_ok=False)
    assert r.stderr.splitlines() == ["line 1: companyCode: %s belongs to another partner" % pb.company,
                                     "line 2: productType: must be one of subscription, single, article, issue"]
    n, theirs = pa.customer(), pb.customer()
    r = import_lines(pa.db, "subscriptions", pa.id, [
        {"customerNumber": n, "companyCode": pa.company, "product": "NOPE", "startTime": "2024-01-01"},
        {"customerNumber": theirs, "companyCode": pa.company, "product": "P1", "startTime": "2024-01-01"},
        {"customerNumber": n, "companyCode": pa.company, "product": "P1", "startTime": "2024-01-01", "copies": 0},
        {"customerNumber": n, "companyCode": pa.company, "product": "P1", "startTime": "2024-01-01",
         "payerCustomerNumber": theirs},
        {"customerNumber": n, "companyCode": pa.company, "product": "P1", "startTime": "2024-01-01"}],
        expect_ok=False)
    msg = "customerNumber, companyCode, product: no such customer and product of this partner"
    assert r.stderr.splitlines() == ["line 1: " + msg, "line 2: " + msg, "line 3: copies: must be between 1 and 999",
                                     "line 4: payerCustomerNumber: no such customer of this partner"]
    assert "imported 1 subscriptions from 5 lines (4 refused)" in r.stdout


def test_import_usage_errors(pa):
    assert run_cli("import", "customers", "--db", pa.db.url, "--partner", pa.id).returncode == 2
    assert run_cli("import", "customers", "/nonexistent.jsonl", "--db", pa.db.url).returncode == 2
    assert run_cli("import", "people", "x", "--db", pa.db.url, "--partner", pa.id).returncode == 2
    r = run_cli("import", "customers", "/nonexistent.jsonl", "--db", pa.db.url, "--partner", pa.id)
    assert r.returncode == 1 and "cannot open" in r.stderr


# ---------------------------------------------------------------------------------------------
# The demo

def test_the_demo_has_customers_with_addresses_ready_to_use(server_factory):
    srv = server_factory("--demo")
    secret = [line.split()[1] for line in srv.stdout_text().splitlines() if line.strip().startswith("client_secret:")]
    assert secret, srv.stdout_text()
    t = requests.post(srv.url(TOKEN), auth=("demo.connectd.local", secret[0]),
                      data={"grant_type": "client_credentials"}, timeout=10).json()["access_token"]
    demo = Caller(srv, t)
    info = ok(demo.get(CLIENT_INFO % 563457))
    assert info["firstName"] == "Kari" and info["address"]["postalCode"] == "0179"
    assert info["uniqueUserId"] == "6ba7b8149dad11d180b400c04fd430c8"
    kinds = [a["addressType"] for a in addresses(demo, CLIENT_ADDRESS % 563457)]
    assert kinds == ["home", "temporary", "historical"]
    found = ok(demo.post(SEARCH, {"lastName": "nordmann", "postalCode": "0155"}))["customers"]
    assert [c["customerNumber"] for c in found] == [563458]
    assert ok(demo.get(CLIENT_INFO % 563461))["company"] == "Fjordbris Kafé AS"
