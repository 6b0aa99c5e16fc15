"""The login pages in a real browser (spec identity.md §4): createUser with a new e-mail, login
with a password and with a one-time code, loginCheck with a session, with only the remember-me
cookie and with nothing, logout, cancel. Each walk ends on the newspaper's loopback site; the
assertions are on the URL the browser ends on and on the cookies Chromium actually stored
(§4.1: HttpOnly, Secure, SameSite=None; Chromium counts http://127.0.0.1 as a secure origin, so
it keeps Secure cookies there as it would on https).
"""
import time

from api_conftest import db_exec
from browserlib import PASSWORD, REMEMBER_COOKIE, SESSION_COOKIE, unique_email

YEAR_S = 365 * 24 * 3600


def assert_cookie_rules(cookie):
    """§4.1: HttpOnly, Secure, SameSite=None, scoped to the login service's paths."""
    assert cookie is not None
    assert cookie["httpOnly"] is True and cookie["secure"] is True, cookie
    assert cookie["sameSite"] == "None" and cookie["path"] == "/user", cookie
    assert cookie["domain"] == "127.0.0.1", cookie


def assert_session_cookie(tab):
    c = tab.cookie(SESSION_COOKIE)
    assert_cookie_rules(c)
    assert c["session"] is True, c  # ends with the browser; the server times it out when idle
    return c


def age_codes(tab, email):
    """Moves the e-mail's codes a minute into the past, past the 30 s resend limit (§4.1)."""
    db_exec(tab.server.db, "UPDATE one_time_code SET created_at = created_at - 60000 WHERE credential = '%s'" % email)


def test_create_user_with_a_new_email_sets_a_password_and_returns(tab):
    email = unique_email()
    tab.ok = tab.site.url("/ok?article=42&from=paywall")
    tab.open("/user/createUser")
    assert tab.heading() == "Create account"
    assert not tab.has_field("password")
    tab.fill("credential", email)
    tab.proceed()

    tab.on_connectd("/user/createUser")
    assert tab.has_field("code")
    assert any(email in t for t in tab.texts(".notice")), tab.texts("main p")
    mail = tab.mailbox(email)
    assert len(mail) == 1 and mail[0]["channel"] == "email" and mail[0]["subject"] == "Your one-time code"
    tab.fill("code", tab.code_for(email))
    tab.proceed()

    assert tab.heading() == "Choose a password"
    pw = tab.d.find_element("name", "password")
    assert pw.get_attribute("type") == "password" and pw.get_attribute("autocomplete") == "new-password"
    tab.fill("password", PASSWORD)
    tab.proceed()

    assert tab.on_site() == tab.ok
    assert tab.site.requests[-1]["path"] == "/ok?article=42&from=paywall"
    assert_session_cookie(tab)
    assert tab.cookie(REMEMBER_COOKIE) is None  # not ticked


def test_login_with_password(tab, reader):
    tab.open("/user/login")
    assert tab.heading() == "Log in"
    tab.fill("credential", reader)
    tab.fill("password", PASSWORD)
    tab.proceed()
    assert tab.on_site() == tab.ok
    assert_session_cookie(tab)


def test_wrong_password_stays_on_the_page_with_the_message(tab, reader):
    tab.open("/user/login", credential=reader)
    assert tab.d.find_element("name", "credential").get_attribute("value") == reader
    tab.fill("password", "not the password")
    tab.proceed()
    tab.on_connectd("/user/login")
    assert tab.texts(".alert") == ["Wrong e-mail, phone number or password."]
    assert tab.cookie(SESSION_COOKIE) is None


def test_login_with_assume_new_user_asks_for_a_code(tab, reader):
    age_codes(tab, reader)
    sent = len(tab.mailbox(reader))
    tab.open("/user/login", assumeNewUser="true")
    assert not tab.has_field("password")
    tab.fill("credential", reader)
    tab.proceed()
    assert tab.has_field("code") and not tab.has_field("password")
    assert len(tab.mailbox(reader)) == sent + 1
    tab.fill("code", tab.code_for(reader))
    tab.proceed()
    assert tab.on_site() == tab.ok  # an existing user: logged in, no password page
    assert_session_cookie(tab)


def test_login_check_with_a_session(tab, reader):
    tab.log_in(reader)
    before = tab.cookie(SESSION_COOKIE)["value"]
    tab.open("/user/loginCheck", _ga="GA1.2.3.4")
    assert tab.on_site() == tab.ok + "?_ga=GA1.2.3.4"
    assert tab.cookie(SESSION_COOKIE)["value"] == before


def test_login_check_with_only_remember_me_logs_in_silently(tab, reader):
    tab.log_in(reader, remember=True)
    remember = tab.cookie(REMEMBER_COOKIE)
    assert_cookie_rules(remember)
    assert remember["session"] is False
    assert abs(remember["expires"] - (time.time() + YEAR_S)) < 120, remember  # §4.1: 365 days
    old_session = tab.cookie(SESSION_COOKIE)["value"]
    tab.drop_cookie(SESSION_COOKIE)  # the browser was closed: session cookies are gone

    tab.open("/user/loginCheck")
    assert tab.on_site() == tab.ok
    fresh = assert_session_cookie(tab)
    assert fresh["value"] != old_session
    assert tab.cookie(REMEMBER_COOKIE)["value"] == remember["value"]


def test_login_check_with_nothing_goes_to_the_error_url(tab):
    tab.open("/user/loginCheck")
    assert tab.on_site() == tab.err
    assert tab.browser.cookies() == {}


def test_logout_ends_the_session_and_remember_me_on_the_server(tab, reader):
    tab.log_in(reader, remember=True)
    remember = tab.cookie(REMEMBER_COOKIE)
    session = tab.cookie(SESSION_COOKIE)
    tab.open("/user/logout", returnUrl=tab.site.url("/bye"), errorUrl=None)
    assert tab.on_site() == tab.site.url("/bye")
    assert tab.cookie(SESSION_COOKIE) is None and tab.cookie(REMEMBER_COOKIE) is None
    tab.open("/user/loginCheck")
    assert tab.on_site() == tab.err

    # The old cookies, kept by someone who copied them, are dead on the server too (§4.1).
    tab.browser.set_cookie(session)
    tab.browser.set_cookie(remember)
    assert tab.cookie(SESSION_COOKIE)["value"] == session["value"]
    assert tab.cookie(REMEMBER_COOKIE)["value"] == remember["value"]
    tab.open("/user/loginCheck")
    assert tab.on_site() == tab.err


def test_cancel_returns_to_the_error_url(tab):
    tab.open("/user/login")
    tab.press("event", "cancel")
    assert tab.on_site() == tab.err + "?error=cancelled"
