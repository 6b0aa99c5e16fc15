/* cli_events.c — `connectd webhook add|list|remove` (the operator's side of events.md §2, §3)
 * and `connectd events list|replay` (what happened to each event's deliveries). Every setting
 * of a subscription is checked here by the rules of events/subscription.h, with a message that
 * names the flag, before anything is stored. The signing secret is printed once, by add. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "codec/date.h"
#include "events/envelope.h"
#include "events/subscription.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/crypto.h"

#define PARTNER_MAX 63
#define LIST_LIMIT_DEFAULT 50
#define LIST_LIMIT_MAX 100000

/* ---- webhook add ---------------------------------------------------------------------------- */

enum add_flag { AF_PARTNER, AF_URL, AF_EVENTS, AF_PATH, AF_AUTH_HEADER, AF_AUTH_VALUE };

const struct cmd_flag WEBHOOK_ADD_FLAGS[] = {
    {"partner", "PARTNER", false, "the partner whose events the subscription receives (required)"},
    {"url", "URL", false, "base URL: https://..., or http://localhost... with --sandbox (required)"},
    {"events", "LIST", false, "comma-separated detail-types (events.md §6), or all (required)"},
    {"path", "PATH", true, "/path appended for every type, or TYPE=/path for one type (repeat)"},
    {"auth-header", "NAME", false, "the authentication header's name (default Authorization)"},
    {"auth-value", "VALUE", false, "its value, e.g. 'Bearer 9f2c...', sent with every delivery (required)"},
    {NULL, NULL, false, NULL},
};

/* The subscription being built: its types, each with an optional path. */
struct new_types {
    struct webhook_type t[64];
    size_t n;
    const char *path; /* the one path for all types; "" when none */
};

static bool fail(const char *flag, const char *what, const char *value)
{
    fprintf(stderr, "connectd webhook add: --%s: %s%s%s\n", flag, what, value ? ": " : "", value ? value : "");
    return false;
}

static struct webhook_type *type_slot(struct new_types *nt, const char *name)
{
    for (size_t i = 0; i < nt->n; i++)
        if (!strcmp(nt->t[i].detail_type, name))
            return &nt->t[i];
    return NULL;
}

/* "USER_CREATED, USER_CUSTOMER_LINKED" or "all". Names point into the catalogue. */
static bool parse_events(const char *list, struct new_types *nt)
{
    if (!strcmp(list, "all")) {
        nt->t[nt->n++] = (struct webhook_type){.detail_type = WEBHOOK_ALL_TYPES};
        return true;
    }
    char *copy = xstrdup(list), *save = NULL;
    bool ok = true;
    for (char *name = strtok_r(copy, ", ", &save); name && ok; name = strtok_r(NULL, ", ", &save)) {
        const struct event_type *t = event_type_find(name);
        if (t == NULL)
            ok = fail("events", "not an event type of events.md §6 (or use all)", name);
        else if (!type_slot(nt, t->name))
            nt->t[nt->n++] = (struct webhook_type){.detail_type = t->name};
    }
    free(copy);
    return ok && (nt->n > 0 || fail("events", "name at least one event type, or all", NULL));
}

/* Each --path: "/p" (once) or "TYPE=/p" for a listed type (once per type). */
static bool parse_paths(const struct cmd_args *a, struct new_types *nt)
{
    char err[256];
    nt->path = "";
    for (size_t i = 0; i < a->counts[AF_PATH]; i++) {
        const char *v = a->values[AF_PATH][i], *eq = strchr(v, '=');
        const char *path = eq && v[0] != '/' ? eq + 1 : v;
        if (!webhook_path_check(path, err, sizeof err))
            return fail("path", err, v);
        if (path == v) {
            if (*nt->path)
                return fail("path", "only one path for all types (use TYPE=/path for the others)", v);
            nt->path = v;
            continue;
        }
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(eq - v), v);
        struct webhook_type *t = type_slot(nt, name);
        if (t == NULL)
            return fail("path", "names a type that --events does not list", v);
        if (t->path)
            return fail("path", "gives that type a second path", v);
        t->path = path;
    }
    return true;
}

static bool parse_auth(const struct cmd_args *a, const char **name, const char **value)
{
    char err[256];
    *name = cli_arg1(a, AF_AUTH_HEADER) ? cli_arg1(a, AF_AUTH_HEADER) : "Authorization";
    *value = cli_arg1(a, AF_AUTH_VALUE);
    if (!webhook_header_name_check(*name, err, sizeof err))
        return fail("auth-header", err, *name);
    return webhook_header_value_check(*value, err, sizeof err) || fail("auth-value", err, NULL);
}

static void print_types(const char *label, const char *types)
{
    printf("%-15s %s\n", label, !strcmp(types, WEBHOOK_ALL_TYPES) ? "all" : types);
}

int cmd_webhook_add(struct config *cfg, struct cmd_args *a)
{
    const char *partner = cli_arg1(a, AF_PARTNER), *url = cli_arg1(a, AF_URL), *events = cli_arg1(a, AF_EVENTS);
    if (!partner || !url || !events || !cli_arg1(a, AF_AUTH_VALUE)) {
        fprintf(stderr, "connectd webhook add: --partner, --url, --events and --auth-value are required (see --help)\n");
        return EXIT_USAGE;
    }
    char err[256], secret[2 * WEBHOOK_SECRET_BYTES + 1];
    struct new_types nt = {.n = 0};
    const char *auth_name, *auth_value;
    bool ok = strlen(partner) <= PARTNER_MAX || fail("partner", "at most 63 characters", NULL);
    ok = ok && (webhook_url_check(url, cfg->sandbox, err, sizeof err) || fail("url", err, NULL));
    if (!ok || !parse_events(events, &nt) || !parse_paths(a, &nt) || !parse_auth(a, &auth_name, &auth_value))
        return EXIT_USAGE;
    if (!random_hex(secret, WEBHOOK_SECRET_BYTES)) {
        fprintf(stderr, "connectd webhook add: the random number generator failed\n");
        return 1;
    }
    struct db *db = cli_open_db(cfg);
    if (db == NULL)
        return 1;
    struct webhook_new w = {.partner = partner, .base_url = url, .path = nt.path, .types = nt.t, .ntypes = nt.n,
                            .auth_header = auth_name, .auth_value = auth_value, .secret_hex = secret};
    bool found = false;
    int64_t id = 0;
    enum db_status st = store_webhook_add(db, &w, &found, &id);
    db_close(db);
    if (st != DB_OK || !found) {
        fprintf(stderr, st != DB_OK ? "connectd webhook add: database error (see log)\n"
                                    : "connectd webhook add: --partner: no partner '%s' (partners come with "
                                      "'connectd client add --partner')\n", partner);
        return 1;
    }
    printf("%-15s %lld\n%-15s %s\n%-15s %s\n%-15s %s\n", "id:", (long long)id, "partner:", partner, "url:", url,
           "path:", *nt.path ? nt.path : "(none)");
    struct buf types = BUF_INIT;
    for (size_t i = 0; i < nt.n; i++)
        buf_printf(&types, "%s%s%s%s", i ? "," : "", nt.t[i].detail_type, nt.t[i].path ? "=" : "",
                   nt.t[i].path ? nt.t[i].path : "");
    print_types("events:", types.data);
    buf_free(&types);
    printf("%-15s %s\n%-15s %s\n", "auth_header:", auth_name, "signing_secret:", secret);
    printf("The signing secret is shown only this once: give it to the partner. Every delivery carries\n"
           "X-Event-Signature: sha256=<hex HMAC-SHA256 of the body, keyed with the secret's 32 bytes\n"
           "(the hex above, decoded)>.\n");
    return 0;
}

/* ---- webhook list, remove ------------------------------------------------------------------- */

const struct cmd_flag WEBHOOK_LIST_FLAGS[] = {
    {"partner", "PARTNER", false, "only this partner's subscriptions"},
    {NULL, NULL, false, NULL},
};

static void print_webhook(const struct webhook_rec *w, void *arg)
{
    (void)arg;
    char fp[65], when[21];
    sha256_hex(w->secret_hex, strlen(w->secret_hex), fp);
    date_format_iso_utc(w->created_at, when);
    printf("%-5lld %-12s %-44s %-10s %-14s %-12.12s %s  %s\n", (long long)w->id, w->partner, w->base_url,
           *w->path ? w->path : "-", w->auth_header, fp, when, !strcmp(w->types, WEBHOOK_ALL_TYPES) ? "all" : w->types);
}

int cmd_webhook_list(struct config *cfg, struct cmd_args *a)
{
    struct db *db = cli_open_db(cfg);
    if (db == NULL)
        return 1;
    /* SECRET is a fingerprint: the first 12 hex of SHA-256 over the secret's hex text. */
    printf("%-5s %-12s %-44s %-10s %-14s %-12s %-20s  %s\n", "ID", "PARTNER", "URL", "PATH", "AUTH HEADER", "SECRET",
           "CREATED", "EVENTS");
    enum db_status st = store_webhook_list(db, cli_arg1(a, 0), print_webhook, NULL);
    db_close(db);
    return st == DB_OK ? 0 : 1;
}

const struct cmd_flag WEBHOOK_REMOVE_FLAGS[] = {
    {"id", "ID", false, "the subscription to remove (its pending deliveries are given up)"},
    {NULL, NULL, false, NULL},
};

/* A positive whole number from a flag; false with a message. */
static bool parse_id(const char *cmd, const char *flag, const char *text, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = text ? strtoll(text, &end, 10) : 0;
    if (!text || errno || *end || end == text || v <= 0) {
        fprintf(stderr, "connectd %s: --%s: must be a positive whole number, got '%s'\n", cmd, flag, text ? text : "");
        return false;
    }
    *out = v;
    return true;
}

int cmd_webhook_remove(struct config *cfg, struct cmd_args *a)
{
    int64_t id;
    if (!parse_id("webhook remove", "id", cli_arg1(a, 0), &id))
        return EXIT_USAGE;
    struct db *db = cli_open_db(cfg);
    if (db == NULL)
        return 1;
    bool removed = false;
    enum db_status st = store_webhook_remove(db, id, &removed);
    db_close(db);
    if (st != DB_OK || !removed) {
        fprintf(stderr, st != DB_OK ? "connectd webhook remove: database error (see log)\n"
                                    : "connectd webhook remove: no subscription with id %lld\n", (long long)id);
        return 1;
    }
    printf("removed subscription %lld; its pending deliveries were given up\n", (long long)id);
    return 0;
}

/* ---- events list, replay -------------------------------------------------------------------- */

const struct cmd_flag EVENTS_LIST_FLAGS[] = {
    {"failed", NULL, false, "only deliveries that failed: dropped, or failed and still being retried"},
    {"limit", "N", false, "at most N lines, newest events first (default 50)"},
    {NULL, NULL, false, NULL},
};

static void print_event(const struct event_delivery_rec *e, void *arg)
{
    (void)arg;
    char when[21], webhook[24] = "-", attempts[16] = "-", last[DELIVERY_ERROR_MAX + 16] = "";
    date_format_iso_utc(e->created_at, when);
    const char *state = !e->routed ? "unrouted" : !e->has_delivery ? "no-subscriber" : e->state;
    if (e->has_delivery) {
        snprintf(webhook, sizeof webhook, "%lld", (long long)e->webhook_id);
        snprintf(attempts, sizeof attempts, "%d", e->attempts);
        if (*e->last_error)
            snprintf(last, sizeof last, "%s", e->last_error);
        else if (e->last_status > 0)
            snprintf(last, sizeof last, "HTTP %d", e->last_status);
    }
    printf("%-36s  %-20s  %-33s  %-7s  %-13s  %-8s  %s\n", e->event_id, when, e->detail_type, webhook, state, attempts,
           last);
}

int cmd_events_list(struct config *cfg, struct cmd_args *a)
{
    int64_t limit = LIST_LIMIT_DEFAULT;
    if (cli_arg1(a, 1) && (!parse_id("events list", "limit", cli_arg1(a, 1), &limit) || limit > LIST_LIMIT_MAX)) {
        if (limit > LIST_LIMIT_MAX)
            fprintf(stderr, "connectd events list: --limit: at most %d\n", LIST_LIMIT_MAX);
        return EXIT_USAGE;
    }
    const char *failed = cli_arg1(a, 0);
    bool failed_only = failed && strcmp(failed, "false") && strcmp(failed, "0");
    struct db *db = cli_open_db(cfg);
    if (db == NULL)
        return 1;
    printf("%-36s  %-20s  %-33s  %-7s  %-13s  %-8s  %s\n", "EVENT ID", "TIME", "TYPE", "WEBHOOK", "STATE", "ATTEMPTS",
           "LAST RESULT");
    enum db_status st = store_event_list(db, failed_only, (int)limit, print_event, NULL);
    db_close(db);
    return st == DB_OK ? 0 : 1;
}

const struct cmd_flag EVENTS_REPLAY_FLAGS[] = {
    {"id", "EVENT_ID", false, "the event (its envelope id) to deliver again"},
    {"webhook", "ID", false, "only to this subscription (default: every subscription that wants it)"},
    {NULL, NULL, false, NULL},
};

int cmd_events_replay(struct config *cfg, struct cmd_args *a)
{
    const char *id = cli_arg1(a, 0);
    int64_t only = 0;
    if (id == NULL || strlen(id) != 36) {
        fprintf(stderr, "connectd events replay: give the event id (a UUID, as 'events list' shows it)\n");
        return EXIT_USAGE;
    }
    if (cli_arg1(a, 1) && !parse_id("events replay", "webhook", cli_arg1(a, 1), &only))
        return EXIT_USAGE;
    struct db *db = cli_open_db(cfg);
    if (db == NULL)
        return 1;
    bool found = false;
    int n = 0;
    enum db_status st = store_event_replay(db, id, only, event_route_key_row, &found, &n);
    db_close(db);
    if (st != DB_OK)
        fprintf(stderr, "connectd events replay: database error (see log)\n");
    else if (!found)
        fprintf(stderr, "connectd events replay: no event with id %s\n", id);
    else if (n == 0)
        fprintf(stderr, "connectd events replay: %s takes event %s\n",
                only ? "that subscription no longer (or never)" : "no subscription", id);
    else
        printf("event %s: %d deliver%s queued (the same id, attempts counted from 1)\n", id, n, n == 1 ? "y" : "ies");
    return st == DB_OK && found && n > 0 ? 0 : 1;
}
