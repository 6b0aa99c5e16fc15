"""The legacy /user/oauthLogin form (j_username, j_password, loginButton) the way integrations use
it: their own login page, on their own origin, posts straight to connectd, and the reader lands
on returnUrl logged in. A page on an origin the client did not register is refused (the Origin
guard that stands in for the CSRF token this form cannot carry).
"""
import html

import pytest

from browserlib import PASSWORD, SESSION_COOKIE, Site

INTEGRATOR_PAGE = """<!DOCTYPE html>
<html lang="nb"><head><meta charset="utf-8"><title>Avisa: logg inn</title></head><body>
<form method="post" action="{action}">
  <input type="hidden" name="clientId" value="{client}">
  <input type="hidden" name="returnUrl" value="{ok}">
  <input type="hidden" name="errorUrl" value="{err}">
  <label>E-post <input type="text" name="j_username"></label>
  <label>Passord <input type="password" name="j_password"></label>
  <button type="submit" name="loginButton" value="Logg inn">Logg inn</button>
</form></body></html>"""


def integrator_page(tab, site):
    """The integrator's login page on site; returns its URL."""
    site.page("/login", INTEGRATOR_PAGE.format(**{k: html.escape(v) for k, v in {
        "action": tab.server.url("/user/oauthLogin"), "client": tab.client_id, "ok": tab.ok, "err": tab.err}.items()}))
    return site.url("/login")


@pytest.fixture
def elsewhere():
    """A site on another origin, not registered for the client."""
    s = Site()
    yield s
    s.close()


def test_legacy_form_posted_from_the_integrators_page_logs_in(tab, site, reader):
    tab.go(integrator_page(tab, site))
    tab.fill("j_username", reader)
    tab.fill("j_password", PASSWORD)
    tab.press("loginButton", "Logg inn")
    assert tab.on_site() == tab.ok
    assert tab.cookie(SESSION_COOKIE)["httpOnly"] is True
    tab.open("/user/loginCheck")
    assert tab.on_site() == tab.ok


def test_legacy_form_with_a_wrong_password_shows_connectds_form(tab, site, reader):
    tab.go(integrator_page(tab, site))
    tab.fill("j_username", reader)
    tab.fill("j_password", "not it")
    tab.press("loginButton", "Logg inn")
    tab.on_connectd("/user/oauthLogin")
    assert tab.texts(".alert") == ["Wrong e-mail, phone number or password."]
    assert tab.d.find_element("name", "j_username").get_attribute("value") == reader
    # connectd's own legacy page carries the parameters on, and its POST passes the Origin guard
    # (it did not while the pages sent Referrer-Policy: no-referrer: Chromium sent Origin: null).
    tab.fill("j_password", PASSWORD)
    tab.press("loginButton", "1")
    assert tab.on_site() == tab.ok


def test_legacy_form_posted_from_an_unregistered_origin_is_refused(tab, elsewhere, reader):
    tab.go(integrator_page(tab, elsewhere))
    tab.fill("j_username", reader)
    tab.fill("j_password", PASSWORD)
    tab.press("loginButton", "Logg inn")
    tab.on_connectd("/user/oauthLogin")
    assert tab.texts(".alert") == ["The page had expired. Please try again."]
    assert tab.cookie(SESSION_COOKIE) is None
