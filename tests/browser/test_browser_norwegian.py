"""Norwegian pages for a reader whose browser is set to Norwegian (Chromium's language
preference, intl.accept_languages, so Chromium itself sends Accept-Language: nb-NO,nb...): the
createUser walk, the code e-mail, a wrong password, and the pages' look on a phone in Norwegian,
whose words are longer than the English ones.
"""
import pytest

from browserlib import PASSWORD, Chromium, Tab, unique_email


@pytest.fixture(scope="module")
def _norwegian_chromium():
    browser = Chromium(accept_language="nb-NO,nb,en")
    yield browser
    browser.quit()


@pytest.fixture
def tab(_norwegian_chromium, server, site, web):
    _norwegian_chromium.reset()
    return Tab(_norwegian_chromium, server, site, web[0])


def test_create_user_in_norwegian(tab):
    email = unique_email()
    tab.open("/user/createUser")
    assert tab.d.find_element("tag name", "html").get_attribute("lang") == "nb"
    assert tab.heading() == "Opprett konto"
    assert tab.d.find_element("css selector", "label[for=f-credential]").text == "E-post eller mobilnummer"
    tab.fill("credential", email)
    tab.proceed()

    assert tab.texts(".notice") == ["Vi har sendt en engangskode til %s. Den er gyldig i 10 minutter." % email]
    assert tab.texts("button[value=resend]") == ["Send ny kode"]
    tab.assert_usable("nb-code")
    mail = tab.mailbox(email)[-1]
    assert mail["subject"] == "Din engangskode" and mail["body"].startswith("Engangskoden din er ")
    tab.fill("code", tab.code_for(email))
    tab.proceed()

    assert tab.d.find_element("css selector", "label[for=f-password]").text == "Nytt passord"
    assert tab.texts(".hint") == ["Minst 8 tegn."]
    tab.assert_usable("nb-set-password")
    tab.fill("password", PASSWORD)
    tab.proceed()
    assert tab.on_site() == tab.ok
    assert tab.site.requests[-1]["headers"]["Accept-Language"].startswith("nb-NO,nb")


def test_wrong_password_in_norwegian(tab, reader):
    tab.open("/user/login")
    assert tab.heading() == "Logg inn"
    assert tab.texts("button[value=useCode]") == ["Logg inn med engangskode i stedet"]
    tab.fill("credential", reader)
    tab.fill("password", "feil passord")
    tab.proceed()
    assert tab.texts(".alert") == ["Feil e-post, mobilnummer eller passord."]
    tab.assert_usable("nb-login-wrong-password")
