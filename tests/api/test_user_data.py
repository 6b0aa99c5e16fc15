"""User Data: Check credential (#118), Metadata (#119-#124), Profile (#125, #126) and the legacy
profile (C1), spec customer.md §7-§9; events.md §6.2 (METADATA_CHANGED, METADATA_REMOVED).

What this issue designed around them (see also test_customer.py for the shared helpers):
- a user's e-mail and phone credentials are rows of the credential table; the tests that need
  users with such credentials (or with profiles from external providers) insert them directly,
  as the login pages and provider logins would;
- the profile's name, e-mails and phone numbers come from the user's credentials and from the
  user's customer of the token client's partner; loginCredential is the user's first credential;
- metadata events carry uniqueId, clientId and the client partner's schema.
"""

import json
import time
import uuid

import pytest
import requests

from conftest import JSON_CT, XML_CT, db_exec, db_query, parse_xml
from test_customer import Partner, api_error, ok
from test_customer import pa, pb  # noqa: F401 (the fixtures: two partners with a client each)

CREDENTIAL = "/capi/v1/client/credential"
META = "/capi/v1/customer/metadata"
CLIENT_META = "/capi/v1/client/metadata/%s"
PROFILE = "/capi/v1/user/profile"
EXTERNAL = "/capi/v1/user/profile/external"
LEGACY = "/capi/v1/customer/profile"
CONNECTID = "no.mediaconnect.connectid"


def add_user(db, partner=None, state="ACTIVE"):
    uid = uuid.uuid4().hex
    now = int(time.time() * 1000)
    created = "'%s'" % partner if partner else "NULL"
    db_exec(db, "INSERT INTO users (unique_id, state, created_at, updated_at, created_partner) "
                "VALUES ('%s', '%s', %d, %d, %s)" % (uid, state, now, now, created))
    return uid


def add_credential(db, uid, credential, ctype, at=None, scope=""):
    at = at if at is not None else int(time.time() * 1000)
    db_exec(db, "INSERT INTO credential (scope, credential, credential_type, external_id, user_id, created_at) "
                "VALUES ('%s', '%s', '%s', NULL, '%s', %d)" % (scope, credential, ctype, uid, at))


def add_external_profile(db, uid, source, info, at):
    db_exec(db, "INSERT INTO user_external_profile (user_id, source, info, created_at) VALUES ('%s', '%s', '%s', %d)"
            % (uid, source, json.dumps(info).replace("'", "''"), at))


def unique_phone():
    return "+479%07d" % (uuid.uuid4().int % 10 ** 7)


def unique_email():
    return "u.%s@example.no" % uuid.uuid4().hex[:12]


def connectid_events(db, detail_type, uid):
    rows = db_query(db, "SELECT source, detail FROM outbox WHERE detail_type = '%s' AND detail LIKE '%%%s%%' "
                        "ORDER BY id" % (detail_type, uid))
    out = []
    for source, detail in rows:
        assert source == CONNECTID
        out.append(json.loads(detail))
    return out


# ---------------------------------------------------------------------------------------------
# §7.1 Check credential (#118)

def test_check_credential_reference_example(pa):
    phone = unique_phone()
    uid = add_user(pa.db, pa.id)
    add_credential(pa.db, uid, phone, "B")
    doc = ok(pa.post(CREDENTIAL, {"credential": phone}))
    assert doc == {"credential": phone, "credentialType": "B", "exists": True, "uniqueId": uid, "enabled": True,
                   "canLogin": True}
    assert list(doc) == ["credential", "credentialType", "exists", "uniqueId", "enabled", "canLogin"]


def test_check_credential_nobody(pa):
    assert ok(pa.post(CREDENTIAL, {"credential": "+4712345678"})) == {
        "credential": "+4712345678", "credentialType": "B", "exists": False}
    email = unique_email()
    assert ok(pa.post(CREDENTIAL, {"credential": email})) == {"credential": email, "credentialType": "A",
                                                               "exists": False}


def test_check_credential_normalises_e_mail(pa):
    email = unique_email()
    uid = add_user(pa.db, pa.id)
    add_credential(pa.db, uid, email, "A")
    doc = ok(pa.post(CREDENTIAL, {"credential": "  " + email.upper() + " "}))
    assert doc["credential"] == email and doc["credentialType"] == "A" and doc["uniqueId"] == uid


def test_check_credential_hides_users_of_other_partners(pa, pb):
    email = unique_email()
    uid = add_user(pa.db, pb.id)
    add_credential(pa.db, uid, email, "A")
    assert ok(pa.post(CREDENTIAL, {"credential": email})) == {"credential": email, "credentialType": "A",
                                                               "exists": True}
    assert ok(pb.post(CREDENTIAL, {"credential": email}))["uniqueId"] == uid


def test_check_credential_shows_the_user_of_a_linked_customer(pa, pb):
    email = unique_email()
    uid = add_user(pa.db, pb.id)
    add_credential(pa.db, uid, email, "A")
    n = pa.customer()
    now = int(time.time() * 1000)
    db_exec(pa.db, "INSERT INTO user_customer (user_id, partner_id, customer_number, created_at) "
                   "VALUES ('%s', '%s', %d, %d)" % (uid, pa.id, n, now))
    assert ok(pa.post(CREDENTIAL, {"credential": email}))["uniqueId"] == uid


def test_check_credential_of_a_user_created_through_the_api(pa):
    """#128 creates a PENDING user through the partner's client: visible, not enabled."""
    n = pa.customer()
    ext = "ext-" + uuid.uuid4().hex
    uid = pa.post("/capi/v1/client/extid/customer", {"externalId": ext, "credentialType": "D",
                                                      "customerNumber": n}).json()["uniqueId"]
    email = unique_email()
    add_credential(pa.db, uid, email, "A")
    doc = ok(pa.post(CREDENTIAL, {"credential": email}))
    assert doc["uniqueId"] == uid and doc["enabled"] is False and doc["canLogin"] is False


@pytest.mark.parametrize("body, message", [
    ({}, "credential: is required"),
    ({"credential": "  "}, "credential: is required"),
    ({"credential": "a" * 50 + "@example.no"}, "credential: must not be longer than 60 characters"),
    ({"credential": "12345678"}, "credential: must be an e-mail address or an E.164 phone number (+ and 8 to 15 "
                                 "digits)"),
    ({"credential": "+47 12345678"}, "credential: must be an e-mail address or an E.164 phone number (+ and 8 to "
                                     "15 digits)"),
    ({"credential": "+4712"}, "credential: must be an e-mail address or an E.164 phone number (+ and 8 to 15 digits)"),
    ({"credential": "kari@localhost"}, "credential: must be an e-mail address or an E.164 phone number (+ and 8 to "
                                       "15 digits)"),
    ({"credential": "AID:59cb6372"}, "credential: must be an e-mail address or an E.164 phone number (+ and 8 to "
                                     "15 digits)"),
])
def test_check_credential_validation(pa, body, message):
    api_error(pa.post(CREDENTIAL, body), "ValidationException", message)


def test_check_credential_in_xml(pa):
    r = pa.post(CREDENTIAL, raw="<data><credential>+4712345678</credential></data>",
                headers={"Content-Type": "application/xml"})
    root = ok(r, root_xml=True)
    assert root.tag == "credentialCheck" and root.findtext("exists") == "false"
    assert root.findtext("credentialType") == "B"


# ---------------------------------------------------------------------------------------------
# §8 Metadata

def test_metadata_user_mode_lifecycle(pa):
    user = pa.user_without_customer()
    assert ok(user.get(META)) == {}
    body = {"foo": "some text", "newsletterSeen": True, "favourites": ["sport", "culture"]}
    assert ok(user.post(META, body)) == body
    assert ok(user.get(META)) == body
    assert ok(user.post(META, body)) == body  # the same again: the same result
    assert ok(user.post(META, {"foo": "some text"})) == {"foo": "some text"}  # replaces, no merge
    assert ok(user.get(META)) == {"foo": "some text"}
    assert ok(user.delete(META)) == {"foo": "some text"}
    assert ok(user.get(META)) == {}
    assert ok(user.delete(META)) == {}
    changed = connectid_events(pa.db, "METADATA_CHANGED", user.unique_id)
    removed = connectid_events(pa.db, "METADATA_REMOVED", user.unique_id)
    expected = {"uniqueId": user.unique_id, "clientId": pa.client_id, "schema": pa.id.upper()}
    assert changed == [expected, expected]
    assert removed == [expected]


def test_metadata_is_per_client_and_shared_by_its_two_modes(server, pa):
    user = pa.user_without_customer()
    ok(user.post(META, {"seen": 1}))
    assert ok(pa.get(CLIENT_META % user.unique_id)) == {"seen": 1}
    other = Partner(server)
    assert ok(other.get(CLIENT_META % user.unique_id)) == {}
    assert ok(other.post(CLIENT_META % user.unique_id, {"mine": True})) == {"mine": True}
    assert ok(user.get(META)) == {"seen": 1}
    assert ok(pa.delete(CLIENT_META % user.unique_id)) == {"seen": 1}
    assert ok(user.get(META)) == {}
    assert ok(other.get(CLIENT_META % user.unique_id)) == {"mine": True}


def test_metadata_client_mode_reference_examples(pa):
    uid = add_user(pa.db)
    assert ok(pa.get(CLIENT_META % uid)) == {}
    assert ok(pa.post(CLIENT_META % uid, {"foo": "some text"})) == {"foo": "some text"}
    assert ok(pa.get(CLIENT_META % uid)) == {"foo": "some text"}
    assert ok(pa.delete(CLIENT_META % uid)) == {"foo": "some text"}
    assert [e["clientId"] for e in connectid_events(pa.db, "METADATA_CHANGED", uid)] == [pa.client_id]


def test_metadata_unknown_user_and_bad_ids(pa):
    unknown = uuid.uuid4().hex
    for r in (pa.get(CLIENT_META % unknown), pa.post(CLIENT_META % unknown, {}), pa.delete(CLIENT_META % unknown)):
        api_error(r, "NotFoundException", "uniqueId: no user %s" % unknown)
    for bad in ("ABCDEF" + "0" * 26, "0" * 31, "0" * 33, "g" * 32):
        api_error(pa.get(CLIENT_META % bad), "ValidationException")
    api_error(pa.get(CLIENT_META % ("0" * 33)), "ValidationException",
              "uniqueId: must not be longer than 32 characters")
    api_error(pa.get(CLIENT_META % ("G" * 32)), "ValidationException",
              "uniqueId: must be 32 lowercase hexadecimal characters")


def test_metadata_is_stored_and_returned_unchanged(pa):
    """Rule 7: no trimming, no coercion; empty strings, nulls and all members kept."""
    user = pa.user_without_customer()
    body = {"padded": "  x  ", "empty": "", "none": None, "n": "11", "num": 1.5, "big": 9007199254740993,
            "neg": -3, "nested": {"a": [1, {"b": None}, []], "c": {}}, "text": "Grüß Gott <&>", "bool": "true"}
    raw = json.dumps(body)
    r = user.post(META, raw=raw, headers={"Content-Type": "application/json"})
    assert ok(r) == body
    assert ok(user.get(META)) == body
    assert list(ok(user.get(META))) == list(body)


@pytest.mark.parametrize("raw", ["[1, 2]", "\"text\"", "12", "true", "null"])
def test_metadata_must_be_an_object(pa, raw):
    user = pa.user_without_customer()
    api_error(user.post(META, raw=raw, headers={"Content-Type": "application/json"}), "ValidationException",
              "request body: must be a JSON object")


def test_metadata_depth_and_size_limits(pa):
    user = pa.user_without_customer()
    deep = {}
    cur = deep
    for _ in range(9):
        cur["a"] = {}
        cur = cur["a"]
    assert ok(user.post(META, deep)) == deep  # 10 levels
    cur["a"] = {}
    api_error(user.post(META, deep), "ValidationException", "request body: must not be nested deeper than 10 levels")
    big = {"x": "y" * (64 * 1024 - 8)}
    assert len(json.dumps(big, separators=(",", ":"))) == 64 * 1024
    assert ok(user.post(META, big)) == big
    api_error(user.post(META, {"x": "y" * (64 * 1024 - 7)}), "ValidationException",
              "request body: must not be longer than 65536 bytes")
    assert ok(user.get(META)) == big


def test_metadata_is_json_only(pa):
    user = pa.user_without_customer()
    for headers in ({"Content-Type": "application/xml"}, {"Content-Type": "text/xml; charset=UTF-8"}, {}):
        r = user.post(META, raw="<data><foo>x</foo></data>", headers=headers)
        assert r.status_code == 415, (headers, r.text)
        assert r.headers["Content-Type"] == JSON_CT
        assert r.json()["exceptionType"] == "HttpMediaTypeNotSupportedException"
    r = user.post(META, raw="<not even xml", headers={"Content-Type": "application/xml"})
    assert r.status_code == 415
    assert ok(user.get(META, headers={"Accept": "application/xml"})) == {}
    api_error(user.post(META, raw="{", headers={"Content-Type": "application/json"}), "ValidationException",
              "Malformed request body")
    assert ok(user.post(META, raw="", headers={"Content-Type": "application/json"})) == {}


# ---------------------------------------------------------------------------------------------
# §9.1 List user profile (#125)

def test_profile_of_an_external_identity_user_with_a_customer(pa):
    n = pa.customer(firstName="Ola", lastName="Nordmann", middleName="M",
                    emails=["ola.nordmann@hotmail.no", "ola.nordmann@company.com"], phoneNumbers=["+4723339100"])
    user = pa.user_for(n)
    cred = db_query(pa.db, "SELECT credential FROM credential WHERE user_id = '%s'" % user.unique_id)[0][0]
    ext = {"credential": cred, "credentialType": "external", "verificationLevel": "externallyVerified"}
    doc = ok(user.get(PROFILE))
    assert doc == {"uniqueId": user.unique_id, "loginCredential": ext, "userCredentials": [ext],
                   "name": {"firstName": "Ola", "middleName": "M", "lastName": "Nordmann"},
                   "phoneNumbers": [{"phoneNumber": "+4723339100", "phoneNumberType": "personal"}],
                   "emails": ["ola.nordmann@hotmail.no", "ola.nordmann@company.com"], "externalSources": []}
    assert list(doc) == ["uniqueId", "loginCredential", "userCredentials", "name", "phoneNumbers", "emails",
                         "externalSources"]


def test_profile_reference_example_shape(pa):
    """Credentials e-mail then phone (both proven by code), a company customer's phone, Vipps."""
    n = pa.customer(firstName="Ola", lastName="Nordmann", companyName="Nordmann AS",
                    emails=["ola.nordmann@hotmail.no", "ola.nordmann@company.com"],
                    phoneNumbers=["+4723339100", "+4712345678"])
    user = pa.user_for(n)
    email, phone = unique_email(), unique_phone()
    db_exec(pa.db, "DELETE FROM credential WHERE user_id = '%s'" % user.unique_id)
    add_credential(pa.db, user.unique_id, email, "A", at=1000)
    add_credential(pa.db, user.unique_id, phone, "B", at=2000)
    add_external_profile(pa.db, user.unique_id, "Vipps", {"name": {"firstName": "Ola"}}, 1)
    doc = ok(user.get(PROFILE))
    assert doc["loginCredential"] == {"credential": email, "credentialType": "email",
                                      "verificationLevel": "verificationCode"}
    assert doc["userCredentials"] == [
        {"credential": email, "credentialType": "email", "verificationLevel": "verificationCode"},
        {"credential": phone, "credentialType": "phone", "verificationLevel": "verificationCode"}]
    assert doc["phoneNumbers"] == [{"phoneNumber": phone, "phoneNumberType": "personal"},
                                   {"phoneNumber": "+4723339100", "phoneNumberType": "company"},
                                   {"phoneNumber": "+4712345678", "phoneNumberType": "company"}]
    assert doc["emails"] == [email, "ola.nordmann@hotmail.no", "ola.nordmann@company.com"]
    assert doc["externalSources"] == ["Vipps"]
    assert doc["name"] == {"firstName": "Ola", "lastName": "Nordmann"}


def test_profile_without_customer_and_another_partners_credentials(pa, pb):
    user = pa.user_without_customer()
    email = unique_email()
    add_credential(pa.db, user.unique_id, email, "A", at=int(time.time() * 1000) + 5000)
    add_credential(pa.db, user.unique_id, "EXT:" + uuid.uuid4().hex, "X", scope=pb.id)
    doc = ok(user.get(PROFILE))
    assert "name" not in doc
    assert [c["credentialType"] for c in doc["userCredentials"]] == ["external", "email"]
    assert doc["emails"] == [email] and doc["phoneNumbers"] == []


def test_profile_in_xml(pa):
    user = pa.user_for(pa.customer())
    root = ok(user.get(PROFILE, headers={"Accept": "application/xml"}), root_xml=True)
    assert root.tag == "profile" and root.findtext("uniqueId") == user.unique_id
    assert [e.tag for e in root.find("userCredentials")] == ["userCredential"]
    assert root.find("phoneNumbers/phoneNumber/phoneNumberType").text == "personal"
    assert [e.tag for e in root.find("emails")] == ["email"]


# ---------------------------------------------------------------------------------------------
# §9.2 List external user profiles (#126)

def test_external_profiles_reference_example(pa):
    user = pa.user_without_customer()
    info = {"birthDate": 917823600000, "name": {"firstName": "Ola", "lastName": "Nordmann"},
            "phoneNumbers": ["+4748060317"], "emails": ["ola.nordmann@hotmail.no"],
            "addresses": [
                {"addressType": "work", "streetAddress": "Grubbegata 6", "postalCode": "0179", "postalPlace": "Oslo",
                 "countryCode": "NO"},
                {"addressType": "home", "streetAddress": "Postboks 6300, ETTERSTAD", "postalCode": 603,
                 "postalPlace": "Oslo", "countryCode": "NO"},
                {"addressType": "other", "streetAddress": "Møllergata 3", "postalCode": "0179",
                 "postalPlace": "Oslo", "countryCode": "NO"}]}
    add_external_profile(pa.db, user.unique_id, "Vipps", info, 2)
    add_external_profile(pa.db, user.unique_id, "Google", {"emails": ["ola@gmail.example"]}, 1)
    doc = ok(user.get(EXTERNAL))
    expected = json.loads(json.dumps(info))
    expected["addresses"][1]["postalCode"] = "0603"
    assert doc == {"externalProfileList": [{"source": "Google", "info": {"emails": ["ola@gmail.example"]}},
                                           {"source": "Vipps", "info": expected}]}
    assert ok(user.get(PROFILE))["externalSources"] == ["Google", "Vipps"]
    root = ok(user.get(EXTERNAL, headers={"Accept": "application/xml"}), root_xml=True)
    assert root.tag == "externalProfileList" and [e.tag for e in root] == ["externalProfile", "externalProfile"]
    assert root.find("externalProfile/info/emails/email").text == "ola@gmail.example"


def test_external_profiles_empty(pa):
    assert ok(pa.user_without_customer().get(EXTERNAL)) == {"externalProfileList": []}


# ---------------------------------------------------------------------------------------------
# §9.3 Legacy user profile (C1)

def test_legacy_profile_is_xml_by_default(pa):
    n = pa.customer(firstName="FirstName", middleName="MiddleName", lastName="LastName", companyName="CompanyName",
                    departmentName="DepartmentName", emails=["firstname.lastname@mediaconnect.no"],
                    phoneNumbers=["+4723339131"])
    user = pa.user_for(n)
    phone = unique_phone()
    add_credential(pa.db, user.unique_id, phone, "B")
    r = user.get(LEGACY)
    root = ok(r, root_xml=True)
    assert root.tag == "profile"
    assert root.findtext("customerNumber") == str(n)
    user_id = int(root.findtext("userId"))
    assert user_id > 0
    assert root.findtext("uniqueId") == user.unique_id
    name = root.find("name")
    assert [(e.tag, e.text) for e in name] == [("firstName", "FirstName"), ("middleName", "MiddleName"),
                                               ("lastName", "LastName"), ("companyName", "CompanyName"),
                                               ("departmentName", "DepartmentName")]
    phones = [(p.findtext("phoneNumber"), p.findtext("phoneNumberType")) for p in root.find("phoneNumbers")]
    assert phones == [(phone, "mobile"), ("+4723339131", "home")]
    assert root.find("profile/credential/credential") is None
    cred = db_query(pa.db, "SELECT credential FROM credential WHERE user_id = '%s' AND credential_type = 'D'"
                    % user.unique_id)[0][0]
    assert root.findtext("credential/credential") == cred and root.findtext("credential/credentialType") == "D"
    # the same number every time, and JSON when asked for
    doc = ok(user.get(LEGACY, headers={"Accept": "application/json"}))
    assert doc["userId"] == user_id and doc["customerNumber"] == n
    assert list(doc) == ["customerNumber", "userId", "uniqueId", "name", "phoneNumbers", "emails", "credential"]
    assert ok(user.get(LEGACY, headers={"Accept": "*/*"}), root_xml=True).findtext("userId") == str(user_id)


def test_legacy_profile_without_customer_omits_the_number(pa):
    user = pa.user_without_customer()
    doc = ok(user.get(LEGACY, headers={"Accept": "application/json"}))
    assert "customerNumber" not in doc and "name" not in doc
    other = pa.user_without_customer()
    other_id = ok(other.get(LEGACY, headers={"Accept": "application/json"}))["userId"]
    assert other_id != doc["userId"] and other_id > 0
