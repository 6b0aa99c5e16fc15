"""Rules every endpoint shares (spec README §3 paths, §4 routing, §6 bodies, §7 negotiation, §9 errors).

They are checked through the always-present routes (/healthz) and the sandbox echo routes
(POST /sandbox/echo, GET /sandbox/echo/{value}) that the session server enables with --sandbox.
"""

import json
import re
import select
import time

import pytest
import requests

from conftest import (JSON_CT, TEXT_XML_CT, XML_CT, RawConn, assert_error, http_request,
                      parse_xml, xml_to_plain)

MALFORMED = "Malformed request body"
MiB = 1024 * 1024
NO_ACCEPT = {"Accept": None}  # requests sends Accept: */* unless told not to


def echo(server, body, content_type="application/json", accept="application/json", timeout=10):
    """POST /sandbox/echo; accept=None sends no Accept header at all."""
    headers = {"Content-Type": content_type, "Accept": accept}
    if isinstance(body, str):
        body = body.encode("utf-8")
    return requests.post(server.url("/sandbox/echo"), data=body, headers=headers, timeout=timeout)


def assert_alive(server):
    r = requests.get(server.url("/healthz"), timeout=5)
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def compact_xml(body):
    return re.sub(rb">\s+<", b"><", body.strip())


# ---------------------------------------------------------------------------------------------
# §4 routing and §9 error bodies


def test_unknown_path_is_404_no_handler_found(server):
    r = requests.get(server.url("/no/such/route"), timeout=5)
    assert_error(r.status_code, r.headers, r.content, 404, "NoHandlerFoundException")


def test_unknown_path_with_accept_xml_is_404_xml_error(server):
    r = requests.get(server.url("/no/such/route"), headers={"Accept": "application/xml"}, timeout=5)
    assert r.status_code == 404
    assert r.headers["Content-Type"] == XML_CT
    assert r.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = parse_xml(r.content)
    assert root.tag == "error"
    assert root.findtext("exceptionType") == "NoHandlerFoundException"
    assert (root.findtext("errorMessage") or "").strip()


def test_unknown_path_with_accept_text_xml_is_404_text_xml_error(server):
    r = requests.get(server.url("/no/such/route"), headers={"Accept": "text/xml"}, timeout=5)
    assert r.status_code == 404
    assert r.headers["Content-Type"] == TEXT_XML_CT
    assert parse_xml(r.content).findtext("exceptionType") == "NoHandlerFoundException"


def test_unknown_path_is_404_for_every_method(server):
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        r = requests.request(method, server.url("/no/such/route"), timeout=5)
        assert_error(r.status_code, r.headers, r.content, 404, "NoHandlerFoundException")


def allow_set(headers):
    assert "Allow" in headers, dict(headers)
    return {m.strip() for m in headers["Allow"].split(",") if m.strip()}


def test_post_to_get_only_route_is_405_with_allow(server):
    r = requests.post(server.url("/healthz"), json={}, timeout=5)
    assert_error(r.status_code, r.headers, r.content, 405, "HttpRequestMethodNotSupportedException")
    assert allow_set(r.headers) == {"GET", "HEAD"}


def test_delete_to_get_only_route_is_405_with_allow(server):
    r = requests.delete(server.url("/healthz"), timeout=5)
    assert_error(r.status_code, r.headers, r.content, 405, "HttpRequestMethodNotSupportedException")
    assert allow_set(r.headers) == {"GET", "HEAD"}


def test_get_to_post_only_route_is_405_with_allow_post(server):
    r = requests.get(server.url("/sandbox/echo"), timeout=5)
    assert_error(r.status_code, r.headers, r.content, 405, "HttpRequestMethodNotSupportedException")
    assert "POST" in allow_set(r.headers)
    assert "GET" not in allow_set(r.headers)


def test_405_is_checked_before_415(server):
    r = requests.post(server.url("/healthz"), data=b"hello", headers={"Content-Type": "text/plain"},
                      timeout=5)
    assert_error(r.status_code, r.headers, r.content, 405, "HttpRequestMethodNotSupportedException")


def test_head_on_get_route_is_200_without_body(server):
    r = requests.head(server.url("/healthz"), timeout=5)
    assert r.status_code == 200
    assert r.content == b""


# ---------------------------------------------------------------------------------------------
# §3 paths


@pytest.mark.parametrize("path", ["//healthz", "/healthz/", "///healthz//", "/healthz?x=1"])
def test_healthz_path_variants_normalise(server, path):
    status, headers, body = http_request(server, "GET", path)
    assert status == 200, (path, body)
    assert json.loads(body) == {"status": "ok"}


@pytest.mark.parametrize("path,value", [
    ("/sandbox/echo/x", "x"),
    ("/sandbox//echo/x/", "x"),
    ("//sandbox/echo//x", "x"),
    ("/sandbox/echo/x?y=1&z=2", "x"),
    ("/sandbox/echo/a%2Fb", "a/b"),
    ("/sandbox/echo/a%2fb/", "a/b"),
    ("/sandbox/echo/a%20b", "a b"),
    ("/sandbox/echo/caf%C3%A9", "caf\u00e9"),
    ("/sandbox/echo/a%252Fb", "a%2Fb"),
    ("/sandbox/echo/CO27409", "CO27409"),
])
def test_path_parameter_is_split_then_decoded(server, path, value):
    status, headers, body = http_request(server, "GET", path, headers={"Accept": "application/json"})
    assert status == 200, (path, body)
    assert headers["Content-Type"] == JSON_CT
    assert json.loads(body) == {"value": value}


def test_encoded_slash_never_creates_a_segment(server):
    status, headers, body = http_request(server, "GET", "/sandbox%2Fecho%2Fx")
    assert_error(status, headers, body, 404, "NoHandlerFoundException")


def test_paths_are_case_sensitive(server):
    status, headers, body = http_request(server, "GET", "/HEALTHZ")
    assert_error(status, headers, body, 404, "NoHandlerFoundException")


def test_extra_segment_is_404(server):
    status, headers, body = http_request(server, "GET", "/sandbox/echo/a/b")
    assert_error(status, headers, body, 404, "NoHandlerFoundException")


def test_trailing_slash_on_post_route_is_ignored(server):
    status, headers, body = http_request(server, "POST", "/sandbox/echo/", body=b'{"a":"b"}',
                                         headers={"Content-Type": "application/json",
                                                  "Accept": "application/json"})
    assert status == 200, body
    assert json.loads(body) == {"a": "b"}


# ---------------------------------------------------------------------------------------------
# §6.1 body formats


def test_json_body_is_echoed(server):
    doc = {"name": "\u00c6rlig \u00f8sters \u00e5 \U0001f600", "n": 12, "f": 84.54, "t": True,
           "list": ["a", "b"], "obj": {"k": "v"}}
    r = echo(server, json.dumps(doc))
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == JSON_CT
    assert r.json() == doc


@pytest.mark.parametrize("ct", ["application/json; charset=utf-8", "application/json;charset=UTF-8",
                                "application/vnd.connect+json", "application/problem+json; charset=utf-8"])
def test_json_content_type_variants_are_accepted(server, ct):
    r = echo(server, '{"a":"b"}', content_type=ct)
    assert r.status_code == 200, (ct, r.text)
    assert r.json() == {"a": "b"}


@pytest.mark.parametrize("ct", ["application/xml", "text/xml", "application/xml; charset=utf-8",
                                "text/xml;charset=UTF-8"])
def test_xml_content_type_variants_are_accepted(server, ct):
    r = echo(server, "<data><name>Ola</name></data>", content_type=ct)
    assert r.status_code == 200, (ct, r.text)
    assert r.json() == {"name": "Ola"}


@pytest.mark.parametrize("root", ["data", "order", "anything"])
def test_xml_body_root_name_is_ignored(server, root):
    body = "<%s><name>Ola</name><address><street>Gate 1</street></address></%s>" % (root, root)
    r = echo(server, body, content_type="application/xml")
    assert r.status_code == 200, r.text
    assert r.json() == {"name": "Ola", "address": {"street": "Gate 1"}}


def test_xml_body_attributes_are_ignored(server):
    r = echo(server, '<data id="7"><name lang="no">Ola</name></data>', content_type="application/xml")
    assert r.status_code == 200, r.text
    assert r.json() == {"name": "Ola"}


def test_missing_content_type_with_angle_bracket_body_is_xml(server):
    r = requests.post(server.url("/sandbox/echo"), data=b"  \n<data><name>Ola</name></data>",
                      headers={"Accept": "application/json"}, timeout=5)
    assert "Content-Type" not in r.request.headers
    assert r.status_code == 200, r.text
    assert r.json() == {"name": "Ola"}


def test_missing_content_type_with_other_body_is_json(server):
    r = requests.post(server.url("/sandbox/echo"), data=b'  {"a":"b"}',
                      headers={"Accept": "application/json"}, timeout=5)
    assert "Content-Type" not in r.request.headers
    assert r.status_code == 200, r.text
    assert r.json() == {"a": "b"}


@pytest.mark.parametrize("ct,body", [
    ("application/json", b""),
    ("application/json", b"  \r\n\t "),
    (None, b""),
    ("application/xml", b""),
    ("application/xml", b"   "),
])
def test_empty_body_counts_as_empty_object(server, ct, body):
    headers = {"Accept": "application/json"}
    if ct:
        headers["Content-Type"] = ct
    r = requests.post(server.url("/sandbox/echo"), data=body, headers=headers, timeout=5)
    assert r.status_code == 200, r.text
    assert r.json() == {}


@pytest.mark.parametrize("ct", ["text/plain", "application/x-www-form-urlencoded",
                                "multipart/form-data; boundary=xyz", "application/octet-stream"])
def test_unsupported_content_type_is_415(server, ct):
    r = echo(server, "a=b", content_type=ct)
    assert_error(r.status_code, r.headers, r.content, 415, "HttpMediaTypeNotSupportedException")


def test_415_is_checked_before_malformed_body(server):
    r = echo(server, "{{{{ not json", content_type="text/plain")
    assert_error(r.status_code, r.headers, r.content, 415, "HttpMediaTypeNotSupportedException")


@pytest.mark.parametrize("body", [
    b'{"a":', b"{a:1}", b"nul", b"[1,]", b'{"a":1}garbage', b'{"a":"\xff\xfe"}', b"{'a':1}",
    b'{"a":1,}', b'"unterminated',
])
def test_malformed_json_is_400(server, body):
    r = echo(server, body)
    assert_error(r.status_code, r.headers, r.content, 400, "ValidationException", MALFORMED)


@pytest.mark.parametrize("body", [
    b"<a><b></a>", b"<a>", b"not xml at all", b"<a>&undefined;</a>", b"<a></a><b></b>",
    b"<a>\xff\xfe</a>",
])
def test_malformed_xml_is_400(server, body):
    r = echo(server, body, content_type="application/xml")
    assert_error(r.status_code, r.headers, r.content, 400, "ValidationException", MALFORMED)


def test_malformed_xml_body_without_accept_gets_xml_error(server):
    r = requests.post(server.url("/sandbox/echo"), data=b"<a><b></a>",
                      headers={"Content-Type": "application/xml", "Accept": None}, timeout=5)
    assert r.status_code == 400
    assert r.headers["Content-Type"] == XML_CT
    root = parse_xml(r.content)
    assert root.tag == "error"
    assert root.findtext("exceptionType") == "ValidationException"
    assert root.findtext("errorMessage") == MALFORMED


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz><a>&lol9;</a></lolz>"""


def test_xml_billion_laughs_is_refused_quickly(server):
    t0 = time.monotonic()
    r = echo(server, BILLION_LAUGHS, content_type="application/xml", timeout=10)
    took = time.monotonic() - t0
    assert_error(r.status_code, r.headers, r.content, 400, "ValidationException", MALFORMED)
    assert took < 2.0, "took %.2f s" % took
    assert_alive(server)


def test_xml_external_entity_is_refused(server):
    body = (b'<?xml version="1.0"?><!DOCTYPE data [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            b"<data><a>&xxe;</a></data>")
    r = echo(server, body, content_type="application/xml")
    assert_error(r.status_code, r.headers, r.content, 400, "ValidationException", MALFORMED)
    assert b"root:" not in r.content


def test_xml_with_plain_doctype_is_refused(server):
    r = echo(server, b'<!DOCTYPE data><data><a>1</a></data>', content_type="application/xml")
    assert_error(r.status_code, r.headers, r.content, 400, "ValidationException", MALFORMED)


@pytest.mark.parametrize("depth", [1000, 100000])
@pytest.mark.parametrize("kind", ["array", "object"])
def test_deeply_nested_json_is_400_not_a_crash(server, depth, kind):
    if kind == "array":
        body = b"[" * depth + b"]" * depth
    else:
        body = b'{"a":' * depth + b"1" + b"}" * depth
    r = echo(server, body)
    assert_error(r.status_code, r.headers, r.content, 400, "ValidationException")
    assert_alive(server)


@pytest.mark.parametrize("depth", [1000, 50000])
def test_deeply_nested_xml_is_400_not_a_crash(server, depth):
    body = b"<a>" * depth + b"x" + b"</a>" * depth
    r = echo(server, body, content_type="application/xml")
    assert_error(r.status_code, r.headers, r.content, 400, "ValidationException")
    assert_alive(server)


# ---------------------------------------------------------------------------------------------
# Body size limit (1 MiB, answered by h2o)


def _send_until_answered(conn, chunks):
    """Send chunks, stopping as soon as the server has something to say (or closed)."""
    for chunk in chunks:
        readable, _, _ = select.select([conn.sock], [], [], 0)
        if readable:
            return
        try:
            conn.send(chunk)
        except (BrokenPipeError, ConnectionResetError):
            return


def test_body_of_1_mib_plus_1_is_413(server):
    n = MiB + 1
    with RawConn(server, timeout=10) as c:
        c.send("POST /sandbox/echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
               "Content-Length: %d\r\n\r\n" % n)
        body = b'{"a":"' + b"x" * (n - 8) + b'"}'
        assert len(body) == n
        time.sleep(0.2)
        _send_until_answered(c, [body[i:i + 65536] for i in range(0, n, 65536)])
        resp = c.read_response()
    assert resp.status == 413, resp


def test_chunked_body_over_1_mib_is_413(server):
    with RawConn(server, timeout=10) as c:
        c.send("POST /sandbox/echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
               "Transfer-Encoding: chunked\r\n\r\n")
        piece = b"x" * 65536
        chunks = [b"%x\r\n" % len(piece) + piece + b"\r\n"] * 20  # 1.25 MiB
        _send_until_answered(c, chunks + [b"0\r\n\r\n"])
        resp = c.read_response()
    assert resp.status == 413, resp


def test_body_just_under_1_mib_is_accepted(server):
    n = MiB - 16
    text = "x" * (n - 8)
    body = ('{"a":"%s"}' % text).encode()
    assert len(body) == n
    r = echo(server, body)
    assert r.status_code == 200, r.text[:300]
    assert r.json() == {"a": text}


# ---------------------------------------------------------------------------------------------
# §7.1 negotiation


@pytest.mark.parametrize("accept,fmt,ctype", [
    ("application/json", "json", JSON_CT),
    ("*/*", "json", JSON_CT),
    ("*/*;q=0.8", "json", JSON_CT),
    ("application/xml", "xml", XML_CT),
    ("application/xml; charset=utf-8", "xml", XML_CT),
    ("text/xml", "xml", TEXT_XML_CT),
    ("text/xml, application/json;q=0.5", "xml", TEXT_XML_CT),
    ("application/json;q=0.5, application/xml;q=0.9", "xml", XML_CT),
    ("application/*", "json", JSON_CT),
    ("text/*", "xml", None),
    ("application/xml, application/json", "json", JSON_CT),
    ("application/xml;q=0.5, */*", "json", JSON_CT),
    ("application/xml;q=0", "json", JSON_CT),
    ("image/png", "json", JSON_CT),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "xml", XML_CT),
])
def test_accept_header_chooses_format(server, accept, fmt, ctype):
    r = requests.get(server.url("/sandbox/echo/v"), headers={"Accept": accept}, timeout=5)
    assert r.status_code == 200, (accept, r.text)
    ct = r.headers["Content-Type"]
    if fmt == "json":
        assert ct == JSON_CT, (accept, ct)
        assert r.json() == {"value": "v"}
    else:
        assert ct == ctype if ctype else ct in (XML_CT, TEXT_XML_CT), (accept, ct)
        assert r.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
        assert parse_xml(r.content).findtext("value") == "v"


def test_no_accept_and_no_body_answers_json(server):
    r = requests.get(server.url("/sandbox/echo/v"), headers=NO_ACCEPT, timeout=5)
    assert "Accept" not in r.request.headers
    assert r.headers["Content-Type"] == JSON_CT
    assert r.json() == {"value": "v"}


@pytest.mark.parametrize("accept", [None, "*/*"])
def test_xml_body_without_accept_answers_xml(server, accept):
    r = requests.post(server.url("/sandbox/echo"), data=b"<data><name>Ola</name></data>",
                      headers={"Content-Type": "application/xml", "Accept": accept}, timeout=5)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == XML_CT
    root = parse_xml(r.content)
    assert root.tag == "echo"
    assert root.findtext("name") == "Ola"


@pytest.mark.parametrize("accept", [None, "*/*"])
def test_json_body_without_accept_answers_json(server, accept):
    r = requests.post(server.url("/sandbox/echo"), data=b'{"name":"Ola"}',
                      headers={"Content-Type": "application/json", "Accept": accept}, timeout=5)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == JSON_CT
    assert r.json() == {"name": "Ola"}


def test_xml_body_with_accept_json_answers_json(server):
    r = echo(server, "<data><name>Ola</name></data>", content_type="application/xml",
             accept="application/json")
    assert r.headers["Content-Type"] == JSON_CT
    assert r.json() == {"name": "Ola"}


def test_default_format_xml_option_makes_xml_the_default(server_factory):
    srv = server_factory("--default-format", "xml")
    r = requests.get(srv.url("/sandbox/echo/v"), headers=NO_ACCEPT, timeout=5)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == XML_CT
    assert parse_xml(r.content).findtext("value") == "v"
    r = requests.get(srv.url("/sandbox/echo/v"), headers={"Accept": "application/json"}, timeout=5)
    assert r.headers["Content-Type"] == JSON_CT
    assert r.json() == {"value": "v"}
    r = requests.get(srv.url("/no/such/route"), headers=NO_ACCEPT, timeout=5)
    assert r.status_code == 404
    assert r.headers["Content-Type"] == XML_CT
    assert parse_xml(r.content).findtext("exceptionType") == "NoHandlerFoundException"


# ---------------------------------------------------------------------------------------------
# §7.2 XML rendering


def test_xml_reply_of_single_list_member_uses_list_name_and_singular_items(server):
    r = echo(server, '{"subscriptions":[{"product":"CO27409"}]}', accept="application/xml")
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == XML_CT
    assert r.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert (b"<subscriptions><subscription><product>CO27409</product></subscription></subscriptions>"
            in compact_xml(r.content)), r.content
    assert xml_to_plain(parse_xml(r.content)) == (
        "subscriptions", [("subscription", [("product", "CO27409")])])


def test_xml_reply_of_empty_list_member_is_empty_element(server):
    r = echo(server, '{"orders":[]}', accept="application/xml")
    root = parse_xml(r.content)
    assert root.tag == "orders" and list(root) == [] and not (root.text or "").strip()


def test_xml_reply_uses_echo_root_and_singular_rule(server):
    doc = {
        "categories": ["a", "b"],
        "addresses": [{"x": "1"}],
        "accesses": ["r"],
        "boxes": ["b"],
        "wishes": ["w"],
        "matches": ["m"],
        "clientInvoiceInfoList": [{"i": "1"}],
        "permission": ["p"],
        "emails": ["e"],
        "flag": True,
        "off": False,
        "n": 12,
        "money": 84.54,
        "nothing": None,
        "empty": [],
        "nested": {"inner": "v"},
        "text": "a&b<c>d",
    }
    r = echo(server, json.dumps(doc), accept="application/xml")
    assert r.status_code == 200, r.text
    root = parse_xml(r.content)
    assert root.tag == "echo"
    got = {tag: value for tag, value in xml_to_plain(root)[1]}
    assert got == {
        "categories": [("category", "a"), ("category", "b")],
        "addresses": [("address", [("x", "1")])],
        "accesses": [("access", "r")],
        "boxes": [("box", "b")],
        "wishes": [("wish", "w")],
        "matches": [("match", "m")],
        "clientInvoiceInfoList": [("clientInvoiceInfo", [("i", "1")])],
        "permission": [("item", "p")],
        "emails": [("email", "e")],
        "flag": "true",
        "off": "false",
        "n": "12",
        "money": "84.54",
        "empty": None,
        "nested": [("inner", "v")],
        "text": "a&b<c>d",
    }
    assert b"a&amp;b&lt;c&gt;d" in r.content


def test_xml_reply_of_empty_object_is_empty_root(server):
    r = echo(server, "{}", accept="application/xml")
    root = parse_xml(r.content)
    assert root.tag == "echo" and list(root) == []


def test_xml_reply_preserves_unicode(server):
    text = "\u00c6rlig \u00f8sters \u00e5 \U0001f600"
    r = echo(server, json.dumps({"name": text}), accept="application/xml")
    assert parse_xml(r.content).findtext("name") == text
