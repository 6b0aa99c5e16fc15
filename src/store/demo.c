/* demo.c — the demo tenant that `make run` starts with (store.h: store_demo_load): one
 * partner, its companies, a catalogue, customers with addresses, categories and
 * subscriptions, a ConnectID user linked to the first customer, and a client allowed
 * client_credentials, extid_code and refresh_token. The records are JSON lines read by the
 * importer (store_import_line), so the demo is also the importer's example. Loaded in one
 * transaction and only into a database with no partner at all, so it never mixes with real
 * data; the client's fresh secret goes back to the caller to print once. */
#include <stdio.h>
#include <string.h>

#include "codec/date.h"
#include "store/catalogue.h"
#include "store/customer_internal.h"
#include "store/driver.h"
#include "store/store.h"
#include "util/crypto.h"
#include "util/log.h"

struct demo_company {
    const char *code, *name;
};

static const struct demo_company companies[] = {
    {"468979834", "Demo Avis AS"},
    {"987654321", "Demo Magasin AS"},
};

/* The demo user: the uniqueId of the reference's examples, an e-mail credential (log in on
 * /user/login with it; the one-time code shows up in /user/sandbox/messages). */
#define DEMO_USER "6ba7b8149dad11d180b400c04fd430c8"
#define DEMO_USER_EMAIL "kari.nordmann@example.no"

struct demo_line {
    enum import_kind kind;
    const char *json;
};

static const struct demo_line lines[] = {
    {IMPORT_CATEGORIES, "{\"categoryType\":\"SWISJ\",\"description\":\"Skoleabonnement\"}"},
    {IMPORT_CATEGORIES, "{\"categoryType\":\"SWISJ\",\"categoryCode\":\"A1\",\"description\":\"Grunnskole\"}"},
    {IMPORT_CATEGORIES, "{\"categoryType\":\"SWISJ\",\"categoryCode\":\"B2\",\"description\":\"Videregående\"}"},
    {IMPORT_CATEGORIES, "{\"categoryType\":\"BEDR\",\"description\":\"Bedriftskunde\"}"},
    {IMPORT_CATEGORIES, "{\"categoryType\":\"BEDR\",\"categoryCode\":\"SMB\",\"description\":\"Små og mellomstore\"}"},
    {IMPORT_PRODUCTS, "{\"companyCode\":\"468979834\",\"product\":\"CO27409\",\"description\":\"Demo Avis Digital\","
                      "\"productType\":\"subscription\",\"startTime\":\"2019-01-01\",\"currency\":\"NOK\","
                      "\"webOfferPrice\":249,\"retailPrice\":299,\"vatPercent\":0,\"digital\":true,\"shop\":true}"},
    {IMPORT_PRODUCTS, "{\"companyCode\":\"468979834\",\"product\":\"CO27410\",\"description\":\"Demo Avis Papir + "
                      "Digital\",\"productType\":\"subscription\",\"startTime\":\"2019-01-01\",\"weight\":0.2,"
                      "\"currency\":\"NOK\",\"webOfferPrice\":449,\"retailPrice\":499,\"vatPercent\":0,"
                      "\"digital\":false,\"shop\":true}"},
    {IMPORT_PRODUCTS, "{\"companyCode\":\"468979834\",\"product\":\"CO27411\",\"description\":\"Demo Avis Lørdag\","
                      "\"productType\":\"single\",\"weight\":0.3,\"currency\":\"NOK\",\"retailPrice\":49,"
                      "\"vatPercent\":0,\"digital\":false}"},
    {IMPORT_PRODUCTS, "{\"companyCode\":\"987654321\",\"product\":\"CO31502\",\"description\":\"Demo Magasin "
                      "Abonnement\",\"productType\":\"subscription\",\"currency\":\"NOK\",\"retailPrice\":89.5,"
                      "\"vatPercent\":25,\"digital\":false,\"shop\":true}"},
    {IMPORT_PRODUCTS, "{\"companyCode\":\"987654321\",\"product\":\"CO31503\",\"description\":\"Demo Magasin "
                      "Enkeltnummer\",\"productType\":\"single\",\"currency\":\"NOK\",\"retailPrice\":79,"
                      "\"vatPercent\":25,\"digital\":false}"},
    {IMPORT_CUSTOMERS, "{\"customerNumber\":563457,\"uniqueUserId\":\"" DEMO_USER "\",\"firstName\":\"Kari\","
                       "\"lastName\":\"Nordmann\",\"birthDate\":\"1985-03-14\",\"sex\":\"female\","
                       "\"emails\":[\"" DEMO_USER_EMAIL "\"],\"phoneNumbers\":[\"+4791234567\"],"
                       "\"invoiceEmailAddress\":\"" DEMO_USER_EMAIL "\",\"address\":{\"streetAddress\":"
                       "\"Grubbegata\",\"streetNumber\":6,\"entrance\":\"A\",\"postalCode\":\"0179\","
                       "\"postalPlace\":\"Oslo\",\"countryCode\":\"NO\"},\"categories\":[{\"categoryType\":\"SWISJ\","
                       "\"categoryCode\":\"A1\",\"freeValue\":\"Oslo kommune\"}]}"},
    {IMPORT_CUSTOMERS, "{\"customerNumber\":563458,\"firstName\":\"Ola\",\"lastName\":\"Nordmann\",\"sex\":\"male\","
                       "\"emails\":[\"ola.nordmann@example.no\",\"ola.nordmann@company.example\"],"
                       "\"phoneNumbers\":[\"+4723339100\"],\"address\":{\"streetAddress\":\"Storgata\","
                       "\"streetNumber\":12,\"postalCode\":\"0155\",\"postalPlace\":\"Oslo\",\"countryCode\":\"NO\"}}"},
    {IMPORT_CUSTOMERS, "{\"customerNumber\":563459,\"firstName\":\"Ingrid\",\"lastName\":\"Bakken\","
                       "\"emails\":[\"ingrid.bakken@example.no\"],\"address\":{\"streetAddress\":\"Bryggen\","
                       "\"streetNumber\":3,\"floorType\":\"H\",\"floor\":2,\"postalCode\":\"5003\","
                       "\"postalPlace\":\"Bergen\",\"countryCode\":\"NO\"}}"},
    {IMPORT_CUSTOMERS, "{\"customerNumber\":563460,\"firstName\":\"Lars\",\"lastName\":\"Haugen\","
                       "\"emails\":[\"lars.haugen@example.no\"],\"phoneNumbers\":[\"+4799887766\"],"
                       "\"address\":{\"streetAddress\":\"Munkegata\",\"streetNumber\":10,\"postalCode\":\"7011\","
                       "\"postalPlace\":\"Trondheim\",\"postalAddress\":\"Postboks 123\","
                       "\"postalAddressPostalCode\":\"7401\",\"postalAddressPostalPlace\":\"Trondheim\","
                       "\"countryCode\":\"NO\"}}"},
    {IMPORT_CUSTOMERS, "{\"customerNumber\":563461,\"companyName\":\"Fjordbris Kafé AS\","
                       "\"companyRegistrationNumber\":\"912345678\",\"departmentName\":\"Innkjøp\","
                       "\"emails\":[\"post@fjordbris.example.no\"],\"address\":{\"careOfAddress\":\"v/ Kari Fjord\","
                       "\"streetAddress\":\"Strandkaien\",\"streetNumber\":1,\"postalCode\":\"4005\","
                       "\"postalPlace\":\"Stavanger\",\"countryCode\":\"NO\"},\"categories\":[{\"categoryType\":"
                       "\"BEDR\",\"categoryCode\":\"SMB\"}]}"},
    {IMPORT_SUBSCRIPTIONS, "{\"customerNumber\":563457,\"companyCode\":\"468979834\",\"product\":\"CO27409\","
                           "\"startTime\":\"2024-01-01\",\"copies\":1,\"couponCode\":\"WMDigi\",\"couponNumber\":5223,"
                           "\"paymentMethod\":\"invoice\",\"distributionLevel\":\"N\"}"},
    {IMPORT_SUBSCRIPTIONS, "{\"customerNumber\":563457,\"companyCode\":\"987654321\",\"product\":\"CO31502\","
                           "\"startTime\":\"2024-06-01\",\"paymentMethod\":\"invoice\"}"},
    {IMPORT_SUBSCRIPTIONS, "{\"customerNumber\":563458,\"companyCode\":\"468979834\",\"product\":\"CO27410\","
                           "\"startTime\":\"2023-09-01\",\"paymentMethod\":\"invoice\"}"},
    {IMPORT_SUBSCRIPTIONS, "{\"customerNumber\":563461,\"companyCode\":\"468979834\",\"product\":\"CO27410\","
                           "\"startTime\":\"2022-02-01\",\"copies\":3,\"paymentMethod\":\"invoice\"}"},
};

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define DAY_MS (24LL * 3600 * 1000)

DB_STMT(st_any_partner, "SELECT count(*) FROM partner");
DB_STMT(st_partner, "INSERT INTO partner (id, name, schema_id, created_at) VALUES ($1, $2, $3, $4)");
DB_STMT(st_company, "INSERT INTO company (code, partner_id, name) VALUES ($1, $2, $3)");
/* The demo client may register every external credential type (identity.md §3.2). */
DB_STMT(st_client, "INSERT INTO client (client_id, secret_hash, partner_id, grants, redirect_uris, created_at,\n"
                   " updated_at, extid_types) VALUES ($1, $2, $3, 'client_credentials,extid_code,refresh_token', '',\n"
                   " $4, $4, 'DEHILMXZ')");
DB_STMT(st_user, "INSERT INTO users (unique_id, state, created_at, updated_at, created_partner)\n"
                 " VALUES ($1, 'ACTIVE', $2, $2, $3)");
DB_STMT(st_credential, "INSERT INTO credential (scope, credential, credential_type, external_id, user_id, created_at)\n"
                       " VALUES ('', $1, 'A', NULL, $2, $3)");
DB_STMT(st_external_profile, "INSERT INTO user_external_profile (user_id, source, info, created_at)\n"
                             " VALUES ($1, 'Vipps', $2, $3)");

static const char VIPPS_PROFILE[] =
    "{\"birthDate\":479602800000,\"name\":{\"firstName\":\"Kari\",\"lastName\":\"Nordmann\"},"
    "\"phoneNumbers\":[\"+4791234567\"],\"emails\":[\"" DEMO_USER_EMAIL "\"],\"addresses\":[{\"addressType\":\"home\","
    "\"streetAddress\":\"Grubbegata 6\",\"postalCode\":\"0179\",\"postalPlace\":\"Oslo\",\"countryCode\":\"NO\"}]}";

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

static enum db_status insert_tenant(struct db *db, int64_t now)
{
    struct db_param pp[] = {P_TEXT(DEMO_PARTNER), P_TEXT("Demo Media AS"), P_TEXT("CNxx"), P_INT(now)};
    enum db_status s = db_exec(db, &st_partner, pp, 4, NULL);
    for (int i = 0; s == DB_OK && i < N(companies); i++) {
        struct db_param p[] = {P_TEXT(companies[i].code), P_TEXT(DEMO_PARTNER), P_TEXT(companies[i].name)};
        s = db_exec(db, &st_company, p, 3, NULL);
    }
    struct db_param up[] = {P_TEXT(DEMO_USER), P_INT(now), P_TEXT(DEMO_PARTNER)};
    struct db_param cp[] = {P_TEXT(DEMO_USER_EMAIL), P_TEXT(DEMO_USER), P_INT(now)};
    struct db_param xp[] = {P_TEXT(DEMO_USER), P_TEXT(VIPPS_PROFILE), P_INT(now)};
    if (s == DB_OK)
        s = db_exec(db, &st_user, up, 3, NULL);
    if (s == DB_OK)
        s = db_exec(db, &st_credential, cp, 3, NULL);
    if (s == DB_OK)
        s = db_exec(db, &st_external_profile, xp, 3, NULL);
    return s;
}

static enum db_status insert_lines(struct db *db, h2o_mem_pool_t *pool)
{
    for (int i = 0; i < N(lines); i++) {
        char err[256];
        bool db_failed = false;
        if (!store_import_line(db, lines[i].kind, DEMO_PARTNER, lines[i].json, strlen(lines[i].json), pool, err,
                               sizeof err, &db_failed)) {
            log_error("store: demo line %d refused: %s", i + 1, err);
            return DB_ERROR;
        }
    }
    return DB_OK;
}

/* Kari's address history: a move two years back, and a temporary address for the digital
 * paper starting next week. */
static enum db_status insert_address_history(struct db *db, int64_t now, h2o_mem_pool_t *pool)
{
    int64_t today = date_day_start(now), id;
    static const char *const products[] = {"CO27409"};
    struct address old = {.kind = ADDRESS_HISTORICAL, .street = "Postboks 6300, ETTERSTAD", .postal_code = "0603",
                          .postal_place = "Oslo", .country_code = "NO",
                          .start_time = {true, today - 1500 * DAY_MS}, .end_time = {true, today - 400 * DAY_MS}};
    struct address away = {.kind = ADDRESS_TEMPORARY, .street = "Møllergata", .street_number = {true, 3},
                           .entrance = "A", .postal_code = "0179", .postal_place = "Oslo", .country_code = "NO",
                           .start_time = {true, today + 7 * DAY_MS}, .end_time = {true, today + 21 * DAY_MS},
                           .products = {1, (const char **)products}};
    enum db_status s = address_insert(db, 563457, &old, pool, &id);
    return s == DB_OK ? address_insert(db, 563457, &away, pool, &id) : s;
}

static enum db_status insert_catalogue(struct db *db, int64_t now)
{
    h2o_mem_pool_t pool;
    h2o_mem_init_pool(&pool);
    enum db_status s = insert_tenant(db, now);
    if (s == DB_OK)
        s = insert_lines(db, &pool);
    if (s == DB_OK)
        s = insert_address_history(db, now, &pool);
    if (s == DB_OK)
        s = store_import_finish_batch(db);
    h2o_mem_clear_pool(&pool);
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
    s = db_finish(db, s);
    if (s == DB_OK) {
        memcpy(secret_out, secret, sizeof secret);
        *loaded = true;
    }
    explicit_bzero(secret, sizeof secret);
    /* A concurrent loader (PostgreSQL) got there first: the demo data exists, so not an error. */
    return s == DB_CONSTRAINT ? DB_OK : s;
}
