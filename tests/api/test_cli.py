"""The command line (src/cli.c): version, migrate and the OAuth client commands (the webhook and
events commands are tested with the delivery they drive, in test_events.py).

Clients are configured outside the API (spec/identity.md §3.2 "Client configuration"): secret
(stored hashed), partner, grants, redirect URIs, access and refresh token lifetimes
(README §13: 43200 s and 2592000 s by default), the per-client rate limits (README §10:
1000/s for /capi and 100/s for the token endpoint, 0 = unlimited) and the External Identity
credential types the client may register (identity.md §1.1: letters of DEHILMXZ, none by default). Exit codes: 0 success,
1 runtime failure (including an unknown client), 2 usage error; errors name the flag and the
rule. Every test runs the real binary against a fresh database of CONNECTD_TEST_DB's kind.
"""

import re
import uuid

import pytest

from conftest import run_cli

COMMANDS = ["serve", "migrate", "client add", "client list", "client show", "client update",
            "client rotate-secret", "client remove", "webhook add", "webhook list", "webhook remove",
            "events list", "events replay", "version"]

SETTING_FLAGS = ["--access-ttl", "--refresh-ttl", "--capi-rate", "--token-rate"]


def client(db, verb, *args):
    """`connectd client VERB --db URL ARGS...`"""
    return run_cli("client", verb, "--db", db.url, *args)


def new_id(prefix="cli"):
    return "%s.%s.example" % (prefix, uuid.uuid4().hex[:8])


def details(stdout):
    """`client show` text -> {key: value}; redirect_uris is a list (one line per URI)."""
    out, last = {}, None
    for line in stdout.splitlines():
        m = re.match(r"^([a-z_]+):\s+(.*)$", line)
        if m:
            last = m.group(1)
            out[last] = [m.group(2)] if last == "redirect_uris" else m.group(2)
        elif line.startswith(" ") and last == "redirect_uris":
            out[last].append(line.strip())
        else:
            last = None
    return out


def add(db, cid=None, *args, grants="client_credentials"):
    cid = cid or new_id()
    r = client(db, "add", "--id", cid, "--grants", grants, *args)
    assert r.returncode == 0, r.stderr
    return cid, details(r.stdout)


def show(db, cid):
    r = client(db, "show", "--id", cid)
    assert r.returncode == 0, r.stderr
    return details(r.stdout), r.stdout


# ---------------------------------------------------------------------------------------------
# Help and dispatch


def test_version_prints_version_and_exits_0():
    r = run_cli("version")
    assert r.returncode == 0, r.stderr
    assert re.search(r"\d+\.\d+\.\d+", r.stdout), r.stdout


def test_top_level_help_lists_every_command():
    r = run_cli("--help")
    assert r.returncode == 0, r.stderr
    for c in COMMANDS:
        assert re.search(r"^\s+%s\s" % re.escape(c), r.stdout, re.M), (c, r.stdout)


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_has_help_that_exits_0(command):
    r = run_cli(*command.split(), "--help")
    assert r.returncode == 0, (command, r.stderr)
    assert r.stdout.startswith("usage: connectd %s" % command), r.stdout
    assert "--help" in r.stdout


@pytest.mark.parametrize("command", ["client add", "client update"])
def test_add_and_update_help_name_the_setting_flags(command):
    r = run_cli(*command.split(), "--help")
    for flag in SETTING_FLAGS + ["--grants", "--redirect-uri", "--partner", "--extid-types"]:
        assert flag in r.stdout, (command, flag)
    if command == "client update":
        assert "--clear-redirect-uris" in r.stdout


def test_rotate_secret_help_names_secret_flag():
    assert "--secret" in run_cli("client", "rotate-secret", "--help").stdout


def test_client_alone_is_a_usage_error_with_a_hint():
    r = run_cli("client")
    assert r.returncode == 2
    for verb in ("add", "list", "show", "update", "rotate-secret", "remove"):
        assert verb in r.stderr, r.stderr


@pytest.mark.parametrize("group,verbs", [("webhook", ("add", "list", "remove")), ("events", ("list", "replay"))])
def test_webhook_and_events_alone_are_usage_errors_with_a_hint(group, verbs):
    r = run_cli(group)
    assert r.returncode == 2
    for verb in verbs:
        assert verb in r.stderr, r.stderr


def test_a_bare_argument_is_the_id_of_commands_whose_first_flag_is_id(fresh_db):
    cid, _ = add(fresh_db)
    r = run_cli("client", "show", cid, "--db", fresh_db.url)
    assert r.returncode == 0 and details(r.stdout)["client_id"] == cid, r.stderr
    r = run_cli("client", "show", cid, "other", "--db", fresh_db.url)
    assert r.returncode == 2 and "unexpected argument 'other'" in r.stderr
    assert run_cli("client", "list", "x", "--db", fresh_db.url).returncode == 2


def test_unknown_command_fails():
    r = run_cli("no-such-command")
    assert r.returncode == 2


def test_unknown_flag_is_a_usage_error(fresh_db):
    r = client(fresh_db, "show", "--id", "x", "--colour", "blue")
    assert r.returncode == 2
    assert "--colour" in r.stderr


# ---------------------------------------------------------------------------------------------
# migrate


def test_migrate_is_idempotent_and_reaches_version_2_or_later(fresh_db):
    for _ in range(2):
        r = run_cli("migrate", "--db", fresh_db.url)
        assert r.returncode == 0, r.stderr
        m = re.search(r"schema version (\d+)", r.stdout)
        assert m and int(m.group(1)) >= 2, r.stdout


# ---------------------------------------------------------------------------------------------
# client add / list / show


def test_client_add_list_remove(fresh_db):
    cid = new_id("test.client")
    r = client(fresh_db, "add", "--id", cid, "--grants", "client_credentials",
               "--secret", "s3cr3t-value-for-test")
    assert r.returncode == 0, r.stderr
    assert "s3cr3t-value-for-test" in r.stdout
    r = client(fresh_db, "list")
    assert r.returncode == 0, r.stderr
    assert cid in r.stdout
    assert "s3cr3t-value-for-test" not in r.stdout + r.stderr
    r = client(fresh_db, "remove", "--id", cid)
    assert r.returncode == 0, r.stderr
    r = client(fresh_db, "list")
    assert r.returncode == 0, r.stderr
    assert cid not in r.stdout


def test_client_add_generates_and_prints_a_secret(fresh_db):
    cid = new_id("test.gen")
    r = client(fresh_db, "add", "--id", cid, "--grants", "client_credentials")
    assert r.returncode == 0, r.stderr
    secret = details(r.stdout)["client_secret"]
    assert re.fullmatch(r"[A-Za-z0-9_\-]{43}", secret), r.stdout
    assert "shown only this once" in r.stdout


def test_client_added_without_settings_has_the_documented_defaults(fresh_db):
    cid, _ = add(fresh_db)
    d, _ = show(fresh_db, cid)
    assert d["client_id"] == cid
    assert d["partner"] == "default"
    assert d["grants"] == "client_credentials"
    assert d["redirect_uris"] == ["(none)"]
    assert d["access_ttl"].startswith("43200 s"), d
    assert d["refresh_ttl"].startswith("2592000 s"), d
    assert d["capi_rate"] == "1000 per second (burst 2000)", d
    assert d["token_rate"] == "100 per second (burst 200)", d
    assert d["extid_types"] == "(none)", d
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", d["created_at"]), d


@pytest.mark.parametrize("flag,value,key,shown", [
    ("--access-ttl", "600", "access_ttl", "600 s (10 min)"),
    ("--access-ttl", "1", "access_ttl", "1 s"),
    ("--refresh-ttl", "31536000", "refresh_ttl", "31536000 s (365 days)"),
    ("--capi-rate", "0", "capi_rate", "0 (unlimited)"),
    ("--capi-rate", "1000000", "capi_rate", "1000000 per second (burst 2000000)"),
    ("--token-rate", "0", "token_rate", "0 (unlimited)"),
    ("--token-rate", "7", "token_rate", "7 per second (burst 14)"),
], ids=lambda v: str(v))
def test_client_add_with_a_setting_then_show_has_it(fresh_db, flag, value, key, shown):
    cid, added = add(fresh_db, None, flag, value)
    assert added[key] == shown, added
    d, _ = show(fresh_db, cid)
    assert d[key] == shown, d


def test_client_add_accepts_flag_equals_value_and_all_settings_at_once(fresh_db):
    cid, _ = add(fresh_db, None, "--access-ttl=120", "--refresh-ttl=3600", "--capi-rate=5", "--token-rate=0",
                 "--partner=acme", "--redirect-uri=https://a.example/cb", "--redirect-uri=https://b.example/cb",
                 grants="client_credentials, authorization_code,refresh_token")
    d, _ = show(fresh_db, cid)
    assert d["access_ttl"] == "120 s (2 min)"
    assert d["refresh_ttl"] == "3600 s (1 h)"
    assert d["capi_rate"] == "5 per second (burst 10)"
    assert d["token_rate"] == "0 (unlimited)"
    assert d["partner"] == "acme"
    assert d["grants"] == "client_credentials,authorization_code,refresh_token"
    assert d["redirect_uris"] == ["https://a.example/cb", "https://b.example/cb"]


def test_client_show_never_prints_the_secret_or_its_hash(fresh_db):
    cid = new_id()
    add(fresh_db, cid, "--secret", "a-very-secret-value-123")
    d, out = show(fresh_db, cid)
    assert d["client_secret"] == "(stored as a hash)"
    assert "secret: (stored as a hash)" in out
    assert "a-very-secret-value-123" not in out
    assert "hs256$" not in out


def test_client_add_with_an_existing_id_fails_with_1(fresh_db):
    cid, _ = add(fresh_db)
    r = client(fresh_db, "add", "--id", cid, "--grants", "client_credentials")
    assert r.returncode == 1
    assert "already exists" in r.stderr


# ---------------------------------------------------------------------------------------------
# client update


def test_client_update_changes_only_the_given_settings(fresh_db):
    cid, _ = add(fresh_db, None, "--access-ttl", "600", "--redirect-uri", "https://a.example/cb",
                 grants="authorization_code")
    before, _ = show(fresh_db, cid)
    r = client(fresh_db, "update", "--id", cid, "--token-rate", "0", "--refresh-ttl", "86400")
    assert r.returncode == 0, r.stderr
    assert "updated client %s" % cid in r.stdout
    after, _ = show(fresh_db, cid)
    assert after["token_rate"] == "0 (unlimited)"
    assert after["refresh_ttl"] == "86400 s (1 day)"
    for key in ("access_ttl", "capi_rate", "grants", "partner", "redirect_uris", "created_at"):
        assert after[key] == before[key], key


def test_client_update_grants_replaces_the_list(fresh_db):
    cid, _ = add(fresh_db, grants="client_credentials,extid_code")
    r = client(fresh_db, "update", "--id", cid, "--grants", "refresh_token")
    assert r.returncode == 0, r.stderr
    assert show(fresh_db, cid)[0]["grants"] == "refresh_token"


def test_client_update_redirect_uri_replaces_the_whole_list(fresh_db):
    cid, _ = add(fresh_db, None, "--redirect-uri", "https://a.example/cb", "--redirect-uri", "https://b.example/cb")
    r = client(fresh_db, "update", "--id", cid, "--redirect-uri", "https://c.example/cb")
    assert r.returncode == 0, r.stderr
    assert show(fresh_db, cid)[0]["redirect_uris"] == ["https://c.example/cb"]


def test_client_update_clear_redirect_uris_leaves_none(fresh_db):
    cid, _ = add(fresh_db, None, "--redirect-uri", "https://a.example/cb")
    r = client(fresh_db, "update", "--id", cid, "--clear-redirect-uris")
    assert r.returncode == 0, r.stderr
    assert show(fresh_db, cid)[0]["redirect_uris"] == ["(none)"]


def test_client_update_redirect_uri_with_clear_is_a_usage_error(fresh_db):
    cid, _ = add(fresh_db, None, "--redirect-uri", "https://a.example/cb")
    r = client(fresh_db, "update", "--id", cid, "--clear-redirect-uris", "--redirect-uri", "https://b.example/cb")
    assert r.returncode == 2
    assert "--clear-redirect-uris" in r.stderr and "--redirect-uri" in r.stderr
    assert show(fresh_db, cid)[0]["redirect_uris"] == ["https://a.example/cb"]


def test_client_update_partner_moves_the_client_creating_the_partner(fresh_db):
    cid, _ = add(fresh_db, None, "--partner", "first")
    r = client(fresh_db, "update", "--id", cid, "--partner", "second")
    assert r.returncode == 0, r.stderr
    assert show(fresh_db, cid)[0]["partner"] == "second"
    row = [line for line in client(fresh_db, "list").stdout.splitlines() if line.startswith(cid)]
    assert row and row[0].split()[1] == "second", row


def test_client_update_with_nothing_to_change_is_a_usage_error(fresh_db):
    cid, _ = add(fresh_db)
    r = client(fresh_db, "update", "--id", cid)
    assert r.returncode == 2
    assert "nothing to change" in r.stderr


def test_client_update_with_an_unknown_grant_is_a_usage_error(fresh_db):
    cid, _ = add(fresh_db)
    r = client(fresh_db, "update", "--id", cid, "--grants", "password")
    assert r.returncode == 2
    assert "--grants" in r.stderr and "password" in r.stderr
    assert show(fresh_db, cid)[0]["grants"] == "client_credentials"


# ---------------------------------------------------------------------------------------------
# client rotate-secret


def test_client_rotate_secret_prints_a_new_secret_once(fresh_db):
    cid = new_id()
    _, added = add(fresh_db, cid, "--capi-rate", "3")
    old = added["client_secret"]
    r = client(fresh_db, "rotate-secret", "--id", cid)
    assert r.returncode == 0, r.stderr
    new = details(r.stdout)["client_secret"]
    assert re.fullmatch(r"[A-Za-z0-9_\-]{43}", new), r.stdout
    assert new != old
    assert "old secret no longer" in r.stdout
    d, out = show(fresh_db, cid)
    assert d["client_secret"] == "(stored as a hash)"
    assert new not in out and old not in out
    assert d["capi_rate"] == "3 per second (burst 6)", "other settings are untouched"
    listing = client(fresh_db, "list").stdout
    assert new not in listing and old not in listing


def test_client_rotate_secret_with_a_given_secret(fresh_db):
    cid, _ = add(fresh_db)
    r = client(fresh_db, "rotate-secret", "--id", cid, "--secret", "chosen-secret-0123456789")
    assert r.returncode == 0, r.stderr
    assert details(r.stdout)["client_secret"] == "chosen-secret-0123456789"


def test_client_rotate_secret_shorter_than_16_is_a_usage_error(fresh_db):
    cid, _ = add(fresh_db)
    r = client(fresh_db, "rotate-secret", "--id", cid, "--secret", "short")
    assert r.returncode == 2
    assert "--secret" in r.stderr and "16" in r.stderr


# ---------------------------------------------------------------------------------------------
# client remove


def test_client_remove_says_its_tokens_were_revoked_and_the_client_is_gone(fresh_db):
    cid, _ = add(fresh_db)
    r = client(fresh_db, "remove", "--id", cid)
    assert r.returncode == 0, r.stderr
    assert "removed client %s" % cid in r.stdout
    assert "tokens were revoked" in r.stdout
    r = client(fresh_db, "show", "--id", cid)
    assert r.returncode == 1


# ---------------------------------------------------------------------------------------------
# Bad values, unknown clients, missing flags

BAD_VALUES = [
    ("--access-ttl", "-5", "from 1 to 31536000"),
    ("--access-ttl", "0", "from 1 to 31536000"),
    ("--access-ttl", "31536001", "from 1 to 31536000"),
    ("--access-ttl", "12h", "from 1 to 31536000"),
    ("--refresh-ttl", "-1", "from 1 to 31536000"),
    ("--refresh-ttl", "", "from 1 to 31536000"),
    ("--capi-rate", "abc", "from 0 to 1000000"),
    ("--capi-rate", "-1", "from 0 to 1000000"),
    ("--capi-rate", "1.5", "from 0 to 1000000"),
    ("--token-rate", "1000001", "from 0 to 1000000"),
    ("--token-rate", "+5", "from 0 to 1000000"),
]


@pytest.mark.parametrize("flag,value,rule", BAD_VALUES, ids=lambda v: str(v))
def test_client_add_with_a_bad_setting_is_a_usage_error_and_adds_nothing(fresh_db, flag, value, rule):
    cid = new_id()
    r = client(fresh_db, "add", "--id", cid, "--grants", "client_credentials", flag, value)
    assert r.returncode == 2, r.stdout
    assert "%s: must be a whole number %s, got '%s'" % (flag, rule, value) in r.stderr, r.stderr
    assert r.stdout == ""
    assert cid not in client(fresh_db, "list").stdout


@pytest.mark.parametrize("flag,value,rule", BAD_VALUES[::2], ids=lambda v: str(v))
def test_client_update_with_a_bad_setting_is_a_usage_error_and_changes_nothing(fresh_db, flag, value, rule):
    cid, _ = add(fresh_db)
    before, _ = show(fresh_db, cid)
    r = client(fresh_db, "update", "--id", cid, flag, value)
    assert r.returncode == 2
    assert "connectd client update: %s: must be a whole number %s" % (flag, rule) in r.stderr, r.stderr
    assert show(fresh_db, cid)[0] == before


@pytest.mark.parametrize("verb,extra", [("show", []), ("update", ["--capi-rate", "5"]),
                                        ("rotate-secret", []), ("remove", [])])
def test_an_unknown_client_fails_with_1_and_says_so(fresh_db, verb, extra):
    r = client(fresh_db, verb, "--id", "nobody.example", *extra)
    assert r.returncode == 1
    assert "no client with id 'nobody.example'" in r.stderr, r.stderr
    assert "client_secret" not in r.stdout, "rotate-secret prints no secret for nobody"


@pytest.mark.parametrize("verb", ["show", "update", "rotate-secret", "remove"])
def test_a_missing_id_is_a_usage_error(fresh_db, verb):
    r = client(fresh_db, verb)
    assert r.returncode == 2
    assert "--id" in r.stderr


@pytest.mark.parametrize("verb", ["add", "update"])
def test_a_bad_partner_id_is_a_usage_error(fresh_db, verb):
    cid = add(fresh_db)[0] if verb == "update" else new_id()
    args = ["--grants", "client_credentials"] if verb == "add" else []
    r = client(fresh_db, verb, "--id", cid, "--partner", "has space", *args)
    assert r.returncode == 2
    assert "--partner" in r.stderr


def test_a_bad_redirect_uri_is_a_usage_error(fresh_db):
    cid, _ = add(fresh_db)
    r = client(fresh_db, "update", "--id", cid, "--redirect-uri", "ftp://x.example/cb")
    assert r.returncode == 2
    assert "--redirect-uri" in r.stderr


# ---------------------------------------------------------------------------------------------
# --extid-types (identity.md §1.1, §2: the client setting extidCredentialTypes)


@pytest.mark.parametrize("value,shown", [
    ("D", "D"),
    ("X,D", "D, X"),
    ("x", None),
    ("Z, M ,D", "D, M, Z"),
    ("ZXMLIHED", "D, E, H, I, L, M, X, Z"),
    ("all", "D, E, H, I, L, M, X, Z"),
    ("D,D", "D"),
    ("", "(none)"),
], ids=lambda v: repr(v))
def test_client_add_extid_types_is_normalised_to_sorted_letters(fresh_db, value, shown):
    cid = new_id()
    r = client(fresh_db, "add", "--id", cid, "--grants", "client_credentials", "--extid-types", value)
    if shown is None:
        assert r.returncode == 2, r.stdout
        return
    assert r.returncode == 0, r.stderr
    assert details(r.stdout)["extid_types"] == shown
    assert show(fresh_db, cid)[0]["extid_types"] == shown


def test_client_update_extid_types_replaces_the_list_and_keeps_it_when_not_given(fresh_db):
    cid, added = add(fresh_db, None, "--extid-types", "D,X")
    assert added["extid_types"] == "D, X"
    r = client(fresh_db, "update", "--id", cid, "--extid-types", "M")
    assert r.returncode == 0, r.stderr
    assert details(r.stdout)["extid_types"] == "M"
    r = client(fresh_db, "update", "--id", cid, "--capi-rate", "5")
    assert r.returncode == 0, r.stderr
    assert show(fresh_db, cid)[0]["extid_types"] == "M", "not given: kept"
    r = client(fresh_db, "update", "--id", cid, "--extid-types=all")
    assert r.returncode == 0, r.stderr
    assert show(fresh_db, cid)[0]["extid_types"] == "D, E, H, I, L, M, X, Z"


def test_client_update_extid_types_alone_is_something_to_change(fresh_db):
    cid, _ = add(fresh_db, None, "--extid-types", "D")
    r = client(fresh_db, "update", "--id", cid, "--extid-types", "")
    assert r.returncode == 0, r.stderr
    assert show(fresh_db, cid)[0]["extid_types"] == "(none)"


@pytest.mark.parametrize("value", ["A", "B", "d", "DQ", "D;X", "ALL", "all,D", "1"], ids=repr)
def test_client_add_with_a_bad_extid_type_is_a_usage_error_naming_the_letters(fresh_db, value):
    cid = new_id()
    r = client(fresh_db, "add", "--id", cid, "--grants", "client_credentials", "--extid-types", value)
    assert r.returncode == 2, r.stdout
    assert "connectd client add: --extid-types:" in r.stderr, r.stderr
    assert "DEHILMXZ" in r.stderr, r.stderr
    assert r.stdout == ""
    assert cid not in client(fresh_db, "list").stdout


def test_client_update_with_a_bad_extid_type_is_a_usage_error_and_changes_nothing(fresh_db):
    cid, _ = add(fresh_db, None, "--extid-types", "X")
    r = client(fresh_db, "update", "--id", cid, "--extid-types", "X,Y")
    assert r.returncode == 2
    assert "connectd client update: --extid-types:" in r.stderr and "'Y'" in r.stderr, r.stderr
    assert show(fresh_db, cid)[0]["extid_types"] == "X"
