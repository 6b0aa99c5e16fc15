/* store.h — the narrow interface between handlers and persistence.
 * Everything above this line speaks in records; everything below speaks SQL (db.h). Each
 * function is one unit of work: either it runs inside a caller's transaction (documented
 * "in a transaction"), or it opens and commits its own. State changes append their event to
 * the outbox in the same transaction (spec/events.md §1). */
#ifndef CONNECTD_STORE_H
#define CONNECTD_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/db.h"

/* ---- schema --------------------------------------------------------------------------- */

/* Applies pending migrations (store/migrations.c), each in its own transaction, recorded in
 * schema_migrations. Safe to run from several processes at once. */
bool store_migrate(struct db *db, char *err, size_t errlen);
/* The highest applied migration version, or -1 on error. */
int store_schema_version(struct db *db);
/* The version the code expects. */
int store_schema_latest(void);

/* ---- outbox (spec/events.md) ------------------------------------------------------------ */

#define EVENT_SOURCE_CONNECT "no.mediaconnect.connect"
#define EVENT_SOURCE_CONNECTID "no.mediaconnect.connectid"

/* In a transaction: appends one event (a fresh UUID id, time = now, the given detail-type,
 * source and detail object) to the outbox. */
enum db_status store_outbox_append(struct db *db, const char *detail_type, const char *source,
                                   const json_t *detail);
/* Number of events in the outbox not yet delivered (for /metrics). -1 on error. */
int64_t store_outbox_backlog(struct db *db);

/* ---- clients (OAuth clients; spec README §2) -------------------------------------------- */

#define CLIENT_ID_MAX 100

struct client_new {
    const char *client_id;
    const char *secret_hash; /* from secret_hash(); the secret itself never reaches the store */
    const char *partner;     /* partner id; created if missing */
    const char *grants;      /* comma-separated canonical grant names */
    const char *redirect_uris; /* newline-separated, may be "" */
};

struct client_rec {
    char *client_id;
    char *secret_hash;
    char *partner;
    char *grants;
    char *redirect_uris;
    int64_t created_at; /* epoch ms */
};

/* DB_CONSTRAINT when the id exists. */
enum db_status store_client_add(struct db *db, const struct client_new *c);
/* DB_OK and *found. Fills out (free with client_rec_free) when found. */
enum db_status store_client_get(struct db *db, const char *client_id, bool *found, struct client_rec *out);
/* Calls fn for every client in id order. */
enum db_status store_client_list(struct db *db, void (*fn)(const struct client_rec *c, void *arg), void *arg);
/* *removed set to whether it existed. */
enum db_status store_client_remove(struct db *db, const char *client_id, bool *removed);
void client_rec_free(struct client_rec *c);

/* ---- demo data (make run) --------------------------------------------------------------- */

/* When the database holds no partner yet: loads the demo partner, companies, products and
 * customers and a demo client allowed client_credentials with a fresh secret, written to
 * secret_out (NUL-terminated, needs 65 bytes). *loaded says whether anything was loaded. */
#define DEMO_CLIENT_ID "demo.connectd.local"
#define DEMO_PARTNER "demo"
enum db_status store_demo_load(struct db *db, bool *loaded, char *secret_out, size_t cap);

#endif
