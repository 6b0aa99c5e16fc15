"""The pieces the browser tests are built from: a headless Chromium (one per session, cookies
cleared per test), a loopback web site standing in for the newspaper (returnUrl, errorUrl and
redirect_uri land on it; it also serves integrators' own pages), and a Tab that walks the login
pages the way a reader does: open a page, type into a field, press a button, wait for the next
page. Every wait is an explicit WebDriverWait on a condition, never a sleep.
"""
import base64
import hashlib
import html
import os
import re
import tempfile
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import api_conftest
import requests
from receivers import _Peer
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOT_DIR = os.path.abspath(os.environ.get("CONNECTD_SCREENSHOT_DIR")
                                 or os.path.join(REPO, "build", "screenshots"))
WAIT_S = 15  # a page of ours loads in milliseconds; this only bounds a failure
POLL_S = 0.02  # how often a wait looks again

# The shared notes' flags: headless, and none of the background traffic to Google's hosts that
# this closed network refuses (it would slow every start).
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                  "--no-first-run", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-extensions", "--window-size=1280,900"]

DESKTOP = (1280, 900)
PHONE = (390, 844)

_shots = []


def screenshots_taken():
    return list(_shots)


# ---- the browser ------------------------------------------------------------------------------


class Chromium:
    """One headless Chromium. accept_language sets the browser's language preference (what a
    reader sets in the browser's settings), so Chromium itself sends Accept-Language."""

    def __init__(self, accept_language=None):
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        self.profile = tempfile.mkdtemp(prefix="connectd-chromium-")
        for flag in CHROMIUM_FLAGS + ["--user-data-dir=" + self.profile]:
            opts.add_argument(flag)
        if accept_language:
            opts.add_experimental_option("prefs", {"intl.accept_languages": accept_language})
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
        self.driver.set_page_load_timeout(WAIT_S)

    def reset(self):
        """A fresh start for the next test: no cookies, desktop size (the old page stays: our
        pages run no script, and every test begins by opening one)."""
        self.driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
        self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        self.console()  # drop messages of the previous test

    def quit(self):
        self.driver.quit()

    # -- cookies, through the DevTools protocol: it sees HttpOnly cookies and their attributes --

    def cookies(self):
        """{name: cookie} of every cookie in the browser (DevTools' Network.Cookie objects)."""
        return {c["name"]: c for c in self.driver.execute_cdp_cmd("Network.getAllCookies", {})["cookies"]}

    def delete_cookie(self, name, url):
        self.driver.execute_cdp_cmd("Network.deleteCookies", {"name": name, "url": url})

    def set_cookie(self, cookie):
        """Puts back a cookie as getAllCookies returned it (same name, value and attributes)."""
        keep = ("name", "value", "domain", "path", "secure", "httpOnly", "sameSite", "expires")
        args = {k: cookie[k] for k in keep if k in cookie and not (k == "expires" and cookie.get("session"))}
        assert self.driver.execute_cdp_cmd("Network.setCookie", args).get("success", True)

    def console(self):
        return [e["message"] for e in self.driver.get_log("browser")]

    # -- the viewport ---------------------------------------------------------------------------

    def viewport(self, size, mobile):
        """Emulates a screen of size (CSS pixels); mobile=True also honours the page's
        meta viewport the way a phone's browser does."""
        w, h = size
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": w, "height": h, "deviceScaleFactor": 1, "mobile": mobile})


# ---- the newspaper's site ---------------------------------------------------------------------


class Site(_Peer):
    """A web site on a free loopback port. GET of a path registered with page() returns that
    HTML; every other path returns a small "landed" page. Records the page requests it saw."""

    def __init__(self):
        self.requests = []
        self._pages = {}
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                path = urllib.parse.urlsplit(self.path).path
                with site._lock:
                    if path != "/favicon.ico":  # the browser's own fetch, not the reader's
                        site.requests.append({"path": self.path, "headers": dict(self.headers.items())})
                    body = site._pages.get(path)
                if body is None:
                    body = "<!DOCTYPE html><title>landed</title><h1 id=\"landed\">%s</h1>" % html.escape(self.path)
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self._serve(ThreadingHTTPServer(("127.0.0.1", 0), Handler))
        self.host = "127.0.0.1:%d" % self.port
        self.origin = "http://" + self.host

    def url(self, path):
        return self.origin + path

    def page(self, path, body):
        with self._lock:
            self._pages[path] = body


def _replaced(element):
    """True once element's document has been replaced by another one. While the old document
    is being torn down chromedriver may report "does not belong to the document" instead of a
    stale element: that is a moment to look again, not an answer."""
    try:
        element.is_enabled()
        return False
    except StaleElementReferenceException:
        return True
    except WebDriverException as e:
        if "does not belong to the document" in (e.msg or ""):
            return False
        raise


# ---- a code-flow client ----------------------------------------------------------------------


def pkce_pair():
    """(code_verifier, S256 code_challenge), RFC 7636 §4.1-4.2."""
    verifier = base64.urlsafe_b64encode(os.urandom(48)).rstrip(b"=").decode()  # 64 characters
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def code_client(server, site, approval):
    """A client of the code flow requiring PKCE (and approval if asked), with the site's
    /callback as its only redirect URI and no redirect host. Returns (client_id, secret)."""
    cid, secret = api_conftest.add_client(server.db.url, grants="authorization_code,refresh_token",
                                          redirect_uri=[site.url("/callback")])
    flags = ["--require-pkce"] + (["--require-approval"] if approval else [])
    r = api_conftest.run_cli("client", "update", "--db", server.db.url, "--id", cid, *flags)
    assert r.returncode == 0, r.stderr
    return cid, secret


def authorize_url(server, site, cid, challenge, state="st-1"):
    return server.url("/user/oauth/authorize?" + urllib.parse.urlencode({
        "response_type": "code", "client_id": cid, "redirect_uri": site.url("/callback"), "scope": "read",
        "state": state, "code_challenge": challenge, "code_challenge_method": "S256"}))


# ---- walking the pages ------------------------------------------------------------------------


PASSWORD = "correct horse battery staple"
SESSION_COOKIE = "connectid_session"
REMEMBER_COOKIE = "connectid_remember"  # the client's remember-me cookie (the default name)


def unique_email():
    return "reader.%s@example.no" % os.urandom(5).hex()


class Tab:
    """The browser on connectd's pages for one client. returnUrl is the site's /ok and errorUrl
    its /err unless a call says otherwise."""

    def __init__(self, chromium, server, site, client_id):
        self.browser = chromium
        self.d = chromium.driver
        self.server = server
        self.site = site
        self.client_id = client_id
        self.ok = site.url("/ok")
        self.err = site.url("/err")

    # -- navigation -----------------------------------------------------------------------------

    def gui_url(self, path, **params):
        q = {"clientId": self.client_id, "returnUrl": self.ok, "errorUrl": self.err}
        q.update(params)
        return self.server.url(path + "?" + urllib.parse.urlencode({k: v for k, v in q.items() if v is not None}))

    def open(self, path, **params):
        """GET one of connectd's pages with clientId/returnUrl/errorUrl; waits until loaded."""
        self.go(self.gui_url(path, **params))

    def go(self, url):
        self.d.get(url)
        self._loaded()

    def _loaded(self):
        WebDriverWait(self.d, WAIT_S, poll_frequency=POLL_S).until(lambda d: d.execute_script("return document.readyState") == "complete")

    def _navigate_by(self, element):
        """Clicks element and waits for the next document (after every redirect) to load."""
        old = self.d.find_element(By.TAG_NAME, "html")
        element.click()
        try:
            WebDriverWait(self.d, WAIT_S, poll_frequency=POLL_S).until(lambda d: _replaced(old))
        except TimeoutException:
            raise AssertionError("no new page after the click at %s; browser console: %s"
                                 % (self.d.current_url, self.browser.console())) from None
        self._loaded()

    def fill(self, name, value, replace=False):
        """Types value into the field (replace=True: into a prefilled one)."""
        el = self.d.find_element(By.NAME, name)
        if replace:
            el.clear()
        el.send_keys(value)

    def tick(self, name):
        el = self.d.find_element(By.NAME, name)
        if not el.is_selected():
            el.click()

    def proceed(self):
        """Presses the page's main button (the first submit button: what Enter presses)."""
        self._navigate_by(self.d.find_element(By.CSS_SELECTOR, "form button[type=submit]"))

    def press(self, name, value):
        """Presses the button name=value (e.g. event=useCode, deny=1)."""
        self._navigate_by(self.d.find_element(By.CSS_SELECTOR, "button[name='%s'][value='%s']" % (name, value)))

    def create_account(self, email=None, password=PASSWORD, remember=False):
        """createUser in the browser: e-mail -> code from the mailbox -> password -> returnUrl.
        Leaves the browser logged in; returns the e-mail."""
        email = email or unique_email()
        self.open("/user/createUser")
        self.fill("credential", email)
        self.proceed()
        self.fill("code", self.code_for(email))
        self.proceed()
        self.fill("password", password)
        if remember:
            self.tick("remember")
        self.proceed()
        assert self.on_site() == self.ok
        return email

    def log_in(self, email, password=PASSWORD, remember=False):
        """/user/login with the password; leaves the browser logged in on the site."""
        self.open("/user/login")
        self.log_in_here(email, password, remember)
        assert self.on_site() == self.ok

    def log_in_here(self, email, password=PASSWORD, remember=False):
        """On the login page the browser shows: e-mail, password, Continue."""
        self.on_connectd("/user/login")
        self.fill("credential", email)
        self.fill("password", password)
        if remember:
            self.tick("remember")
        self.proceed()

    # -- what the page shows ---------------------------------------------------------------------

    def heading(self):
        return self.d.find_element(By.TAG_NAME, "h1").text

    def texts(self, css):
        return [e.text for e in self.d.find_elements(By.CSS_SELECTOR, css)]

    def has_field(self, name):
        return bool(self.d.find_elements(By.NAME, name))

    def path(self):
        return urllib.parse.urlsplit(self.d.current_url).path

    def query(self):
        return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.d.current_url).query))

    def on_site(self):
        """The URL the browser ended on, asserting it is the newspaper's site."""
        url = self.d.current_url
        assert url.startswith(self.site.origin + "/"), "not on the site: %s (%s)" % (url, self.heading())
        return url

    def on_connectd(self, path):
        url = self.d.current_url
        assert urllib.parse.urlsplit(url).path == path and url.startswith(self.server.base_url), url

    # -- cookies -------------------------------------------------------------------------------

    def cookie(self, name):
        return self.browser.cookies().get(name)

    def drop_cookie(self, name):
        self.browser.delete_cookie(name, self.server.url("/user"))
        assert self.cookie(name) is None

    # -- the sandbox mailbox --------------------------------------------------------------------

    def mailbox(self, recipient):
        r = requests.get(self.server.url("/user/sandbox/messages"), timeout=10)
        assert r.status_code == 200, r.text
        return sorted((m for m in r.json()["messages"] if m["recipient"] == recipient), key=lambda m: m["id"])

    def code_for(self, recipient):
        mine = self.mailbox(recipient)
        assert mine, "no message to %s in the sandbox mailbox" % recipient
        return re.search(r"\b(\d{6})\b", mine[-1]["body"]).group(1)

    # -- looks ---------------------------------------------------------------------------------

    def screenshot(self, name):
        """Writes NAME-desktop.png and NAME-phone.png and checks the page is usable on the
        phone; restores the desktop size afterwards."""
        os.makedirs(SCREENSHOT_DIR, exist_ok=True)
        problems = {}
        for label, size, mobile in (("desktop", DESKTOP, False), ("phone", PHONE, True)):
            self.browser.viewport(size, mobile)
            WebDriverWait(self.d, WAIT_S, poll_frequency=POLL_S).until(
                lambda d: d.execute_script("return document.documentElement.clientWidth") == size[0])
            path = os.path.join(SCREENSHOT_DIR, "%s-%s.png" % (name, label))
            assert self.d.save_screenshot(path), path
            _shots.append(path)
            problems[label] = self.d.execute_script(LAYOUT_PROBLEMS_JS)
        self.browser.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        return problems

    def assert_usable(self, name):
        """Screenshots as NAME and asserts the page has none of the layout faults below."""
        problems = self.screenshot(name)
        assert problems == {"desktop": [], "phone": []}, problems


# Layout faults a reader would hit: no stylesheet, a form whose main action does not look like
# one, content wider than the screen (sideways scrolling, cut-off buttons), controls too small to tap (WCAG 2.5.5: 44 px), text in fields
# under 16 px (phones zoom in on focus), text in an input wider than the input.
LAYOUT_PROBLEMS_JS = r"""
const out = [], vw = document.documentElement.clientWidth;
const sheets = [...document.styleSheets].filter(s => { try { return s.cssRules.length > 0; } catch (e) { return false; } });
if (!sheets.length) out.push('no stylesheet applied');
for (const f of document.forms) if (!f.querySelector('button[type=submit]:not(.secondary)')) out.push('a form without a primary button');
if (document.documentElement.scrollWidth > vw) out.push('page scrolls sideways: ' + document.documentElement.scrollWidth + ' > ' + vw);
for (const el of document.querySelectorAll('main *')) {
  const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
  if (r.width === 0 || cs.visibility === 'hidden' || el.type === 'hidden') continue;
  const what = el.tagName.toLowerCase() + (el.name ? '[' + el.name + ']' : '') + ' "' + (el.innerText || el.value || '').slice(0, 30) + '"';
  if (r.left < 0 || r.right > vw + 0.5) out.push(what + ' outside the screen (' + r.left + '..' + r.right + ')');
  const control = el.tagName === 'BUTTON' || (el.tagName === 'INPUT' && el.type !== 'checkbox');
  if (control && r.height < 44) out.push(what + ' only ' + r.height + ' px high');
  if (el.tagName === 'INPUT' && el.type === 'checkbox' && el.closest('label').getBoundingClientRect().height < 44)
    out.push(what + ' label under 44 px');
  if (el.tagName === 'INPUT' && el.type !== 'checkbox' && parseFloat(cs.fontSize) < 16) out.push(what + ' font ' + cs.fontSize);
  if (el.scrollWidth > el.clientWidth + 1 && cs.overflowX !== 'visible' && el.tagName !== 'INPUT')
    out.push(what + ' content cut off');
}
return out;
"""

