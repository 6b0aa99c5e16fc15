/* test_store_deliveries.c — src/store/webhooks.c and src/store/deliveries.c on every engine:
 * routing by partner and type (events.md §2), claims under a lease that one owner holds at a
 * time and that comes free when it runs out, outcomes (delivered, retry, dropped, released) and
 * the backlog they leave, replay, removing a subscription, and concurrent claimers never taking
 * the same delivery. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "events/envelope.h"
#include "store/store.h"
#include "store_engines.h"

DB_STMT(st_count_deliveries, "SELECT count(*) FROM delivery WHERE webhook_id = $1");
DB_STMT(st_count_all, "SELECT count(*) FROM delivery");
DB_STMT(st_delivery_state, "SELECT count(*) FROM delivery WHERE state = $1 AND attempts = $2");
DB_STMT(st_finished, "SELECT count(*) FROM outbox WHERE delivered_at IS NOT NULL");
DB_STMT(st_expire_leases, "UPDATE delivery SET lease_until = 1 WHERE lease_owner IS NOT NULL");
DB_STMT(st_due_now, "UPDATE delivery SET next_at = 0");
DB_STMT(st_event_id, "SELECT event_id FROM outbox ORDER BY id DESC");

static const char SECRET[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

struct hooks {
    int64_t acme_all, acme_created, beta_all;
};

static void add_client(struct db *db, const char *id, const char *partner)
{
    struct client_new c = {.client_id = id, .secret_hash = "hs256$x$y", .partner = partner,
                           .grants = "client_credentials", .capi_rate = -1, .token_rate = -1};
    cr_assert_eq(store_client_add(db, &c), DB_OK, "%s", db_errmsg(db));
}

static int64_t add_hook(struct db *db, const char *partner, const char *path, const struct webhook_type *t, size_t n)
{
    struct webhook_new w = {.partner = partner, .base_url = "https://hooks.example.no/base", .path = path,
                            .types = t, .ntypes = n, .auth_header = "Authorization", .auth_value = "Bearer x",
                            .secret_hex = SECRET};
    bool found = false;
    int64_t id = 0;
    cr_assert_eq(store_webhook_add(db, &w, &found, &id), DB_OK, "%s", db_errmsg(db));
    cr_assert(found && id > 0);
    return id;
}

/* Partners acme (clients acme.web) and beta (beta.web); acme subscribes to everything and, a
 * second time, to USER_CREATED at its own path; beta to everything. */
static struct hooks setup(struct db *db, const struct engine *e)
{
    migrate(db, e);
    add_client(db, "acme.web", "acme");
    add_client(db, "beta.web", "beta");
    struct webhook_type all = {.detail_type = "*"};
    struct webhook_type created[] = {{.detail_type = "USER_CREATED", .path = "/created"},
                                     {.detail_type = "ORDER_COMPLETED"}};
    return (struct hooks){.acme_all = add_hook(db, "acme", "/all", &all, 1),
                          .acme_created = add_hook(db, "acme", "", created, 2),
                          .beta_all = add_hook(db, "beta", "", &all, 1)};
}

static void append(struct db *db, const char *type, const char *source, const char *detail)
{
    json_t *d = json_loads(detail, 0, NULL);
    cr_assert_not_null(d);
    cr_assert_eq(db_begin(db), DB_OK);
    cr_assert_eq(store_outbox_append(db, type, source, d), DB_OK, "%s", db_errmsg(db));
    cr_assert_eq(db_commit(db), DB_OK);
    json_decref(d);
}

static int route(struct db *db)
{
    int n = -1;
    cr_assert_eq(store_events_route(db, 100, event_route_key_row, &n), DB_OK, "%s", db_errmsg(db));
    return n;
}

static int64_t deliveries_of(struct db *db, int64_t hook)
{
    struct db_param p = P_INT(hook);
    return one_int(db, &st_count_deliveries, &p, 1);
}

static int claim(struct db *db, const char *owner, struct delivery_job *jobs, int max)
{
    int n = -1;
    cr_assert_eq(store_delivery_claim(db, owner, 20000, max, jobs, &n), DB_OK, "%s", db_errmsg(db));
    return n;
}

static void record(struct db *db, const char *owner, const struct delivery_job *j, enum delivery_result r,
                   int64_t next_at)
{
    struct delivery_outcome o = {.id = j->id, .outbox_id = j->outbox_id, .result = r, .next_at = next_at,
                                 .status = r == DELIVERY_DELIVERED ? 200 : 500, .error = r == DELIVERY_DELIVERED ? NULL : "HTTP 500"};
    cr_assert_eq(store_delivery_record(db, owner, &o, 1), DB_OK, "%s", db_errmsg(db));
}

static int64_t state_count(struct db *db, const char *state, int attempts)
{
    struct db_param p[] = {P_TEXT(state), P_INT(attempts)};
    return one_int(db, &st_delivery_state, p, 2);
}

/* Set up, one CONSENT_GIVEN for beta routed, and its delivery claimed by owner into j. */
static void claim_beta_event(struct db *db, const struct engine *e, const char *owner, struct delivery_job *j)
{
    setup(db, e);
    append(db, "CONSENT_GIVEN", EVENT_SOURCE_CONNECT, "{\"schema\":\"BETA\"}");
    route(db);
    cr_assert_eq(claim(db, owner, j, 1), 1, "%s", e->label);
}

/* ---- routing --------------------------------------------------------------------------------- */

STORE_TEST(test_route_sends_an_event_to_its_partners_subscriptions_that_want_its_type, false)
{
    struct hooks h = setup(db, e);
    append(db, "USER_CREATED", EVENT_SOURCE_CONNECTID, "{\"uniqueId\":\"u1\",\"clientId\":\"acme.web\"}");
    append(db, "CONSENT_GIVEN", EVENT_SOURCE_CONNECT, "{\"schema\":\"BETA\"}");
    append(db, "METADATA_CHANGED", EVENT_SOURCE_CONNECTID, "{\"uniqueId\":\"u2\",\"schema\":\"ACME\"}");
    append(db, "METADATA_CHANGED", EVENT_SOURCE_CONNECTID, "{\"uniqueId\":\"u3\"}");
    cr_assert_eq(store_outbox_backlog(db), 4);
    cr_assert_eq(route(db), 4, "%s", e->label);
    cr_assert_eq(route(db), 0, "%s: routed once", e->label);
    cr_assert_eq(deliveries_of(db, h.acme_all), 2, "%s", e->label);     /* USER_CREATED, METADATA_CHANGED */
    cr_assert_eq(deliveries_of(db, h.acme_created), 1, "%s", e->label); /* USER_CREATED */
    cr_assert_eq(deliveries_of(db, h.beta_all), 1, "%s", e->label);     /* CONSENT_GIVEN */
    cr_assert_eq(one_int(db, &st_finished, NULL, 0), 1, "%s: u3 went to no one", e->label);
    cr_assert_eq(store_outbox_backlog(db), 3);
}

STORE_TEST(test_claim_loads_what_a_post_needs_and_the_types_own_path, false)
{
    struct hooks h = setup(db, e);
    append(db, "USER_CREATED", EVENT_SOURCE_CONNECTID, "{\"uniqueId\":\"u1\",\"clientId\":\"acme.web\"}");
    route(db);
    struct delivery_job jobs[4];
    cr_assert_eq(claim(db, "A", jobs, 4), 2, "%s", e->label);
    for (int i = 0; i < 2; i++) {
        const struct delivery_job *j = &jobs[i];
        cr_assert_eq(j->attempts, 0);
        cr_assert_str_eq(j->event.detail_type, "USER_CREATED");
        cr_assert_str_eq(j->event.source, EVENT_SOURCE_CONNECTID);
        cr_assert_str_eq(j->event.detail, "{\"uniqueId\":\"u1\",\"clientId\":\"acme.web\"}");
        cr_assert_eq(strlen(j->event.event_id), 36);
        cr_assert_str_eq(j->base_url, "https://hooks.example.no/base");
        cr_assert_str_eq(j->path, j->webhook_id == h.acme_all ? "/all" : "/created", "%s", e->label);
        cr_assert_str_eq(j->auth_header, "Authorization");
        cr_assert_str_eq(j->auth_value, "Bearer x");
        cr_assert_str_eq(j->secret_hex, SECRET);
    }
    delivery_job_free(&jobs[0]);
    delivery_job_free(&jobs[1]);
}

/* ---- leases ---------------------------------------------------------------------------------- */

STORE_TEST(test_a_claim_is_one_owners_until_its_lease_runs_out, false)
{
    struct delivery_job a, b;
    claim_beta_event(db, e, "A", &a);
    cr_assert_eq(claim(db, "B", &b, 1), 0, "%s: leased to A", e->label);
    cr_assert_eq(db_exec(db, &st_expire_leases, NULL, 0, NULL), DB_OK);
    cr_assert_eq(claim(db, "B", &b, 1), 1, "%s: A's lease ran out", e->label);
    cr_assert_eq(b.id, a.id);
    record(db, "A", &a, DELIVERY_DELIVERED, 0); /* too late: B holds it now */
    cr_assert_eq(state_count(db, "pending", 0), 1, "%s", e->label);
    record(db, "B", &b, DELIVERY_DELIVERED, 0);
    cr_assert_eq(state_count(db, "delivered", 1), 1, "%s", e->label);
    cr_assert_eq(store_outbox_backlog(db), 0);
    delivery_job_free(&a);
    delivery_job_free(&b);
}

STORE_TEST(test_retry_waits_for_next_at_and_the_last_failure_drops, false)
{
    struct delivery_job j;
    int64_t later = (int64_t)time(NULL) * 1000 + 60000;
    claim_beta_event(db, e, "A", &j);
    record(db, "A", &j, DELIVERY_RETRY, later);
    delivery_job_free(&j);
    cr_assert_eq(claim(db, "A", &j, 1), 0, "%s: not due yet", e->label);
    bool any = false;
    int64_t due = 0;
    cr_assert_eq(store_delivery_next_due(db, &any, &due), DB_OK);
    cr_assert(any && due == later, "%s: %lld", e->label, (long long)due);
    cr_assert_eq(db_exec(db, &st_due_now, NULL, 0, NULL), DB_OK);
    cr_assert_eq(claim(db, "A", &j, 1), 1);
    cr_assert_eq(j.attempts, 1);
    record(db, "A", &j, DELIVERY_DROPPED, 0);
    delivery_job_free(&j);
    cr_assert_eq(state_count(db, "dropped", 2), 1, "%s", e->label);
    cr_assert_eq(store_outbox_backlog(db), 0, "%s: a dropped event is finished", e->label);
    cr_assert_eq(store_delivery_next_due(db, &any, &due), DB_OK);
    cr_assert_not(any);
}

STORE_TEST(test_a_released_delivery_is_no_attempt_and_is_due_again_at_once, false)
{
    struct delivery_job j;
    claim_beta_event(db, e, "A", &j);
    record(db, "A", &j, DELIVERY_RELEASED, 0);
    delivery_job_free(&j);
    cr_assert_eq(state_count(db, "pending", 0), 1, "%s", e->label);
    cr_assert_eq(claim(db, "B", &j, 1), 1, "%s", e->label);
    delivery_job_free(&j);
    cr_assert_eq(store_delivery_release_all(db), DB_OK);
    cr_assert_eq(claim(db, "C", &j, 1), 1, "%s: release_all gave B's lease back", e->label);
    delivery_job_free(&j);
}

/* ---- operator -------------------------------------------------------------------------------- */

struct seen {
    int lines;
    char state[16];
    int attempts;
    char error[64];
};

static void see(const struct event_delivery_rec *r, void *arg)
{
    struct seen *s = arg;
    s->lines++;
    snprintf(s->state, sizeof s->state, "%s", r->has_delivery ? r->state : "none");
    s->attempts = r->attempts;
    snprintf(s->error, sizeof s->error, "%s", r->last_error);
}

STORE_TEST(test_replay_routes_an_event_again_and_failed_list_shows_drops, false)
{
    struct delivery_job j;
    claim_beta_event(db, e, "A", &j);
    record(db, "A", &j, DELIVERY_DROPPED, 0);
    delivery_job_free(&j);
    struct seen s = {0};
    cr_assert_eq(store_event_list(db, true, 10, see, &s), DB_OK);
    cr_assert_eq(s.lines, 1);
    cr_assert_str_eq(s.state, "dropped");
    cr_assert_str_eq(s.error, "HTTP 500");

    char id[37];
    bool found = false;
    cr_assert_eq(db_query_first_text(db, &st_event_id, NULL, 0, &found, id, sizeof id, NULL, 0), DB_OK);
    int n = -1;
    cr_assert_eq(store_event_replay(db, id, 0, event_route_key_row, &found, &n), DB_OK, "%s", db_errmsg(db));
    cr_assert(found && n == 1, "%s: %d", e->label, n);
    cr_assert_eq(state_count(db, "pending", 0), 1, "%s", e->label);
    cr_assert_eq(store_outbox_backlog(db), 1, "%s: replayed, so not finished", e->label);
    memset(&s, 0, sizeof s);
    cr_assert_eq(store_event_list(db, true, 10, see, &s), DB_OK);
    cr_assert_eq(s.lines, 0);
    cr_assert_eq(store_event_replay(db, "00000000-0000-4000-8000-000000000000", 0, event_route_key_row, &found, &n),
                 DB_OK);
    cr_assert_not(found);
}

STORE_TEST(test_removing_a_subscription_finishes_events_it_alone_was_pending_for, false)
{
    struct hooks h = setup(db, e);
    append(db, "CONSENT_GIVEN", EVENT_SOURCE_CONNECT, "{\"schema\":\"BETA\"}");
    route(db);
    cr_assert_eq(store_outbox_backlog(db), 1);
    bool removed = false;
    cr_assert_eq(store_webhook_remove(db, h.beta_all, &removed), DB_OK);
    cr_assert(removed);
    cr_assert_eq(one_int(db, &st_count_all, NULL, 0), 0, "%s: its deliveries went with it", e->label);
    cr_assert_eq(store_outbox_backlog(db), 0, "%s", e->label);
    cr_assert_eq(store_webhook_remove(db, h.beta_all, &removed), DB_OK);
    cr_assert_not(removed);
}

static void list_one(const struct webhook_rec *w, void *arg)
{
    snprintf(arg, 128, "%s|%s|%s", w->partner, w->path, w->types);
}

STORE_TEST(test_webhook_list_gives_types_with_their_paths, false)
{
    setup(db, e);
    char seen[128] = "";
    cr_assert_eq(store_webhook_list(db, "beta", list_one, seen), DB_OK);
    cr_assert_str_eq(seen, "beta||*");
    cr_assert_eq(store_webhook_list(db, NULL, list_one, seen), DB_OK);
    cr_assert_str_eq(seen, "beta||*", "the last one listed");
    struct webhook_type t = {.detail_type = "USER_CREATED"};
    struct webhook_new w = {.partner = "nobody", .base_url = "https://x.no", .path = "", .types = &t, .ntypes = 1,
                            .auth_header = "A", .auth_value = "b", .secret_hex = SECRET};
    bool found = true;
    int64_t id = 0;
    cr_assert_eq(store_webhook_add(db, &w, &found, &id), DB_OK);
    cr_assert_not(found);
}

/* ---- concurrency ----------------------------------------------------------------------------- */

#define CLAIMERS 4
#define EVENTS 120

struct claimer {
    const struct engine *e;
    char owner[8];
    int64_t ids[EVENTS];
    int n;
    bool ok;
};

static void *claim_all(void *arg)
{
    struct claimer *c = arg;
    char err[256];
    struct db *db = engine_try_connect(c->e, err, sizeof err);
    c->ok = db != NULL;
    for (int idle = 0; db && idle < 3;) {
        struct delivery_job jobs[4];
        int n = 0;
        if (store_delivery_claim(db, c->owner, 60000, 4, jobs, &n) != DB_OK) {
            c->ok = false;
            break;
        }
        idle = n == 0 ? idle + 1 : 0;
        for (int i = 0; i < n; i++) {
            if (c->n < EVENTS)
                c->ids[c->n++] = jobs[i].id;
            delivery_job_free(&jobs[i]);
        }
    }
    db_close(db);
    return NULL;
}

STORE_TEST(test_concurrent_claimers_never_take_the_same_delivery, true)
{
    setup(db, e);
    for (int i = 0; i < EVENTS; i++)
        append(db, "CONSENT_GIVEN", EVENT_SOURCE_CONNECT, "{\"schema\":\"BETA\"}");
    cr_assert_eq(route(db), 100);
    cr_assert_eq(route(db), EVENTS - 100);
    struct claimer c[CLAIMERS];
    pthread_t t[CLAIMERS];
    for (int i = 0; i < CLAIMERS; i++) {
        c[i] = (struct claimer){.e = e};
        snprintf(c[i].owner, sizeof c[i].owner, "c%d", i);
        cr_assert_eq(pthread_create(&t[i], NULL, claim_all, &c[i]), 0);
    }
    int total = 0;
    static bool seen[EVENTS * 4 + 1];
    memset(seen, 0, sizeof seen);
    for (int i = 0; i < CLAIMERS; i++) {
        pthread_join(t[i], NULL);
        cr_assert(c[i].ok, "%s: claimer %d failed", e->label, i);
        for (int k = 0; k < c[i].n; k++) {
            int64_t id = c[i].ids[k];
            cr_assert(id > 0 && id <= EVENTS * 4);
            cr_assert_not(seen[id], "%s: delivery %lld claimed twice", e->label, (long long)id);
            seen[id] = true;
        }
        total += c[i].n;
    }
    cr_assert_eq(total, EVENTS, "%s", e->label);
}

STORE_TEST(test_events_written_before_webhooks_existed_are_finished_by_the_migration, false)
{
    char err[256] = "";
    cr_assert(store_migrate_to(db, 4, err, sizeof err), "%s: %s", e->label, err);
    append(db, "USER_CREATED", EVENT_SOURCE_CONNECTID, "{\"uniqueId\":\"u0\"}");
    cr_assert_eq(store_outbox_backlog(db), 1);
    migrate(db, e);
    cr_assert_eq(store_outbox_backlog(db), 0, "%s", e->label);
    cr_assert_eq(route(db), 0, "%s: nothing left to route", e->label);
}
