"""How the pages look: every page of the flows (credential, code, set-password, password, error
message, approval, the legacy form and the 400 page) photographed at desktop (1280x900) and
phone (390x844, emulated as a phone) width into build/screenshots/ (CONNECTD_SCREENSHOT_DIR), and
checked for what makes a page unusable on a phone: no stylesheet, sideways scrolling, controls
off the screen or under 44 px, field text under 16 px (phones zoom in on it).
"""
from browserlib import authorize_url, code_client, pkce_pair, unique_email


def test_create_user_pages(tab):
    # a long address (the spec allows 60 characters): the code page's notice repeats it
    email = "karinordmann.%s@regionalavisa.example.no" % unique_email()[7:17]
    tab.open("/user/createUser")
    tab.assert_usable("create-credential")
    tab.fill("credential", email)
    tab.proceed()
    tab.assert_usable("code")
    tab.fill("code", "000000" if tab.code_for(email) != "000000" else "111111")
    tab.proceed()
    assert tab.texts(".alert") == ["The code is wrong or has expired."]
    tab.assert_usable("code-wrong")
    tab.fill("code", tab.code_for(email))
    tab.proceed()
    assert tab.has_field("password")
    tab.assert_usable("set-password")


def test_login_pages(tab, reader):
    tab.open("/user/login")
    tab.assert_usable("login")
    tab.fill("credential", reader)
    tab.fill("password", "wrong password")
    tab.proceed()
    assert tab.texts(".alert") == ["Wrong e-mail, phone number or password."]
    tab.assert_usable("login-wrong-password")


def test_approval_page(tab, server, site, reader):
    cid, _ = code_client(server, site, approval=True)
    tab.go(authorize_url(server, site, cid, pkce_pair()[1]))
    tab.log_in_here(reader)
    assert tab.heading() == "Allow access"
    tab.assert_usable("approval")


def test_legacy_form(tab):
    tab.open("/user/oauthLogin")
    assert tab.has_field("j_username")
    tab.assert_usable("legacy-login")


def test_error_page(tab):
    tab.open("/user/login", clientId="no.such.client")
    assert tab.heading() == "Something went wrong"
    assert tab.texts(".alert") == ["This link is not valid. Go back to the page you came from and try again."]
    tab.assert_usable("error-400")
