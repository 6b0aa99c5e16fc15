/* test_store_clients.c — src/store/clients.c (store.h "clients") on every engine, through the
 * harness in store_engines.h: add, get, list, remove, the per-client settings of migration 2
 * with their defaults, partial update and secret rotation. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "store/db.h"
#include "store/store.h"
#include "store_engines.h"

DB_STMT(st_count_partners, "SELECT count(*) FROM partner");
DB_STMT(st_count_clients, "SELECT count(*) FROM client");

/* ---- add, get, list, remove -------------------------------------------------------------- */

DB_STMT(st_partner_schema, "SELECT schema_id, name FROM partner WHERE id = $1");

static struct client_new client(const char *id, const char *partner)
{
    return (struct client_new){.client_id = id, .secret_hash = "hs256$x$y", .partner = partner,
                               .grants = "client_credentials,authorization_code",
                               .redirect_uris = "https://a.example/cb\nhttps://b.example/cb",
                               .capi_rate = -1, .token_rate = -1}; /* defaults (0 would be unlimited) */
}

struct listing {
    char ids[8][32];
    int n;
};

static void collect(const struct client_rec *c, void *arg)
{
    struct listing *l = arg;
    if (l->n < 8)
        snprintf(l->ids[l->n++], sizeof l->ids[0], "%s", c->client_id);
}

STORE_TEST(test_client_add_get_list_remove, false)
{
    migrate(db, e);
    struct client_new c1 = client("c1.example", "acme");
    cr_assert_eq(store_client_add(db, &c1), DB_OK, "%s: %s", e->label, db_errmsg(db));

    bool found = false;
    struct client_rec rec;
    cr_assert_eq(store_client_get(db, "c1.example", &found, &rec), DB_OK);
    cr_assert(found);
    cr_assert_str_eq(rec.client_id, "c1.example");
    cr_assert_str_eq(rec.secret_hash, "hs256$x$y");
    cr_assert_str_eq(rec.partner, "acme");
    cr_assert_str_eq(rec.grants, "client_credentials,authorization_code");
    cr_assert_str_eq(rec.redirect_uris, "https://a.example/cb\nhttps://b.example/cb");
    cr_assert(rec.created_at > 1600000000000LL);
    client_rec_free(&rec);
    cr_assert_null(rec.client_id);

    struct db_param pid = P_TEXT("acme");
    struct db_rows *r = NULL;
    cr_assert_eq(db_query(db, &st_partner_schema, &pid, 1, &r), DB_OK);
    cr_assert(db_next(r), "%s: partner created", e->label);
    cr_assert_str_eq(db_text(r, 0), "ACME");
    cr_assert_str_eq(db_text(r, 1), "acme");
    db_rows_free(r);

    struct client_new c2 = client("c2.example", "acme"), c0 = client("c0.example", "acme");
    c0.redirect_uris = NULL;
    cr_assert_eq(store_client_add(db, &c2), DB_OK, "%s: partner already there", e->label);
    cr_assert_eq(store_client_add(db, &c0), DB_OK);
    cr_assert_eq(one_int(db, &st_count_partners, NULL, 0), 1);

    struct listing l = {.n = 0};
    cr_assert_eq(store_client_list(db, collect, &l), DB_OK);
    cr_assert_eq(l.n, 3);
    cr_assert_str_eq(l.ids[0], "c0.example");
    cr_assert_str_eq(l.ids[1], "c1.example");
    cr_assert_str_eq(l.ids[2], "c2.example");

    bool removed = false;
    cr_assert_eq(store_client_remove(db, "c1.example", &removed), DB_OK);
    cr_assert(removed);
    cr_assert_eq(store_client_remove(db, "c1.example", &removed), DB_OK);
    cr_assert_not(removed);
    cr_assert_eq(store_client_get(db, "c1.example", &found, &rec), DB_OK);
    cr_assert_not(found);
    cr_assert_eq(store_client_get(db, "c0.example", &found, &rec), DB_OK);
    cr_assert(found);
    cr_assert_str_eq(rec.redirect_uris, "", "NULL redirect URIs are stored as empty");
    client_rec_free(&rec);
}

STORE_TEST(test_adding_an_existing_client_id_is_db_constraint, false)
{
    migrate(db, e);
    struct client_new c = client("dup.example", "acme");
    cr_assert_eq(store_client_add(db, &c), DB_OK);
    struct client_new again = client("dup.example", "other");
    cr_assert_eq(store_client_add(db, &again), DB_CONSTRAINT, "%s", e->label);
    cr_assert_eq(one_int(db, &st_count_clients, NULL, 0), 1);
    cr_assert_eq(one_int(db, &st_count_partners, NULL, 0), 1, "%s: the second partner was rolled back", e->label);
    bool found = false;
    struct client_rec rec;
    cr_assert_eq(store_client_get(db, "dup.example", &found, &rec), DB_OK);
    cr_assert_str_eq(rec.partner, "acme", "the original is untouched");
    client_rec_free(&rec);
}

/* ---- settings, update, secret ------------------------------------------------------------ */

static struct client_rec get_client(struct db *db, const struct engine *e, const char *id)
{
    bool found = false;
    struct client_rec rec;
    cr_assert_eq(store_client_get(db, id, &found, &rec), DB_OK, "%s: %s", e->label, db_errmsg(db));
    cr_assert(found, "%s: %s exists", e->label, id);
    return rec;
}

STORE_TEST(test_client_added_without_settings_gets_the_defaults, false)
{
    migrate(db, e);
    struct client_new c = client("d.example", "acme");
    cr_assert_eq(store_client_add(db, &c), DB_OK, "%s: %s", e->label, db_errmsg(db));
    struct client_rec rec = get_client(db, e, "d.example");
    cr_assert_eq(rec.access_ttl, 43200, "%s", e->label);
    cr_assert_eq(rec.refresh_ttl, 2592000);
    cr_assert_eq(rec.capi_rate, 1000);
    cr_assert_eq(rec.token_rate, 100);
    cr_assert_eq(rec.updated_at, rec.created_at);
    client_rec_free(&rec);
}

struct settings_seen {
    int64_t access_ttl, refresh_ttl, capi_rate, token_rate;
    int n;
};

static void collect_settings(const struct client_rec *c, void *arg)
{
    struct settings_seen *s = arg;
    *s = (struct settings_seen){c->access_ttl, c->refresh_ttl, c->capi_rate, c->token_rate, s->n + 1};
}

STORE_TEST(test_client_settings_round_trip_and_a_zero_rate_means_unlimited, false)
{
    migrate(db, e);
    struct client_new c = client("s.example", "acme");
    c.access_ttl = 60;
    c.refresh_ttl = 3600;
    c.capi_rate = 0;
    c.token_rate = 5;
    cr_assert_eq(store_client_add(db, &c), DB_OK, "%s: %s", e->label, db_errmsg(db));
    struct client_rec rec = get_client(db, e, "s.example");
    cr_assert_eq(rec.access_ttl, 60, "%s", e->label);
    cr_assert_eq(rec.refresh_ttl, 3600);
    cr_assert_eq(rec.capi_rate, 0, "%s: 0 is stored, not replaced by the default", e->label);
    cr_assert_eq(rec.token_rate, 5);
    client_rec_free(&rec);
    struct settings_seen seen = {0};
    cr_assert_eq(store_client_list(db, collect_settings, &seen), DB_OK);
    cr_assert_eq(seen.n, 1);
    cr_assert(seen.access_ttl == 60 && seen.refresh_ttl == 3600 && seen.capi_rate == 0 && seen.token_rate == 5,
              "%s: list carries the settings too", e->label);
}

STORE_TEST(test_client_settings_out_of_range_are_db_constraint, false)
{
    migrate(db, e);
    struct client_new c = client("bad.example", "acme");
    c.access_ttl = -5;
    cr_assert_eq(store_client_add(db, &c), DB_CONSTRAINT, "%s: negative lifetime", e->label);
    c = client("bad.example", "acme");
    c.capi_rate = -2;
    cr_assert_eq(store_client_add(db, &c), DB_CONSTRAINT, "%s: negative rate", e->label);
    cr_assert_eq(one_int(db, &st_count_clients, NULL, 0), 0);

    c = client("ok.example", "acme");
    cr_assert_eq(store_client_add(db, &c), DB_OK);
    struct client_update u = {.access_ttl = 0, .refresh_ttl = -1, .capi_rate = -1, .token_rate = -1};
    bool found = true;
    cr_assert_eq(store_client_update(db, "ok.example", &u, &found), DB_CONSTRAINT, "%s: zero lifetime", e->label);
    cr_assert_not(found);
    struct client_rec rec = get_client(db, e, "ok.example");
    cr_assert_eq(rec.access_ttl, CLIENT_ACCESS_TTL_DEFAULT, "unchanged");
    client_rec_free(&rec);
}

STORE_TEST(test_client_update_changes_only_the_given_fields, false)
{
    migrate(db, e);
    struct client_new c = client("u.example", "acme");
    c.access_ttl = 600;
    cr_assert_eq(store_client_add(db, &c), DB_OK);
    struct client_rec before = get_client(db, e, "u.example");
    usleep(2000); /* updated_at must move */

    struct client_update u = {.grants = "refresh_token", .access_ttl = -1, .refresh_ttl = 7200, .capi_rate = 0,
                              .token_rate = -1};
    bool found = false;
    cr_assert_eq(store_client_update(db, "u.example", &u, &found), DB_OK, "%s: %s", e->label, db_errmsg(db));
    cr_assert(found);
    struct client_rec rec = get_client(db, e, "u.example");
    cr_assert_str_eq(rec.grants, "refresh_token", "%s", e->label);
    cr_assert_eq(rec.refresh_ttl, 7200);
    cr_assert_eq(rec.capi_rate, 0);
    cr_assert_str_eq(rec.partner, "acme", "unchanged");
    cr_assert_str_eq(rec.redirect_uris, before.redirect_uris, "unchanged");
    cr_assert_str_eq(rec.secret_hash, before.secret_hash, "unchanged");
    cr_assert_eq(rec.access_ttl, 600, "unchanged");
    cr_assert_eq(rec.token_rate, CLIENT_TOKEN_RATE_DEFAULT, "unchanged");
    cr_assert_eq(rec.created_at, before.created_at);
    cr_assert_gt(rec.updated_at, before.updated_at, "%s", e->label);
    client_rec_free(&rec);
    client_rec_free(&before);

    u = (struct client_update){.partner = "newp", .redirect_uris = "", .access_ttl = -1, .refresh_ttl = -1,
                               .capi_rate = -1, .token_rate = -1};
    cr_assert_eq(store_client_update(db, "u.example", &u, &found), DB_OK, "%s: %s", e->label, db_errmsg(db));
    rec = get_client(db, e, "u.example");
    cr_assert_str_eq(rec.partner, "newp", "%s", e->label);
    cr_assert_str_eq(rec.redirect_uris, "", "an empty list clears the URIs");
    cr_assert_str_eq(rec.grants, "refresh_token");
    client_rec_free(&rec);
    struct db_param pid = P_TEXT("newp");
    struct db_rows *r = NULL;
    cr_assert_eq(db_query(db, &st_partner_schema, &pid, 1, &r), DB_OK);
    cr_assert(db_next(r), "%s: partner created as add does", e->label);
    cr_assert_str_eq(db_text(r, 0), "NEWP");
    db_rows_free(r);

    u.partner = "ghostp";
    cr_assert_eq(store_client_update(db, "nobody.example", &u, &found), DB_OK);
    cr_assert_not(found, "%s", e->label);
    cr_assert_eq(one_int(db, &st_count_partners, NULL, 0), 2, "%s: no partner for an unknown client", e->label);
}

STORE_TEST(test_client_set_secret_replaces_only_the_hash, false)
{
    migrate(db, e);
    struct client_new c = client("r.example", "acme");
    cr_assert_eq(store_client_add(db, &c), DB_OK);
    bool found = false;
    cr_assert_eq(store_client_set_secret(db, "r.example", "hs256$new$z", &found), DB_OK, "%s", e->label);
    cr_assert(found);
    struct client_rec rec = get_client(db, e, "r.example");
    cr_assert_str_eq(rec.secret_hash, "hs256$new$z", "%s", e->label);
    cr_assert_str_eq(rec.grants, "client_credentials,authorization_code");
    cr_assert_geq(rec.updated_at, rec.created_at);
    client_rec_free(&rec);
    cr_assert_eq(store_client_set_secret(db, "nobody.example", "hs256$new$z", &found), DB_OK);
    cr_assert_not(found, "%s", e->label);
}
