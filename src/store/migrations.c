/* migrations.c — the schema, as an ordered list of versioned migrations, and the code that
 * brings a database up to the latest one (store.h: store_migrate).
 * SQL is written once for both engines; the few spots where they differ are tokens replaced
 * at run time (@ID@ for an auto-increment key, @BLOB@ for bytes). Migrations are append-only:
 * never edit one that has shipped, add the next version instead. All times are epoch ms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/driver.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/log.h"

struct migration {
    int version;
    const char *name;
    const char *sql;
};

/* SQLite quirk: a non-INTEGER PRIMARY KEY column accepts NULL unless declared NOT NULL. */
static const struct migration migrations[] = {
    {1, "foundation",
     "CREATE TABLE partner (\n"
     "    id TEXT NOT NULL PRIMARY KEY,\n"
     "    name TEXT NOT NULL,\n"
     "    schema_id TEXT NOT NULL UNIQUE,\n"
     "    created_at BIGINT NOT NULL\n"
     ");\n"
     "CREATE TABLE company (\n"
     "    code TEXT NOT NULL PRIMARY KEY,\n"
     "    partner_id TEXT NOT NULL REFERENCES partner(id),\n"
     "    name TEXT NOT NULL\n"
     ");\n"
     "CREATE TABLE product (\n"
     "    code TEXT NOT NULL PRIMARY KEY,\n"
     "    company_code TEXT NOT NULL REFERENCES company(code),\n"
     "    name TEXT NOT NULL,\n"
     "    product_type TEXT NOT NULL\n"
     ");\n"
     "CREATE TABLE customer (\n"
     "    customer_number BIGINT NOT NULL PRIMARY KEY,\n"
     "    partner_id TEXT NOT NULL REFERENCES partner(id),\n"
     "    first_name TEXT,\n"
     "    last_name TEXT,\n"
     "    company_name TEXT,\n"
     "    email TEXT,\n"
     "    created_at BIGINT NOT NULL,\n"
     "    updated_at BIGINT NOT NULL\n"
     ");\n"
     "CREATE INDEX customer_partner ON customer (partner_id);\n"
     "CREATE TABLE client (\n"
     "    client_id TEXT NOT NULL PRIMARY KEY,\n"
     "    secret_hash TEXT NOT NULL,\n"
     "    partner_id TEXT NOT NULL REFERENCES partner(id),\n"
     "    grants TEXT NOT NULL,\n"
     "    redirect_uris TEXT NOT NULL DEFAULT '',\n"
     "    created_at BIGINT NOT NULL\n"
     ");\n"
     "CREATE TABLE outbox (\n"
     "    id @ID@,\n"
     "    event_id TEXT NOT NULL UNIQUE,\n"
     "    detail_type TEXT NOT NULL,\n"
     "    source TEXT NOT NULL,\n"
     "    detail TEXT NOT NULL,\n"
     "    created_at BIGINT NOT NULL,\n"
     "    delivered_at BIGINT\n"
     ");\n"
     "CREATE INDEX outbox_undelivered ON outbox (id) WHERE delivered_at IS NULL;\n"
     "CREATE TABLE setting (\n"
     "    name TEXT NOT NULL PRIMARY KEY,\n"
     "    value TEXT NOT NULL\n"
     ");\n"},
    /* Per-client token lifetimes and rate limits (spec README §10, §13; identity.md §3.2) and
     * the tokens themselves, stored as SHA-256 hex only. One ALTER per column: SQLite accepts
     * nothing else. The CHECKs keep a zero lifetime or a negative rate out whatever the caller.
     * A client's tokens go with it (ON DELETE CASCADE). */
    {2, "oauth",
     "ALTER TABLE client ADD COLUMN access_ttl BIGINT NOT NULL DEFAULT 43200 CHECK (access_ttl > 0);\n"
     "ALTER TABLE client ADD COLUMN refresh_ttl BIGINT NOT NULL DEFAULT 2592000 CHECK (refresh_ttl > 0);\n"
     "ALTER TABLE client ADD COLUMN capi_rate BIGINT NOT NULL DEFAULT 1000 CHECK (capi_rate >= 0);\n"
     "ALTER TABLE client ADD COLUMN token_rate BIGINT NOT NULL DEFAULT 100 CHECK (token_rate >= 0);\n"
     "ALTER TABLE client ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;\n"
     "UPDATE client SET updated_at = created_at;\n"
     "CREATE TABLE token (\n"
     "    token_hash TEXT NOT NULL PRIMARY KEY,\n"
     "    kind TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),\n"
     "    client_id TEXT NOT NULL REFERENCES client(client_id) ON DELETE CASCADE,\n"
     "    user_id TEXT,\n"
     "    refresh_hash TEXT,\n"
     "    expires_at BIGINT NOT NULL,\n"
     "    revoked_at BIGINT,\n"
     "    created_at BIGINT NOT NULL\n"
     ");\n"
     "CREATE INDEX token_client ON token (client_id);\n"
     "CREATE INDEX token_refresh ON token (refresh_hash) WHERE refresh_hash IS NOT NULL;\n"},
    /* Users and their credentials (identity.md §1): scope is '' for installation-wide
     * credentials and the partner id for X credentials, so (scope, credential) is the lookup key
     * of both. user_customer holds README §2: one customer per user and partner (the primary
     * key), one user per customer (UNIQUE). used_code remembers spent extidCode ids until they
     * expire. Each client lists the external credential types it may register (extid_types);
     * the demo client gets all of them. */
    {3, "identity",
     "CREATE TABLE users (\n"
     "    unique_id TEXT NOT NULL PRIMARY KEY,\n"
     "    state TEXT NOT NULL CHECK (state IN ('ACTIVE', 'PENDING', 'BLOCKED')),\n"
     "    created_at BIGINT NOT NULL,\n"
     "    updated_at BIGINT NOT NULL\n"
     ");\n"
     "CREATE TABLE credential (\n"
     "    scope TEXT NOT NULL,\n"
     "    credential TEXT NOT NULL,\n"
     "    credential_type TEXT NOT NULL,\n"
     "    external_id TEXT,\n"
     "    user_id TEXT NOT NULL REFERENCES users(unique_id) ON DELETE CASCADE,\n"
     "    created_at BIGINT NOT NULL,\n"
     "    PRIMARY KEY (scope, credential)\n"
     ");\n"
     "CREATE INDEX credential_user ON credential (user_id);\n"
     "CREATE TABLE user_customer (\n"
     "    user_id TEXT NOT NULL REFERENCES users(unique_id) ON DELETE CASCADE,\n"
     "    partner_id TEXT NOT NULL REFERENCES partner(id),\n"
     "    customer_number BIGINT NOT NULL UNIQUE REFERENCES customer(customer_number),\n"
     "    created_at BIGINT NOT NULL,\n"
     "    PRIMARY KEY (user_id, partner_id)\n"
     ");\n"
     "CREATE TABLE used_code (\n"
     "    jti TEXT NOT NULL PRIMARY KEY,\n"
     "    expires_at BIGINT NOT NULL\n"
     ");\n"
     "CREATE INDEX used_code_expiry ON used_code (expires_at);\n"
     "ALTER TABLE client ADD COLUMN extid_types TEXT NOT NULL DEFAULT '';\n"
     "UPDATE client SET extid_types = 'DEHILMXZ' WHERE client_id = 'demo.connectd.local';\n"},
    /* The login service (identity.md §3.1, §4.1). Secrets are kept as SHA-256 hex only (a
     * one-time code as sha256(credential ":" code), so the table is no list of live codes);
     * password hashes are Argon2id PHC strings made outside the store. message is the outbox of
     * mail and SMS to users. A user's rows go with the user, a client's with the client. The
     * one_time_code and password_failure indexes serve the windows the limits count in. */
    {4, "login",
     "CREATE TABLE user_password (\n"
     "    user_id TEXT NOT NULL PRIMARY KEY REFERENCES users(unique_id) ON DELETE CASCADE,\n"
     "    hash TEXT NOT NULL,\n"
     "    updated_at BIGINT NOT NULL\n"
     ");\n"
     "CREATE TABLE login_session (\n"
     "    session_hash TEXT NOT NULL PRIMARY KEY,\n"
     "    user_id TEXT NOT NULL REFERENCES users(unique_id) ON DELETE CASCADE,\n"
     "    created_at BIGINT NOT NULL,\n"
     "    last_seen_at BIGINT NOT NULL,\n"
     "    expires_at BIGINT NOT NULL\n"
     ");\n"
     "CREATE INDEX login_session_user ON login_session (user_id);\n"
     "CREATE INDEX login_session_expiry ON login_session (expires_at);\n"
     "CREATE TABLE remember_me (\n"
     "    token_hash TEXT NOT NULL PRIMARY KEY,\n"
     "    user_id TEXT NOT NULL REFERENCES users(unique_id) ON DELETE CASCADE,\n"
     "    client_id TEXT NOT NULL REFERENCES client(client_id) ON DELETE CASCADE,\n"
     "    created_at BIGINT NOT NULL,\n"
     "    expires_at BIGINT NOT NULL\n"
     ");\n"
     "CREATE INDEX remember_me_user ON remember_me (user_id);\n"
     "CREATE INDEX remember_me_expiry ON remember_me (expires_at);\n"
     "CREATE TABLE one_time_code (\n"
     "    id @ID@,\n"
     "    credential TEXT NOT NULL,\n"
     "    code_hash TEXT NOT NULL,\n"
     "    source_addr TEXT NOT NULL,\n"
     "    created_at BIGINT NOT NULL,\n"
     "    expires_at BIGINT NOT NULL,\n"
     "    attempts INTEGER NOT NULL DEFAULT 0,\n"
     "    used_at BIGINT\n"
     ");\n"
     "CREATE INDEX one_time_code_credential ON one_time_code (credential, created_at);\n"
     "CREATE INDEX one_time_code_source ON one_time_code (source_addr, created_at);\n"
     "CREATE INDEX one_time_code_created ON one_time_code (created_at);\n"
     "CREATE TABLE password_failure (\n"
     "    credential TEXT NOT NULL,\n"
     "    at BIGINT NOT NULL\n"
     ");\n"
     "CREATE INDEX password_failure_credential ON password_failure (credential, at);\n"
     "CREATE INDEX password_failure_at ON password_failure (at);\n"
     "CREATE TABLE message (\n"
     "    id @ID@,\n"
     "    channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),\n"
     "    recipient TEXT NOT NULL,\n"
     "    subject TEXT NOT NULL,\n"
     "    body TEXT NOT NULL,\n"
     "    created_at BIGINT NOT NULL,\n"
     "    sent_at BIGINT,\n"
     "    attempts INTEGER NOT NULL DEFAULT 0\n"
     ");\n"
     "CREATE INDEX message_unsent ON message (id) WHERE sent_at IS NULL;\n"
     "CREATE TABLE auth_code (\n"
     "    code_hash TEXT NOT NULL PRIMARY KEY,\n"
     "    client_id TEXT NOT NULL REFERENCES client(client_id) ON DELETE CASCADE,\n"
     "    user_id TEXT NOT NULL REFERENCES users(unique_id) ON DELETE CASCADE,\n"
     "    redirect_uri TEXT NOT NULL,\n"
     "    code_challenge TEXT,\n"
     "    challenge_method TEXT,\n"
     "    created_at BIGINT NOT NULL,\n"
     "    expires_at BIGINT NOT NULL,\n"
     "    used_at BIGINT\n"
     ");\n"
     "CREATE INDEX auth_code_expiry ON auth_code (expires_at);\n"
     "CREATE TABLE approval (\n"
     "    user_id TEXT NOT NULL REFERENCES users(unique_id) ON DELETE CASCADE,\n"
     "    client_id TEXT NOT NULL REFERENCES client(client_id) ON DELETE CASCADE,\n"
     "    created_at BIGINT NOT NULL,\n"
     "    PRIMARY KEY (user_id, client_id)\n"
     ");\n"
     "ALTER TABLE client ADD COLUMN redirect_hosts TEXT NOT NULL DEFAULT '';\n"
     "ALTER TABLE client ADD COLUMN remember_cookie TEXT NOT NULL DEFAULT 'connectid_remember';\n"
     "ALTER TABLE client ADD COLUMN require_approval INTEGER NOT NULL DEFAULT 0;\n"
     "ALTER TABLE client ADD COLUMN require_pkce INTEGER NOT NULL DEFAULT 0;\n"},
    /* Delivery of the message outbox (login/messenger.c): a claim lease so that several
     * processes on one database never send one message twice while alive, and a sender that
     * dies mid-send leaves the message to another after the lease; retries at next_attempt_at;
     * a message is either sent, failed (with the reason) or still due. And wrong passwords
     * counted per source address too (identity.md §4.1 throttling per IP). */
    {5, "message delivery",
     "ALTER TABLE message ADD COLUMN next_attempt_at BIGINT NOT NULL DEFAULT 0;\n"
     "ALTER TABLE message ADD COLUMN claimed_until BIGINT NOT NULL DEFAULT 0;\n"
     "ALTER TABLE message ADD COLUMN failed_at BIGINT;\n"
     "ALTER TABLE message ADD COLUMN last_error TEXT;\n"
     "CREATE INDEX message_created ON message (created_at);\n"
     "ALTER TABLE password_failure ADD COLUMN source_addr TEXT NOT NULL DEFAULT '';\n"
     "CREATE INDEX password_failure_source ON password_failure (source_addr, at);\n"},
    /* Webhook delivery (events.md §1-§5). An outbox row is routed once (routed_at): one delivery
     * row per subscription of its partner that wants its detail-type, and delivered_at once no
     * delivery is pending any more (delivered or dropped), which is what the backlog counts.
     * webhook_event lists a subscription's types ('*' = all) with an optional path of their own.
     * A delivery is claimed by a dispatcher with a lease (lease_owner, lease_until): a node that
     * dies loses its claims when the lease runs out. signing_secret is kept as given (hex): it
     * is a key the dispatcher signs with, so it cannot be a hash (store/webhooks.c says more).
     * Events written before this migration had no subscription to go to: they are finished.
     * On PostgreSQL a statement trigger NOTIFYs connectd_outbox on every insert into the outbox,
     * so dispatchers of every process wake when the inserting transaction commits. */
    {6, "webhooks",
     "ALTER TABLE outbox ADD COLUMN routed_at BIGINT;\n"
     "UPDATE outbox SET routed_at = created_at, delivered_at = COALESCE(delivered_at, created_at);\n"
     "CREATE INDEX outbox_unrouted ON outbox (id) WHERE routed_at IS NULL;\n"
     "CREATE TABLE webhook (\n"
     "    id @ID@,\n"
     "    partner_id TEXT NOT NULL REFERENCES partner(id),\n"
     "    base_url TEXT NOT NULL,\n"
     "    path TEXT NOT NULL DEFAULT '',\n"
     "    auth_header TEXT NOT NULL,\n"
     "    auth_value TEXT NOT NULL,\n"
     "    signing_secret TEXT NOT NULL,\n"
     "    created_at BIGINT NOT NULL\n"
     ");\n"
     "CREATE INDEX webhook_partner ON webhook (partner_id);\n"
     "CREATE TABLE webhook_event (\n"
     "    webhook_id BIGINT NOT NULL REFERENCES webhook(id) ON DELETE CASCADE,\n"
     "    detail_type TEXT NOT NULL,\n"
     "    path TEXT,\n"
     "    PRIMARY KEY (webhook_id, detail_type)\n"
     ");\n"
     "CREATE TABLE delivery (\n"
     "    id @ID@,\n"
     "    outbox_id BIGINT NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,\n"
     "    webhook_id BIGINT NOT NULL REFERENCES webhook(id) ON DELETE CASCADE,\n"
     "    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dropped')),\n"
     "    attempts INTEGER NOT NULL DEFAULT 0,\n"
     "    next_at BIGINT NOT NULL,\n"
     "    lease_owner TEXT,\n"
     "    lease_until BIGINT,\n"
     "    last_status INTEGER,\n"
     "    last_error TEXT,\n"
     "    created_at BIGINT NOT NULL,\n"
     "    updated_at BIGINT NOT NULL,\n"
     "    UNIQUE (outbox_id, webhook_id)\n"
     ");\n"
     "CREATE INDEX delivery_due ON delivery (next_at) WHERE state = 'pending';\n"
     "CREATE INDEX delivery_webhook ON delivery (webhook_id);\n"},
    /* Customer Data and User Data (customer.md): the customer record of §1.3 (string lists as
     * JSON array text; customer_contact indexes its e-mails and phone numbers for search, lower-
     * cased e-mails), its addresses (one row per home, temporary, permanent or historical
     * address; at most one home and one pending permanent change per customer; address_due_at
     * is the start of that permanent change, so reads can see cheaply that one is due), the
     * category catalogue and the customers' codes, external references, metadata per (client,
     * user), external-provider profiles, the minimal product catalogue (keyed by company and
     * code, product.md §1.1: the old table is rebuilt) and subscription record (§1.3), the
     * failed customer checks of #12, and number counters. Users learn which partner created
     * them (#118 rule 3) and get their numeric userId (C1) when first needed. */
    {7, "customer",
     "ALTER TABLE customer ADD COLUMN middle_name TEXT;\n"
     "ALTER TABLE customer ADD COLUMN company_registration_number TEXT;\n"
     "ALTER TABLE customer ADD COLUMN department TEXT;\n"
     "ALTER TABLE customer ADD COLUMN department_name TEXT;\n"
     "ALTER TABLE customer ADD COLUMN birth_date BIGINT;\n"
     "ALTER TABLE customer ADD COLUMN sex TEXT;\n"
     "ALTER TABLE customer ADD COLUMN emails TEXT;\n"
     "ALTER TABLE customer ADD COLUMN phone_numbers TEXT;\n"
     "ALTER TABLE customer ADD COLUMN invoice_email TEXT;\n"
     "ALTER TABLE customer ADD COLUMN ssn TEXT;\n"
     "ALTER TABLE customer ADD COLUMN address_due_at BIGINT;\n"
     "UPDATE customer SET emails = '[\"' || replace(replace(email, '\\', '\\\\'), '\"', '\\\"') || '\"]'\n"
     "    WHERE email IS NOT NULL AND email <> '';\n"
     "CREATE TABLE customer_contact (\n"
     "    kind TEXT NOT NULL CHECK (kind IN ('E', 'P')),\n"
     "    value TEXT NOT NULL,\n"
     "    customer_number BIGINT NOT NULL REFERENCES customer(customer_number) ON DELETE CASCADE,\n"
     "    PRIMARY KEY (kind, value, customer_number)\n"
     ");\n"
     "CREATE INDEX customer_contact_customer ON customer_contact (customer_number);\n"
     "INSERT INTO customer_contact (kind, value, customer_number)\n"
     "    SELECT 'E', lower(email), customer_number FROM customer WHERE email IS NOT NULL AND email <> '';\n"
     "ALTER TABLE customer DROP COLUMN email;\n"
     "CREATE TABLE address (\n"
     "    id @ID@,\n"
     "    customer_number BIGINT NOT NULL REFERENCES customer(customer_number) ON DELETE CASCADE,\n"
     "    kind TEXT NOT NULL CHECK (kind IN ('home', 'temporary', 'permanent', 'historical')),\n"
     "    care_of TEXT, street TEXT, street_number BIGINT, entrance TEXT, floor_type TEXT, floor BIGINT,\n"
     "    suite TEXT, postal_code TEXT, postal_place TEXT, postal_address TEXT, pa_postal_code TEXT,\n"
     "    pa_postal_place TEXT, country_code TEXT,\n"
     "    products TEXT,\n"
     "    start_time BIGINT,\n"
     "    end_time BIGINT,\n"
     "    created_at BIGINT NOT NULL,\n"
     "    updated_at BIGINT NOT NULL\n"
     ");\n"
     "CREATE INDEX address_customer ON address (customer_number, kind);\n"
     "CREATE UNIQUE INDEX address_one_home ON address (customer_number) WHERE kind = 'home';\n"
     "CREATE UNIQUE INDEX address_one_permanent ON address (customer_number) WHERE kind = 'permanent';\n"
     "CREATE INDEX address_home_postal_code ON address (postal_code) WHERE kind = 'home';\n"
     "CREATE INDEX customer_address_due ON customer (address_due_at) WHERE address_due_at IS NOT NULL;\n"
     "CREATE TABLE category (\n"
     "    partner_id TEXT NOT NULL REFERENCES partner(id),\n"
     "    category_type TEXT NOT NULL,\n"
     "    category_code TEXT NOT NULL,\n"
     "    description TEXT,\n"
     "    PRIMARY KEY (partner_id, category_type, category_code)\n"
     ");\n"
     "CREATE TABLE customer_category (\n"
     "    customer_number BIGINT NOT NULL REFERENCES customer(customer_number) ON DELETE CASCADE,\n"
     "    category_type TEXT NOT NULL,\n"
     "    category_code TEXT NOT NULL,\n"
     "    free_value TEXT,\n"
     "    PRIMARY KEY (customer_number, category_type, category_code)\n"
     ");\n"
     "CREATE TABLE external_reference (\n"
     "    customer_number BIGINT NOT NULL REFERENCES customer(customer_number) ON DELETE CASCADE,\n"
     "    reference_code TEXT NOT NULL,\n"
     "    external_id TEXT NOT NULL,\n"
     "    created_at BIGINT NOT NULL,\n"
     "    updated_at BIGINT NOT NULL,\n"
     "    PRIMARY KEY (customer_number, reference_code)\n"
     ");\n"
     "CREATE TABLE metadata (\n"
     "    client_id TEXT NOT NULL,\n"
     "    user_id TEXT NOT NULL REFERENCES users(unique_id) ON DELETE CASCADE,\n"
     "    body TEXT NOT NULL,\n"
     "    updated_at BIGINT NOT NULL,\n"
     "    PRIMARY KEY (client_id, user_id)\n"
     ");\n"
     "CREATE TABLE user_external_profile (\n"
     "    user_id TEXT NOT NULL REFERENCES users(unique_id) ON DELETE CASCADE,\n"
     "    source TEXT NOT NULL CHECK (source IN ('Facebook', 'Google', 'Vipps', 'Apple')),\n"
     "    info TEXT NOT NULL,\n"
     "    created_at BIGINT NOT NULL,\n"
     "    PRIMARY KEY (user_id, source)\n"
     ");\n"
     "ALTER TABLE users ADD COLUMN created_partner TEXT;\n"
     "ALTER TABLE users ADD COLUMN user_number BIGINT;\n"
     "CREATE UNIQUE INDEX users_user_number ON users (user_number);\n"
     "CREATE TABLE counter (\n"
     "    name TEXT NOT NULL PRIMARY KEY,\n"
     "    value BIGINT NOT NULL\n"
     ");\n"
     "INSERT INTO counter (name, value) SELECT 'customer_number', COALESCE(MAX(customer_number), 100000) FROM customer;\n"
     "INSERT INTO counter (name, value) VALUES ('user_number', 0);\n"
     "CREATE TABLE customer_check_failure (\n"
     "    partner_id TEXT NOT NULL,\n"
     "    customer_number BIGINT NOT NULL,\n"
     "    at BIGINT NOT NULL\n"
     ");\n"
     "CREATE INDEX customer_check_failure_key ON customer_check_failure (partner_id, customer_number, at);\n"
     "CREATE INDEX customer_check_failure_at ON customer_check_failure (at);\n"
     "CREATE TABLE product_v7 (\n"
     "    company_code TEXT NOT NULL REFERENCES company(code),\n"
     "    code TEXT NOT NULL,\n"
     "    description TEXT NOT NULL,\n"
     "    product_type TEXT NOT NULL,\n"
     "    start_time BIGINT, end_time BIGINT, weight REAL, campaigns TEXT, currency TEXT,\n"
     "    web_offer_price BIGINT, retail_price BIGINT, vat_percent REAL,\n"
     "    digital INTEGER NOT NULL DEFAULT 0,\n"
     "    shop INTEGER NOT NULL DEFAULT 0,\n"
     "    series INTEGER NOT NULL DEFAULT 0,\n"
     "    changed_at BIGINT NOT NULL DEFAULT 0,\n"
     "    PRIMARY KEY (company_code, code)\n"
     ");\n"
     "INSERT INTO product_v7 (company_code, code, description, product_type)\n"
     "    SELECT company_code, code, name, lower(product_type) FROM product;\n"
     "DROP TABLE product;\n"
     "ALTER TABLE product_v7 RENAME TO product;\n"
     "CREATE INDEX product_code ON product (code);\n"
     "CREATE TABLE subscription (\n"
     "    id @ID@,\n"
     "    customer_number BIGINT NOT NULL REFERENCES customer(customer_number) ON DELETE CASCADE,\n"
     "    company_code TEXT NOT NULL,\n"
     "    product_code TEXT NOT NULL,\n"
     "    start_time BIGINT NOT NULL,\n"
     "    end_time BIGINT,\n"
     "    period_end BIGINT,\n"
     "    copies BIGINT NOT NULL DEFAULT 1,\n"
     "    coupon_code TEXT, coupon_number BIGINT, customer_reference TEXT,\n"
     "    payer_customer_number BIGINT NOT NULL,\n"
     "    payment_method TEXT, product_delivery_plan_id BIGINT, distribution_level TEXT, sales_person TEXT,\n"
     "    stopped INTEGER NOT NULL DEFAULT 0,\n"
     "    created_at BIGINT NOT NULL,\n"
     "    updated_at BIGINT NOT NULL,\n"
     "    FOREIGN KEY (company_code, product_code) REFERENCES product(company_code, code)\n"
     ");\n"
     "CREATE INDEX subscription_customer ON subscription (customer_number);\n"},
};

/* PostgreSQL-only additions, run after the migration of the same version in its transaction
 * (SQLite has no NOTIFY: its dispatcher polls, events/dispatcher.c). */
static const struct migration pg_extras[] = {
    {6, "webhooks: outbox notification",
     "CREATE FUNCTION connectd_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$\n"
     "BEGIN PERFORM pg_notify('connectd_outbox', ''); RETURN NULL; END $$;\n"
     "CREATE TRIGGER outbox_notify AFTER INSERT ON outbox\n"
     "    FOR EACH STATEMENT EXECUTE FUNCTION connectd_outbox_notify();\n"},
};

#define NMIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

/* The PostgreSQL-only SQL of a version, or NULL. */
static const char *pg_extra_sql(int version)
{
    for (size_t i = 0; i < sizeof pg_extras / sizeof pg_extras[0]; i++)
        if (pg_extras[i].version == version)
            return pg_extras[i].sql;
    return NULL;
}

/* Any constant will do; it only has to be the same in every connectd process. ("conn" "ectd") */
#define MIGRATION_LOCK_KEY 0x636f6e6e65637464LL

int store_schema_latest(void)
{
    return migrations[NMIGRATIONS - 1].version;
}

int store_schema_count(void)
{
    return NMIGRATIONS;
}

/* ---- dialect ------------------------------------------------------------------------------ */

static const char *token_value(const char *token, size_t len, enum db_kind kind)
{
    bool pg = kind == DB_POSTGRES;
    if (len == 4 && memcmp(token, "@ID@", 4) == 0)
        return pg ? "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT";
    if (len == 6 && memcmp(token, "@BLOB@", 6) == 0)
        return pg ? "BYTEA" : "BLOB";
    return NULL;
}

/* The migration's SQL for this engine (caller frees). Unknown @...@ text is left alone. */
static char *dialect_sql(const char *sql, enum db_kind kind)
{
    struct buf b = BUF_INIT;
    const char *p = sql;
    while (*p) {
        const char *end = *p == '@' ? strchr(p + 1, '@') : NULL;
        const char *v = end ? token_value(p, (size_t)(end - p + 1), kind) : NULL;
        if (v) {
            buf_puts(&b, v);
            p = end + 1;
        } else
            buf_putc(&b, *p++);
    }
    return b.data ? b.data : xstrdup("");
}

/* ---- version bookkeeping -------------------------------------------------------------- */

DB_STMT(st_table_sqlite, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'");
DB_STMT(st_table_pg, "SELECT count(*) FROM pg_catalog.pg_tables\n"
                     " WHERE schemaname = current_schema() AND tablename = 'schema_migrations'");
DB_STMT(st_version, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
DB_STMT(st_record, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)");
DB_STMT(st_lock, "SELECT pg_advisory_lock($1)");
DB_STMT(st_unlock, "SELECT pg_advisory_unlock($1)");

static const char create_migrations_table[] = "CREATE TABLE IF NOT EXISTS schema_migrations (\n"
                                              "    version INTEGER NOT NULL PRIMARY KEY,\n"
                                              "    name TEXT NOT NULL,\n"
                                              "    applied_at BIGINT NOT NULL\n"
                                              ")";

/* One integer from a one-row query; -1 on error. */
static int64_t query_int(struct db *db, struct db_stmt *st)
{
    struct db_rows *r = NULL;
    if (db_query(db, st, NULL, 0, &r) != DB_OK)
        return -1;
    int64_t v = db_next(r) ? db_int(r, 0) : -1;
    db_rows_free(r);
    return v;
}

int store_schema_version(struct db *db)
{
    int64_t exists = query_int(db, db_kind(db) == DB_POSTGRES ? &st_table_pg : &st_table_sqlite);
    if (exists <= 0)
        return exists == 0 ? 0 : -1; /* no bookkeeping table yet: nothing applied */
    return (int)query_int(db, &st_version);
}

/* ---- applying ---------------------------------------------------------------------------- */

/* One migration and its bookkeeping row, in one transaction. The version is read again inside
 * the transaction: on SQLite, BEGIN IMMEDIATE has serialized us behind any other migrator,
 * which may have applied this very migration while we waited. */
static bool apply_one(struct db *db, const struct migration *m, char *err, size_t errlen)
{
    if (db_begin(db) != DB_OK) {
        snprintf(err, errlen, "migration %d: cannot begin: %s", m->version, db_errmsg(db));
        return false;
    }
    int current = (int)query_int(db, &st_version);
    if (current >= m->version) {
        db_rollback(db);
        return current >= 0;
    }
    char *sql = dialect_sql(m->sql, db_kind(db));
    struct db_param p[] = {P_INT(m->version), P_TEXT(m->name), P_INT(db_now_ms())};
    const char *pg_sql = db_kind(db) == DB_POSTGRES ? pg_extra_sql(m->version) : NULL;
    bool ok = current >= 0 && db_exec_script(db, sql) == DB_OK && (!pg_sql || db_exec_script(db, pg_sql) == DB_OK) &&
              db_exec(db, &st_record, p, 3, NULL) == DB_OK && db_commit(db) == DB_OK;
    free(sql);
    if (!ok) {
        snprintf(err, errlen, "migration %d (%s) failed: %s", m->version, m->name, db_errmsg(db));
        db_rollback(db);
        return false;
    }
    log_info("store: applied migration %d (%s)", m->version, m->name);
    return true;
}

static bool apply_all(struct db *db, int target, char *err, size_t errlen)
{
    if (db_exec_script(db, create_migrations_table) != DB_OK) {
        snprintf(err, errlen, "cannot create schema_migrations: %s", db_errmsg(db));
        return false;
    }
    int current = store_schema_version(db);
    if (current < 0) {
        snprintf(err, errlen, "cannot read the schema version: %s", db_errmsg(db));
        return false;
    }
    /* An older binary must not write to a schema it does not know. */
    if (current > store_schema_latest()) {
        snprintf(err, errlen, "database schema version %d is newer than this connectd (%d)", current,
                 store_schema_latest());
        return false;
    }
    for (int i = 0; i < NMIGRATIONS; i++)
        if (migrations[i].version > current && migrations[i].version <= target &&
            !apply_one(db, &migrations[i], err, errlen))
            return false;
    return true;
}

bool store_migrate(struct db *db, char *err, size_t errlen)
{
    return store_migrate_to(db, store_schema_latest(), err, errlen);
}

bool store_migrate_to(struct db *db, int version, char *err, size_t errlen)
{
    if (db_kind(db) != DB_POSTGRES)
        return apply_all(db, version, err, errlen);
    /* PostgreSQL: one migrator at a time across all processes; others wait here and then
     * find nothing left to do. The lock is per session, so it is released explicitly. */
    struct db_param key = P_INT(MIGRATION_LOCK_KEY);
    if (db_exec(db, &st_lock, &key, 1, NULL) != DB_OK) {
        snprintf(err, errlen, "cannot take the migration lock: %s", db_errmsg(db));
        return false;
    }
    bool ok = apply_all(db, version, err, errlen);
    if (db_exec(db, &st_unlock, &key, 1, NULL) != DB_OK)
        log_error("store: cannot release the migration lock: %s", db_errmsg(db));
    return ok;
}
