/* cli_client.c — `connectd client add|list|show|update|rotate-secret|remove`: the operator's
 * view of OAuth clients (identity.md §3.2 "Client configuration"). Secrets are printed once
 * and stored only as hashes; every flag is checked here with a message naming it, so the store
 * only ever sees valid settings. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "codec/date.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/crypto.h"

/* ---- client ---------------------------------------------------------------------------- */
/* add and update share one settings parser (client_settings_parse): their flag tables put the
 * shared flags at the same indices (enum client_flag), so one reading serves both. */

static const char *const GRANTS[] = {"client_credentials", "authorization_code", "refresh_token", "extid_code"};
#define EXTID_GRANT_URI "https://connectid.no/oauth2/grant_type/extid_code"

#define TTL_MAX 31536000   /* s: one year */
#define RATE_MAX 1000000   /* per second */
#define PARTNER_ID_MAX 63  /* what token_rec.partner holds */
static const char EXTID_TYPES[] = "DEHILMXZ"; /* identity.md §1.1, in the order they are stored */

/* "client_credentials, extid_code" -> canonical comma list; false with a message. */
static bool canonical_grants(const char *cmd, const char *list, struct buf *out)
{
    char *copy = xstrdup(list), *save = NULL;
    bool ok = true;
    for (char *g = strtok_r(copy, ", ", &save); g && ok; g = strtok_r(NULL, ", ", &save)) {
        if (!strcmp(g, EXTID_GRANT_URI))
            g = "extid_code";
        size_t i = 0;
        while (i < sizeof GRANTS / sizeof GRANTS[0] && strcmp(GRANTS[i], g))
            i++;
        if (i == sizeof GRANTS / sizeof GRANTS[0]) {
            fprintf(stderr, "connectd %s: --grants: unknown grant '%s' (one or more of client_credentials, "
                            "authorization_code, refresh_token, extid_code)\n", cmd, g);
            ok = false;
        } else if (!strstr(out->data ? out->data : "", GRANTS[i])) {
            if (out->len)
                buf_putc(out, ',');
            buf_puts(out, GRANTS[i]);
        }
    }
    free(copy);
    if (ok && out->len == 0) {
        fprintf(stderr, "connectd %s: --grants: must name at least one grant\n", cmd);
        ok = false;
    }
    return ok;
}

/* Client and partner ids: 1..max letters, digits, '.', '-', '_'. */
static bool valid_id(const char *id, size_t max)
{
    size_t n = strlen(id);
    if (n == 0 || n > max)
        return false;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
              *p == '-' || *p == '_'))
            return false;
    return true;
}

static bool valid_redirect_uri(const char *u)
{
    return (!strncmp(u, "https://", 8) || !strncmp(u, "http://", 7)) && !strpbrk(u, " \t\r\n");
}

/* A whole number in [min, max] from a flag's text; false with a message naming flag and rule. */
static bool parse_number(const char *cmd, const char *flag, const char *text, int64_t min, int64_t max,
                         int64_t *out)
{
    const char *p = text + (*text == '-');
    bool digits = *p != '\0' && strspn(p, "0123456789") == strlen(p);
    errno = 0;
    long long v = digits ? strtoll(text, NULL, 10) : 0;
    if (!digits || errno || v < min || v > max) {
        fprintf(stderr, "connectd %s: --%s: must be a whole number from %lld to %lld, got '%s'\n", cmd, flag,
                (long long)min, (long long)max, text);
        return false;
    }
    *out = v;
    return true;
}

static bool flag_on(const char *value)
{
    return value && strcmp(value, "false") && strcmp(value, "0") && strcmp(value, "no");
}

enum client_flag { CF_ID, CF_GRANTS, CF_REDIRECT, CF_PARTNER, CF_ACCESS_TTL, CF_REFRESH_TTL, CF_CAPI_RATE,
                   CF_TOKEN_RATE, CF_EXTID_TYPES, CF_EXTRA /* add: --secret; update: --clear-redirect-uris */,
                   CF_REDIRECT_HOST, CF_REQUIRE_PKCE, CF_REQUIRE_APPROVAL };

#define ID_FLAG(help) {"id", "ID", false, help}
#define RATE_HELP " (0 = unlimited, up to 1000000; burst twice the rate)"
#define REDIRECT_HOST_HELP "a host login pages may send the browser back to: name, *.name or name:port"
#define REQUIRE_PKCE_HELP "authorization codes need PKCE (RFC 7636); --require-pkce=false turns it off"
#define REQUIRE_APPROVAL_HELP "users approve the client once before their first code; --require-approval=false turns it off"
#define EXTID_TYPES_HELP "external credential types it may register: letters of DEHILMXZ, or all"

const struct cmd_flag CLIENT_ADD_FLAGS[] = {
    ID_FLAG("client id (letters, digits, . - _; at most 100)"),
    {"grants", "LIST", false, "comma-separated: client_credentials, authorization_code, refresh_token, extid_code"},
    {"redirect-uri", "URI", true, "an allowed redirect URI (repeat for several)"},
    {"partner", "PARTNER", false, "the partner (tenant) the client belongs to (default: default)"},
    {"access-ttl", "SECONDS", false, "access-token lifetime, 1-31536000 (default 43200 = 12 h)"},
    {"refresh-ttl", "SECONDS", false, "refresh-token lifetime, 1-31536000 (default 2592000 = 30 days)"},
    {"capi-rate", "N", false, "/capi requests per second, default 1000" RATE_HELP},
    {"token-rate", "N", false, "token-endpoint requests per second, default 100" RATE_HELP},
    {"extid-types", "LIST", false, EXTID_TYPES_HELP " (default: none)"},
    {"secret", "SECRET", false, "use this secret (at least 16 characters) instead of a generated one"},
    {"redirect-host", "HOST", true, REDIRECT_HOST_HELP " (repeat for several)"},
    {"require-pkce", NULL, false, REQUIRE_PKCE_HELP " (default: off)"},
    {"require-approval", NULL, false, REQUIRE_APPROVAL_HELP " (default: off)"},
    {NULL, NULL, false, NULL},
};

const struct cmd_flag CLIENT_UPDATE_FLAGS[] = {
    ID_FLAG("the client to change"),
    {"grants", "LIST", false, "new grants, comma-separated (replaces the list)"},
    {"redirect-uri", "URI", true, "an allowed redirect URI; repeat for several (replaces the whole list)"},
    {"partner", "PARTNER", false, "move the client to this partner (created if missing)"},
    {"access-ttl", "SECONDS", false, "access-token lifetime, 1-31536000 (applies to new tokens)"},
    {"refresh-ttl", "SECONDS", false, "refresh-token lifetime, 1-31536000 (applies to new tokens)"},
    {"capi-rate", "N", false, "/capi requests per second" RATE_HELP},
    {"token-rate", "N", false, "token-endpoint requests per second" RATE_HELP},
    {"extid-types", "LIST", false, EXTID_TYPES_HELP "; \"\" for none (replaces the list)"},
    {"clear-redirect-uris", NULL, false, "remove every redirect URI"},
    {"redirect-host", "HOST", true, REDIRECT_HOST_HELP "; repeat for several (replaces the list; \"\" for none)"},
    {"require-pkce", NULL, false, REQUIRE_PKCE_HELP},
    {"require-approval", NULL, false, REQUIRE_APPROVAL_HELP},
    {NULL, NULL, false, NULL},
};

/* "X, D" or "all" -> the sorted letters, e.g. "DX" (identity.md §1.1: the External Identity
 * types); "" is a valid empty list. false with a message naming the flag. */
static bool canonical_extid_types(const char *cmd, const char *list, char out[sizeof EXTID_TYPES])
{
    if (!strcmp(list, "all")) {
        memcpy(out, EXTID_TYPES, sizeof EXTID_TYPES);
        return true;
    }
    bool seen[sizeof EXTID_TYPES] = {false};
    for (const char *p = list; *p; p++) {
        if (*p == ',' || *p == ' ')
            continue;
        const char *at = strchr(EXTID_TYPES, *p);
        if (at == NULL) {
            fprintf(stderr, "connectd %s: --extid-types: unknown credential type '%c' (letters of %s, "
                            "comma-separated or not, or all)\n", cmd, *p, EXTID_TYPES);
            return false;
        }
        seen[at - EXTID_TYPES] = true;
    }
    size_t n = 0;
    for (size_t i = 0; i + 1 < sizeof EXTID_TYPES; i++)
        if (seen[i])
            out[n++] = EXTID_TYPES[i];
    out[n] = '\0';
    return true;
}

/* What add or update was told; NULL / -1 where a flag was not given. */
struct client_settings {
    struct buf grants, uris;
    bool have_grants, have_uris, have_extid_types;
    char extid_types[sizeof EXTID_TYPES];
    const char *partner;
    int64_t access_ttl, refresh_ttl, capi_rate, token_rate;
};

static bool client_settings_parse(const char *cmd, const struct cmd_args *a, struct client_settings *s)
{
    *s = (struct client_settings){.grants = BUF_INIT, .uris = BUF_INIT, .access_ttl = -1, .refresh_ttl = -1,
                                  .capi_rate = -1, .token_rate = -1};
    const char *grants = cli_arg1(a, CF_GRANTS);
    if (grants && !canonical_grants(cmd, grants, &s->grants))
        return false;
    s->have_grants = grants != NULL;
    const char *types = cli_arg1(a, CF_EXTID_TYPES);
    if (types && !canonical_extid_types(cmd, types, s->extid_types))
        return false;
    s->have_extid_types = types != NULL;
    s->partner = cli_arg1(a, CF_PARTNER);
    if (s->partner && !valid_id(s->partner, PARTNER_ID_MAX)) {
        fprintf(stderr, "connectd %s: --partner: use 1-%d letters, digits, '.', '-' or '_'\n", cmd, PARTNER_ID_MAX);
        return false;
    }
    for (size_t i = 0; i < a->counts[CF_REDIRECT]; i++) {
        const char *u = a->values[CF_REDIRECT][i];
        if (!valid_redirect_uri(u)) {
            fprintf(stderr, "connectd %s: --redirect-uri: must be an absolute http(s) URI: %s\n", cmd, u);
            return false;
        }
        if (s->uris.len)
            buf_putc(&s->uris, '\n');
        buf_puts(&s->uris, u);
    }
    s->have_uris = a->counts[CF_REDIRECT] > 0;
    static const struct {
        int flag;
        int64_t min, max;
        size_t off;
    } numbers[] = {
        {CF_ACCESS_TTL, 1, TTL_MAX, offsetof(struct client_settings, access_ttl)},
        {CF_REFRESH_TTL, 1, TTL_MAX, offsetof(struct client_settings, refresh_ttl)},
        {CF_CAPI_RATE, 0, RATE_MAX, offsetof(struct client_settings, capi_rate)},
        {CF_TOKEN_RATE, 0, RATE_MAX, offsetof(struct client_settings, token_rate)},
    };
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
        const char *text = cli_arg1(a, numbers[i].flag);
        int64_t *dst = (int64_t *)((char *)s + numbers[i].off);
        if (text && !parse_number(cmd, CLIENT_ADD_FLAGS[numbers[i].flag].name, text, numbers[i].min,
                                  numbers[i].max, dst))
            return false;
    }
    return true;
}

static void client_settings_free(struct client_settings *s)
{
    buf_free(&s->grants);
    buf_free(&s->uris);
}

/* "43200 s (12 h)": the exact number first, then the largest whole unit if there is one. */
static void print_ttl(const char *label, int64_t s)
{
    static const struct {
        int64_t secs;
        const char *one, *many;
    } units[] = {{86400, "day", "days"}, {3600, "h", "h"}, {60, "min", "min"}};
    printf("%-14s %lld s", label, (long long)s);
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (s % units[i].secs == 0) {
            int64_t n = s / units[i].secs;
            printf(" (%lld %s)", (long long)n, n == 1 ? units[i].one : units[i].many);
            break;
        }
    putchar('\n');
}

static void print_rate(const char *label, int64_t r)
{
    if (r == 0)
        printf("%-14s 0 (unlimited)\n", label);
    else
        printf("%-14s %lld per second (burst %lld)\n", label, (long long)r, (long long)r * 2);
}

/* Everything about a client; secret is the new plain secret (add, rotate) or NULL. */
static void print_client_details(const struct client_rec *c, const char *secret)
{
    printf("%-14s %s\n", "client_id:", c->client_id);
    printf("%-14s %s\n", "client_secret:", secret ? secret : "(stored as a hash)");
    printf("%-14s %s\n", "partner:", c->partner);
    printf("%-14s %s\n", "grants:", c->grants);
    const char *u = c->redirect_uris, *label = "redirect_uris:";
    if (*u == '\0')
        printf("%-14s (none)\n", label);
    while (*u) {
        size_t n = strcspn(u, "\n");
        printf("%-14s %.*s\n", label, (int)n, u);
        label = "";
        u += n + (u[n] == '\n');
    }
    print_ttl("access_ttl:", c->access_ttl);
    print_ttl("refresh_ttl:", c->refresh_ttl);
    print_rate("capi_rate:", c->capi_rate);
    print_rate("token_rate:", c->token_rate);
    printf("%-14s ", "extid_types:");
    if (c->extid_types == NULL || *c->extid_types == '\0')
        printf("(none)");
    for (const char *t = c->extid_types ? c->extid_types : ""; *t; t++)
        printf("%c%s", *t, t[1] ? ", " : "");
    putchar('\n');
    char when[21];
    date_format_iso_utc(c->created_at, when);
    printf("%-14s %s\n", "created_at:", when);
    if (c->updated_at > 0)
        date_format_iso_utc(c->updated_at, when);
    printf("%-14s %s\n", "updated_at:", c->updated_at > 0 ? when : "-");
}

/* Reads a client back and prints it; exit code 0, or 1 when it cannot be read. */
static int show_client(const char *cmd, struct db *db, const char *id, const char *secret)
{
    bool found = false;
    struct client_rec rec;
    enum db_status st = store_client_get(db, id, &found, &rec);
    if (st != DB_OK) {
        fprintf(stderr, "connectd %s: database error (see log)\n", cmd);
        return 1;
    }
    if (!found) {
        fprintf(stderr, "connectd %s: no client with id '%s'\n", cmd, id);
        return 1;
    }
    print_client_details(&rec, secret);
    client_rec_free(&rec);
    struct client_login login;
    if (store_client_login_get(db, id, &found, &login) == DB_OK && found) {
        const char *h = login.redirect_hosts, *label = "redirect_hosts:";
        if (*h == '\0')
            printf("%-14s (none)\n", label);
        while (*h) {
            size_t n = strcspn(h, "\n");
            printf("%-14s %.*s\n", label, (int)n, h);
            label = "";
            h += n + (h[n] == '\n');
        }
        printf("%-14s %s\n", "require_pkce:", login.require_pkce ? "yes" : "no");
        printf("%-14s %s\n", "require_approval:", login.require_approval ? "yes" : "no");
        client_login_free(&login);
    }
    return 0;
}

/* --secret S, or a generated one, and its hash; exit code 0, EXIT_USAGE or 1. */
static int new_secret(const char *cmd, const char *given, char generated[44], const char **secret,
                      char hash[SECRET_HASH_MAX])
{
    if (given && strlen(given) < 16) {
        fprintf(stderr, "connectd %s: --secret: must be at least 16 characters\n", cmd);
        return EXIT_USAGE;
    }
    *secret = given;
    if (given == NULL && secret_generate(generated))
        *secret = generated;
    if (*secret == NULL || !secret_hash(*secret, hash)) {
        fprintf(stderr, "connectd %s: cannot make a secret: the random number generator failed\n", cmd);
        return 1;
    }
    return 0;
}

/* identity.md §4.1: returnUrl/errorUrl hosts. [*.]name[:port] of letters, digits, '-' and '.'. */
static bool valid_redirect_host(const char *h)
{
    const char *p = !strncmp(h, "*.", 2) ? h + 2 : h;
    size_t name = strcspn(p, ":");
    if (name == 0 || name > 253)
        return false;
    for (size_t i = 0; i < name; i++)
        if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9') ||
              p[i] == '-' || p[i] == '.'))
            return false;
    if (p[name] == '\0')
        return true;
    const char *port = p + name + 1;
    return *port && strlen(port) <= 5 && strspn(port, "0123456789") == strlen(port);
}

static enum db_status client_exists(struct db *db, const char *id, bool *found)
{
    struct client_rec rec;
    enum db_status st = store_client_get(db, id, found, &rec);
    if (st == DB_OK && *found)
        client_rec_free(&rec);
    return st;
}

/* Every --redirect-host value is a host; checked before anything is stored. */
static bool redirect_hosts_valid(const char *cmd, const struct cmd_args *a)
{
    for (size_t i = 0; i < a->counts[CF_REDIRECT_HOST]; i++) {
        const char *h = a->values[CF_REDIRECT_HOST][i];
        if (*h && !valid_redirect_host(h)) {
            fprintf(stderr, "connectd %s: --redirect-host: '%s' is not a host name (name, *.name or name:port)\n",
                    cmd, h);
            return false;
        }
    }
    return true;
}

/* --require-pkce / --require-approval: bare, or =true|false|1|0|yes|no. */
static bool login_flags_valid(const char *cmd, const struct cmd_args *a)
{
    static const char *const VALUES[] = {"true", "false", "1", "0", "yes", "no"};
    static const struct {
        int flag;
        const char *name;
    } FLAGS[] = {{CF_REQUIRE_PKCE, "require-pkce"}, {CF_REQUIRE_APPROVAL, "require-approval"}};
    for (size_t f = 0; f < 2; f++) {
        const char *v = cli_arg1(a, FLAGS[f].flag);
        bool ok = v == NULL;
        for (size_t i = 0; i < 6 && !ok; i++)
            ok = !strcmp(v, VALUES[i]);
        if (!ok) {
            fprintf(stderr, "connectd %s: --%s: use true or false, not '%s'\n", cmd, FLAGS[f].name, v);
            return false;
        }
    }
    return true;
}

/* Applies --redirect-host, --require-pkce and --require-approval (those given): 0 or 1. */
static int apply_redirect_hosts(const char *cmd, struct db *db, const char *id, const struct cmd_args *a)
{
    if (a->counts[CF_REDIRECT_HOST] == 0 && a->counts[CF_REQUIRE_PKCE] == 0 && a->counts[CF_REQUIRE_APPROVAL] == 0)
        return 0;
    struct buf hosts = BUF_INIT;
    buf_puts(&hosts, "");
    for (size_t i = 0; i < a->counts[CF_REDIRECT_HOST]; i++) {
        const char *h = a->values[CF_REDIRECT_HOST][i];
        if (*h == '\0')
            continue;
        if (hosts.len)
            buf_putc(&hosts, '\n');
        buf_puts(&hosts, h);
    }
    bool found = false;
    struct client_login login;
    int rc = 1;
    if (store_client_login_get(db, id, &found, &login) == DB_OK && found) {
        char *old = login.redirect_hosts;
        if (a->counts[CF_REDIRECT_HOST])
            login.redirect_hosts = hosts.data;
        if (a->counts[CF_REQUIRE_PKCE])
            login.require_pkce = flag_on(cli_arg1(a, CF_REQUIRE_PKCE));
        if (a->counts[CF_REQUIRE_APPROVAL])
            login.require_approval = flag_on(cli_arg1(a, CF_REQUIRE_APPROVAL));
        rc = store_client_login_set(db, id, &login, &found) == DB_OK && found ? 0 : 1;
        login.redirect_hosts = old;
        client_login_free(&login);
    }
    if (rc)
        fprintf(stderr, "connectd %s: could not store the login settings (see log)\n", cmd);
    buf_free(&hosts);
    return rc;
}

int cmd_client_add(struct config *cfg, struct cmd_args *a)
{
    const char *cmd = "client add", *id = cli_arg1(a, CF_ID);
    if (id == NULL || cli_arg1(a, CF_GRANTS) == NULL) {
        fprintf(stderr, "connectd client add: --id and --grants are required (see --help)\n");
        return EXIT_USAGE;
    }
    if (!valid_id(id, CLIENT_ID_MAX)) {
        fprintf(stderr, "connectd client add: --id: use 1-100 letters, digits, '.', '-' or '_'\n");
        return EXIT_USAGE;
    }
    struct client_settings s;
    int rc = EXIT_USAGE;
    if (!client_settings_parse(cmd, a, &s) || !redirect_hosts_valid(cmd, a) || !login_flags_valid(cmd, a))
        goto out;
    char generated[44], hash[SECRET_HASH_MAX];
    const char *secret;
    if ((rc = new_secret(cmd, cli_arg1(a, CF_EXTRA), generated, &secret, hash)) != 0)
        goto out;
    rc = 1;
    struct db *db = cli_open_db(cfg);
    if (db == NULL)
        goto out;
    /* Flags not given: the store's defaults (0 for lifetimes, -1 for rates). */
    struct client_new c = {.client_id = id, .secret_hash = hash, .partner = s.partner ? s.partner : "default",
                           .grants = s.grants.data, .redirect_uris = s.have_uris ? s.uris.data : "",
                           .access_ttl = s.access_ttl < 0 ? 0 : s.access_ttl,
                           .refresh_ttl = s.refresh_ttl < 0 ? 0 : s.refresh_ttl,
                           .capi_rate = s.capi_rate, .token_rate = s.token_rate,
                           .extid_types = s.have_extid_types ? s.extid_types : ""};
    enum db_status st = store_client_add(db, &c);
    if (st == DB_CONSTRAINT)
        fprintf(stderr, "connectd client add: a client with id '%s' already exists\n", id);
    else if (st != DB_OK)
        fprintf(stderr, "connectd client add: database error (see log)\n");
    else if ((rc = apply_redirect_hosts(cmd, db, id, a)) == 0 && (rc = show_client(cmd, db, id, secret)) == 0)
        printf("The secret is shown only this once; connectd stores only its hash.\n");
    db_close(db);
out:
    client_settings_free(&s);
    return rc;
}

int cmd_client_update(struct config *cfg, struct cmd_args *a)
{
    const char *cmd = "client update", *id = cli_arg1(a, CF_ID);
    if (id == NULL) {
        fprintf(stderr, "connectd client update: --id is required (see --help)\n");
        return EXIT_USAGE;
    }
    struct client_settings s;
    int rc = EXIT_USAGE;
    if (!client_settings_parse(cmd, a, &s) || !redirect_hosts_valid(cmd, a) || !login_flags_valid(cmd, a))
        goto out;
    bool clear = flag_on(cli_arg1(a, CF_EXTRA));
    if (clear && s.have_uris) {
        fprintf(stderr, "connectd client update: --redirect-uri and --clear-redirect-uris exclude each other\n");
        goto out;
    }
    struct client_update u = {.partner = s.partner, .grants = s.have_grants ? s.grants.data : NULL,
                              .redirect_uris = clear ? "" : s.have_uris ? s.uris.data : NULL,
                              .access_ttl = s.access_ttl, .refresh_ttl = s.refresh_ttl,
                              .capi_rate = s.capi_rate, .token_rate = s.token_rate,
                              .extid_types = s.have_extid_types ? s.extid_types : NULL};
    if (!u.partner && !u.grants && !u.redirect_uris && u.access_ttl < 0 && u.refresh_ttl < 0 && u.capi_rate < 0 &&
        u.token_rate < 0 && !u.extid_types && a->counts[CF_REDIRECT_HOST] == 0 && a->counts[CF_REQUIRE_PKCE] == 0 &&
        a->counts[CF_REQUIRE_APPROVAL] == 0) {
        fprintf(stderr, "connectd client update: nothing to change: give at least one of --grants, "
                        "--redirect-uri, --clear-redirect-uris, --partner, --access-ttl, --refresh-ttl, "
                        "--capi-rate, --token-rate, --extid-types, --redirect-host, --require-pkce, "
                        "--require-approval\n");
        goto out;
    }
    rc = 1;
    struct db *db = cli_open_db(cfg);
    if (db == NULL)
        goto out;
    bool found = false, changes = u.partner || u.grants || u.redirect_uris || u.access_ttl >= 0 ||
                                  u.refresh_ttl >= 0 || u.capi_rate >= 0 || u.token_rate >= 0 || u.extid_types;
    enum db_status st = changes ? store_client_update(db, id, &u, &found) : client_exists(db, id, &found);
    if (st != DB_OK)
        fprintf(stderr, "connectd client update: database error (see log)\n");
    else if (!found)
        fprintf(stderr, "connectd client update: no client with id '%s'\n", id);
    else if ((rc = apply_redirect_hosts(cmd, db, id, a)) == 0) {
        printf("updated client %s (new settings apply to tokens issued from now on)\n\n", id);
        rc = show_client(cmd, db, id, NULL);
    }
    db_close(db);
out:
    client_settings_free(&s);
    return rc;
}

const struct cmd_flag CLIENT_SHOW_FLAGS[] = {
    ID_FLAG("the client to show"),
    {NULL, NULL, false, NULL},
};

int cmd_client_show(struct config *cfg, struct cmd_args *a)
{
    const char *id = cli_arg1(a, 0);
    if (id == NULL) {
        fprintf(stderr, "connectd client show: --id is required\n");
        return EXIT_USAGE;
    }
    struct db *db = cli_open_db(cfg);
    if (db == NULL)
        return 1;
    int rc = show_client("client show", db, id, NULL);
    db_close(db);
    return rc;
}

const struct cmd_flag CLIENT_ROTATE_FLAGS[] = {
    ID_FLAG("the client whose secret to replace"),
    {"secret", "SECRET", false, "use this secret (at least 16 characters) instead of a generated one"},
    {"redirect-host", "HOST", true, REDIRECT_HOST_HELP " (repeat for several)"},
    {"require-pkce", NULL, false, REQUIRE_PKCE_HELP " (default: off)"},
    {"require-approval", NULL, false, REQUIRE_APPROVAL_HELP " (default: off)"},
    {NULL, NULL, false, NULL},
};

int cmd_client_rotate_secret(struct config *cfg, struct cmd_args *a)
{
    const char *cmd = "client rotate-secret", *id = cli_arg1(a, 0), *secret;
    if (id == NULL) {
        fprintf(stderr, "connectd client rotate-secret: --id is required\n");
        return EXIT_USAGE;
    }
    char generated[44], hash[SECRET_HASH_MAX];
    int rc = new_secret(cmd, cli_arg1(a, 1), generated, &secret, hash);
    if (rc != 0)
        return rc;
    struct db *db = cli_open_db(cfg);
    if (db == NULL)
        return 1;
    bool found = false;
    enum db_status st = store_client_set_secret(db, id, hash, &found);
    db_close(db);
    if (st != DB_OK) {
        fprintf(stderr, "connectd client rotate-secret: database error (see log)\n");
        return 1;
    }
    if (!found) {
        fprintf(stderr, "connectd client rotate-secret: no client with id '%s'\n", id);
        return 1;
    }
    printf("client_id:     %s\nclient_secret: %s\n", id, secret);
    printf("The secret is shown only this once; connectd stores only its hash. The old secret no longer\n"
           "works; tokens already issued stay valid until they expire.\n");
    return 0;
}

static void print_client(const struct client_rec *c, void *arg)
{
    (void)arg;
    char uris[1024];
    snprintf(uris, sizeof uris, "%s", c->redirect_uris);
    for (char *p = uris; *p; p++)
        if (*p == '\n')
            *p = ' ';
    printf("%-32s %-12s %-48s %s\n", c->client_id, c->partner, c->grants, uris);
}

int cmd_client_list(struct config *cfg, struct cmd_args *a)
{
    (void)a;
    struct db *db = cli_open_db(cfg);
    if (db == NULL)
        return 1;
    printf("%-32s %-12s %-48s %s\n", "CLIENT ID", "PARTNER", "GRANTS", "REDIRECT URIS");
    enum db_status st = store_client_list(db, print_client, NULL);
    db_close(db);
    return st == DB_OK ? 0 : 1;
}

const struct cmd_flag CLIENT_REMOVE_FLAGS[] = {
    ID_FLAG("the client to remove (its tokens are revoked with it)"),
    {NULL, NULL, false, NULL},
};

int cmd_client_remove(struct config *cfg, struct cmd_args *a)
{
    const char *id = cli_arg1(a, 0);
    if (id == NULL) {
        fprintf(stderr, "connectd client remove: --id is required\n");
        return EXIT_USAGE;
    }
    struct db *db = cli_open_db(cfg);
    if (db == NULL)
        return 1;
    bool removed = false;
    enum db_status st = store_client_remove(db, id, &removed);
    db_close(db);
    if (st != DB_OK) {
        fprintf(stderr, "connectd client remove: database error (see log)\n");
        return 1;
    }
    if (!removed) {
        fprintf(stderr, "connectd client remove: no client with id '%s'\n", id);
        return 1;
    }
    printf("removed client %s; its access and refresh tokens were revoked\n", id);
    return 0;
}

