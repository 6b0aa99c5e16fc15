"""Fixtures for the browser tests: headless Chromium (Debian chromium + chromium-driver, driven
by python3-selenium) walking the login pages of a real connectd.

The servers come from tests/api/conftest.py, imported here (as module api_conftest, since both
files are called conftest.py), so both suites start connectd the same way: CONNECTD_BIN,
CONNECTD_TEST_DB and CONNECTD_TEST_PG_URL work as there; the loopback site builds on the peers
of tests/api/receivers.py. One Chromium serves the whole session;
every test starts with no cookies (see browserlib.Chromium). Screenshots go to
CONNECTD_SCREENSHOT_DIR (default build/screenshots); the run ends by printing that path.

Fixtures:
  chromium   the session's English browser (a browserlib.Chromium), cookies cleared per test
  site       a loopback web site (browserlib.Site) standing in for the newspaper: returnUrl,
             errorUrl and redirect_uri land there, and it serves integrators' own pages
  web        the session's client, whose redirect host is the site: (client_id, secret)
  tab        a browserlib.Tab: the browser, the server and the client together
  reader     the e-mail of an account that exists (created in the browser once per session)
"""
import importlib.util
import os
import sys

import pytest

_API_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "api")
_spec = importlib.util.spec_from_file_location("api_conftest", os.path.join(_API_DIR, "conftest.py"))
api_conftest = importlib.util.module_from_spec(_spec)
sys.modules["api_conftest"] = api_conftest
_spec.loader.exec_module(api_conftest)
sys.path.append(_API_DIR)  # for its loopback peers (receivers.py); after ours, so "conftest" stays ours

# The server fixtures and the hooks they rely on (report header, postgresql_only marker).
from api_conftest import (  # noqa: E402,F401
    _session_pool, _session_server_still_alive, pytest_collection_modifyitems, pytest_configure, server)
from api_conftest import add_client  # noqa: E402

import browserlib  # noqa: E402


def pytest_report_header(config):
    return "connectd: %s, database: %s, browser: %s" % (api_conftest.CONNECTD_BIN, api_conftest.DB_KIND,
                                                         browserlib.CHROMIUM)


def pytest_terminal_summary(terminalreporter):
    shots = browserlib.screenshots_taken()
    if shots:
        terminalreporter.write_line("screenshots (%d): %s" % (len(shots), browserlib.SCREENSHOT_DIR))


@pytest.fixture(scope="session")
def _chromium_session():
    browser = browserlib.Chromium()
    yield browser
    browser.quit()


@pytest.fixture
def chromium(_chromium_session):
    _chromium_session.reset()
    return _chromium_session


@pytest.fixture(scope="session")
def site():
    s = browserlib.Site()
    yield s
    s.close()


@pytest.fixture(scope="session")
def web(server, site):
    return add_client(server.db.url, redirect_host=[site.host])


@pytest.fixture
def tab(chromium, server, site, web):
    return browserlib.Tab(chromium, server, site, web[0])


@pytest.fixture(scope="session")
def reader(_chromium_session, server, site, web):
    """The e-mail of an account created once in the browser (password browserlib.PASSWORD),
    for the tests that only need someone who can log in. The browser is reset afterwards."""
    _chromium_session.reset()
    email = browserlib.Tab(_chromium_session, server, site, web[0]).create_account()
    _chromium_session.reset()
    return email
