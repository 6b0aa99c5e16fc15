/* demo.c — the demo tenant that `make run` starts with (store.h: store_demo_load): one
 * partner, its companies, products and customers, and a client allowed client_credentials.
 * Loaded in one transaction and only into a database with no partner at all, so it never
 * mixes with real data; the client's fresh secret goes back to the caller to print once. */
#include <string.h>

#include "store/driver.h"
#include "store/store.h"
#include "util/crypto.h"
#include "util/log.h"

struct demo_company {
    const char *code, *name;
};

struct demo_product {
    const char *code, *company, *name, *type;
};

struct demo_customer {
    int64_t number;
    const char *first, *last, *company, *email;
};

static const struct demo_company companies[] = {
    {"468979834", "Demo Avis AS"},
    {"987654321", "Demo Magasin AS"},
};

static const struct demo_product products[] = {
    {"CO27409", "468979834", "Demo Avis Digital", "SUBSCRIPTION"},
    {"CO27410", "468979834", "Demo Avis Papir + Digital", "SUBSCRIPTION"},
    {"CO27411", "468979834", "Demo Avis Lørdag", "ISSUE"},
    {"CO31502", "987654321", "Demo Magasin Abonnement", "SUBSCRIPTION"},
    {"CO31503", "987654321", "Demo Magasin Enkeltnummer", "SINGLE"},
};

static const struct demo_customer customers[] = {
    {563457, "Kari", "Nordmann", NULL, "kari.nordmann@example.no"},
    {563458, "Ola", "Nordmann", NULL, "ola.nordmann@example.no"},
    {563459, "Ingrid", "Bakken", NULL, "ingrid.bakken@example.no"},
    {563460, "Lars", "Haugen", NULL, "lars.haugen@example.no"},
    {563461, NULL, NULL, "Fjordbris Kafé AS", "post@fjordbris.example.no"},
};

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

DB_STMT(st_any_partner, "SELECT count(*) FROM partner");
DB_STMT(st_partner, "INSERT INTO partner (id, name, schema_id, created_at) VALUES ($1, $2, $3, $4)");
DB_STMT(st_company, "INSERT INTO company (code, partner_id, name) VALUES ($1, $2, $3)");
DB_STMT(st_product, "INSERT INTO product (code, company_code, name, product_type) VALUES ($1, $2, $3, $4)");
DB_STMT(st_customer, "INSERT INTO customer (customer_number, partner_id, first_name, last_name, company_name,\n"
                     " email, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)");
/* The demo client may register every external credential type (identity.md §3.2). */
DB_STMT(st_client, "INSERT INTO client (client_id, secret_hash, partner_id, grants, redirect_uris, created_at,\n"
                   " updated_at, extid_types) VALUES ($1, $2, $3, 'client_credentials,extid_code,refresh_token', '',\n"
                   " $4, $4, 'DEHILMXZ')");

static bool database_is_empty(struct db *db, enum db_status *s)
{
    struct db_rows *r = NULL;
    *s = db_query(db, &st_any_partner, NULL, 0, &r);
    if (*s != DB_OK)
        return false;
    bool empty = db_next(r) && db_int(r, 0) == 0;
    *s = db_rows_status(r);
    db_rows_free(r);
    return empty;
}

static enum db_status insert_catalogue(struct db *db, int64_t now)
{
    struct db_param pp[] = {P_TEXT(DEMO_PARTNER), P_TEXT("Demo Media AS"), P_TEXT("CNxx"), P_INT(now)};
    enum db_status s = db_exec(db, &st_partner, pp, 4, NULL);
    for (int i = 0; s == DB_OK && i < N(companies); i++) {
        struct db_param p[] = {P_TEXT(companies[i].code), P_TEXT(DEMO_PARTNER), P_TEXT(companies[i].name)};
        s = db_exec(db, &st_company, p, 3, NULL);
    }
    for (int i = 0; s == DB_OK && i < N(products); i++) {
        const struct demo_product *d = &products[i];
        struct db_param p[] = {P_TEXT(d->code), P_TEXT(d->company), P_TEXT(d->name), P_TEXT(d->type)};
        s = db_exec(db, &st_product, p, 4, NULL);
    }
    for (int i = 0; s == DB_OK && i < N(customers); i++) {
        const struct demo_customer *c = &customers[i];
        struct db_param p[] = {P_INT(c->number),         P_TEXT(DEMO_PARTNER),    P_TEXT_OR_NULL(c->first),
                               P_TEXT_OR_NULL(c->last),  P_TEXT_OR_NULL(c->company), P_TEXT(c->email),
                               P_INT(now)};
        s = db_exec(db, &st_customer, p, 7, NULL);
    }
    return s;
}

static enum db_status insert_client(struct db *db, int64_t now, char secret[44])
{
    char hash[SECRET_HASH_MAX];
    if (!secret_generate(secret) || !secret_hash(secret, hash)) {
        log_error("store: cannot generate the demo client secret");
        return DB_ERROR;
    }
    struct db_param p[] = {P_TEXT(DEMO_CLIENT_ID), P_TEXT(hash), P_TEXT(DEMO_PARTNER), P_INT(now)};
    return db_exec(db, &st_client, p, 4, NULL);
}

enum db_status store_demo_load(struct db *db, bool *loaded, char *secret_out, size_t cap)
{
    *loaded = false;
    char secret[44];
    if (secret_out == NULL || cap < sizeof secret)
        return DB_ERROR;
    enum db_status s = db_begin(db);
    if (s != DB_OK)
        return s;
    if (!database_is_empty(db, &s)) {
        db_rollback(db);
        return s;
    }
    int64_t now = db_now_ms();
    s = insert_catalogue(db, now);
    if (s == DB_OK)
        s = insert_client(db, now, secret);
    if (s == DB_OK)
        s = db_commit(db);
    else
        db_rollback(db);
    if (s == DB_OK) {
        memcpy(secret_out, secret, sizeof secret);
        *loaded = true;
    }
    explicit_bzero(secret, sizeof secret);
    /* A concurrent loader (PostgreSQL) got there first: the demo data exists, so not an error. */
    return s == DB_CONSTRAINT ? DB_OK : s;
}
