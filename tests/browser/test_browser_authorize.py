"""The authorization-code flow with PKCE in a real browser (spec identity.md §3.1, §3.2, RFC 7636):
an anonymous browser at /user/oauth/authorize is sent through the real login page, sees the
approval page of a client configured with --require-approval, and lands on the client's
redirect_uri with a code; the client's back end exchanges it with its code_verifier and calls
the API with the user-mode token. The client registers only its redirect URI (no redirect
host): the code flow needs none (login/authorize.c).
"""
import urllib.parse

import requests

from browserlib import SESSION_COOKIE, authorize_url, code_client, pkce_pair


def exchange(server, site, cid, secret, code, verifier):
    return requests.post(server.url("/user/oauth/token"), auth=(cid, secret), timeout=10, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": site.url("/callback"),
        "code_verifier": verifier})


def log_in_on_the_page(tab, email):
    tab.on_connectd("/user/login")
    assert tab.heading() == "Log in"
    assert not tab.d.find_element("name", "credential").get_attribute("value")
    tab.log_in_here(email)


def test_code_flow_with_pkce_and_approval_ends_in_a_user_mode_api_call(tab, server, site, reader):
    cid, secret = code_client(server, site, approval=True)
    verifier, challenge = pkce_pair()
    tab.go(authorize_url(server, site, cid, challenge))
    log_in_on_the_page(tab, reader)

    tab.on_connectd("/user/oauth/authorize")
    assert tab.heading() == "Allow access"
    assert tab.texts("main p") == ["%s wants access to your account." % cid]
    tab.proceed()  # Allow

    landed = urllib.parse.urlsplit(tab.on_site())
    assert landed.path == "/callback"
    back = tab.query()
    assert set(back) == {"code", "state"} and back["state"] == "st-1"
    assert len(back["code"]) == 32 and set(back["code"]) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert tab.cookie(SESSION_COOKIE) is not None

    r = exchange(server, site, cid, secret, back["code"], verifier)
    assert r.status_code == 200, r.text
    token = r.json()
    assert token["token_type"] == "bearer" and token["scope"] == "read" and token["refresh_token"]
    assert r.headers["Cache-Control"] == "no-store"

    # The user-mode API call: the user's own profile (customer.md §9.1) names this reader.
    user_call = requests.get(server.url("/capi/v1/user/profile"), timeout=10,
                             headers={"Authorization": "Bearer " + token["access_token"]})
    assert user_call.status_code == 200, (user_call.status_code, user_call.text)
    profile = user_call.json()
    assert profile["loginCredential"] == {"credential": reader, "credentialType": "email",
                                          "verificationLevel": "verificationCode"}
    assert profile["emails"] == [reader]
    client_call = requests.get(server.url("/capi/v1/client/extid"), timeout=10,
                               headers={"Authorization": "Bearer " + token["access_token"]})
    assert client_call.status_code == 403  # and it is a user-mode token, not a client one

    # The same code again buys nothing.
    assert exchange(server, site, cid, secret, back["code"], verifier).json()["error"] == "invalid_grant"

    # Logged in and approved: the next authorization is a straight redirect, no page at all.
    verifier2, challenge2 = pkce_pair()
    tab.go(authorize_url(server, site, cid, challenge2, state="st-2"))
    assert urllib.parse.urlsplit(tab.on_site()).path == "/callback"
    again = tab.query()
    assert again["state"] == "st-2" and again["code"] != back["code"]
    # ... and a code exchanged with another verifier than its challenge's (RFC 7636 §4.6) neither.
    assert exchange(server, site, cid, secret, again["code"], verifier).json()["error"] == "invalid_grant"


def test_denied_approval_returns_access_denied(tab, server, site, reader):
    cid, _ = code_client(server, site, approval=True)
    _, challenge = pkce_pair()
    tab.go(authorize_url(server, site, cid, challenge, state="deny-me"))
    log_in_on_the_page(tab, reader)
    tab.press("deny", "1")
    assert tab.on_site() == site.url("/callback") + "?error=access_denied&state=deny-me"


def test_code_flow_without_approval_goes_from_login_straight_to_the_client(tab, server, site, reader):
    cid, secret = code_client(server, site, approval=False)
    verifier, challenge = pkce_pair()
    tab.go(authorize_url(server, site, cid, challenge))
    log_in_on_the_page(tab, reader)
    assert urllib.parse.urlsplit(tab.on_site()).path == "/callback"
    r = exchange(server, site, cid, secret, tab.query()["code"], verifier)
    assert r.status_code == 200, r.text


def test_cancelled_login_returns_access_denied(tab, server, site):
    cid, _ = code_client(server, site, approval=False)
    _, challenge = pkce_pair()
    tab.go(authorize_url(server, site, cid, challenge, state="gave-up"))
    tab.on_connectd("/user/login")
    tab.press("event", "cancel")
    assert tab.on_site() == site.url("/callback") + "?error=access_denied&state=gave-up"
