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
/* The same, stopping after version (upgrade tests build an older schema with it). */
bool store_migrate_to(struct db *db, int version, char *err, size_t errlen);
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

/* Defaults of the per-client settings (spec README §10, §13). */
#define CLIENT_ACCESS_TTL_DEFAULT 43200    /* s: 12 h */
#define CLIENT_REFRESH_TTL_DEFAULT 2592000 /* s: 30 days */
#define CLIENT_CAPI_RATE_DEFAULT 1000      /* /capi requests per second (burst twice that); 0 = unlimited */
#define CLIENT_TOKEN_RATE_DEFAULT 100      /* token-endpoint requests per second (burst twice); 0 = unlimited */

struct client_new {
    const char *client_id;
    const char *secret_hash; /* from secret_hash(); the secret itself never reaches the store */
    const char *partner;     /* partner id; created if missing */
    const char *grants;      /* comma-separated canonical grant names */
    const char *redirect_uris; /* newline-separated, may be "" */
    int64_t access_ttl;      /* seconds; 0 = default */
    int64_t refresh_ttl;     /* seconds; 0 = default */
    int64_t capi_rate;       /* -1 = default, 0 = unlimited */
    int64_t token_rate;      /* -1 = default, 0 = unlimited */
    const char *extid_types; /* allowed external credential types, e.g. "DX" (identity.md §1.1); NULL = none */
};

struct client_rec {
    char *client_id;
    char *secret_hash;
    char *partner;
    char *grants;
    char *redirect_uris;
    int64_t access_ttl;  /* seconds */
    int64_t refresh_ttl; /* seconds */
    int64_t capi_rate;   /* per second, 0 = unlimited */
    int64_t token_rate;  /* per second, 0 = unlimited */
    char *extid_types;   /* allowed external credential type letters, "" = none */
    int64_t created_at;  /* epoch ms */
    int64_t updated_at;  /* epoch ms */
};

/* A partial update: NULL / -1 leaves a field as it is. */
struct client_update {
    const char *partner;
    const char *grants;
    const char *redirect_uris;
    int64_t access_ttl;
    int64_t refresh_ttl;
    int64_t capi_rate;
    int64_t token_rate;
    const char *extid_types;
};

/* DB_CONSTRAINT when the id exists. */
enum db_status store_client_add(struct db *db, const struct client_new *c);
/* DB_OK and *found. Fills out (free with client_rec_free) when found. */
enum db_status store_client_get(struct db *db, const char *client_id, bool *found, struct client_rec *out);
/* Calls fn for every client in id order. */
enum db_status store_client_list(struct db *db, void (*fn)(const struct client_rec *c, void *arg), void *arg);
/* *removed set to whether it existed. Its tokens go with it (they stop working at once on
 * this node, within the token cache's lifetime on others). */
enum db_status store_client_remove(struct db *db, const char *client_id, bool *removed);
enum db_status store_client_update(struct db *db, const char *client_id, const struct client_update *u, bool *found);
/* Replaces the secret hash (rotate-secret). Existing tokens stay valid. */
enum db_status store_client_set_secret(struct db *db, const char *client_id, const char *secret_hash, bool *found);
void client_rec_free(struct client_rec *c);

/* ---- OAuth tokens (spec identity.md §3.2) ----------------------------------------------- */
/* Tokens are stored only as their SHA-256 (hex): a database dump yields no usable token. */

#define TOKEN_HASH_HEX 65 /* 64 hex + NUL */

enum token_kind {
    TOKEN_ACCESS,
    TOKEN_REFRESH,
};

struct token_new {
    const char *hash;         /* sha256 hex of the token */
    enum token_kind kind;
    const char *client_id;
    const char *user_id;      /* uniqueId, NULL for client-mode tokens */
    const char *refresh_hash; /* access tokens issued from a refresh token: its hash; else NULL */
    int64_t expires_at;       /* epoch ms */
};

struct token_rec {
    enum token_kind kind;
    char client_id[CLIENT_ID_MAX + 1];
    char partner[64];
    char user_id[33];         /* "" when none */
    char refresh_hash[TOKEN_HASH_HEX]; /* "" when none */
    int64_t expires_at;       /* epoch ms */
    int64_t created_at;       /* epoch ms */
    bool revoked;
};

/* In a transaction or alone. DB_CONSTRAINT on a hash collision (practically never). */
enum db_status store_token_insert(struct db *db, const struct token_new *t);
/* Read-only lookup by hash (validation never writes). Expired and revoked tokens are returned
 * with their state so callers can say which; *found false for an unknown hash. */
enum db_status store_token_get(struct db *db, const char *hash, bool *found, struct token_rec *out);
/* Revokes the token; for a refresh token also every access token issued from it. *revoked
 * false when it was unknown or already revoked. */
enum db_status store_token_revoke(struct db *db, const char *hash, bool *revoked);
/* Revokes the access tokens issued from a refresh token (the refresh grant, rule 3). */
enum db_status store_token_revoke_from_refresh(struct db *db, const char *refresh_hash);

/* ---- demo data (make run) --------------------------------------------------------------- */

/* When the database holds no partner yet: loads the demo partner, companies, products and
 * customers and a demo client allowed client_credentials with a fresh secret, written to
 * secret_out (NUL-terminated, needs 65 bytes). *loaded says whether anything was loaded. */
#define DEMO_CLIENT_ID "demo.connectd.local"
#define DEMO_PARTNER "demo"
enum db_status store_demo_load(struct db *db, bool *loaded, char *secret_out, size_t cap);

/* ---- users and external identities (identity.md §1, §2) -------------------------------- */

#define UNIQUE_ID_LEN 32

/* One call of #127 or #128, already validated by the handler. */
struct extid_request {
    const char *partner;      /* the calling client's partner */
    const char *client_id;    /* for the events */
    char credential_type;     /* 'D'..'Z' */
    const char *credential;   /* "<PREFIX>:<externalId>" */
    const char *external_id;
    int64_t customer_number;  /* #128 only (> 0) */
};

struct extid_result {
    char unique_id[UNIQUE_ID_LEN + 1];
    char state[8];            /* "ACTIVE", "PENDING", "BLOCKED" after the call */
    bool new_user;            /* this call created the user */
    bool had_link;            /* the user was linked to a customer of the partner before the call */
    int64_t customer_number;  /* that customer, when had_link */
};

enum extid_outcome {
    EXTID_OK,
    EXTID_CUSTOMER_NOT_FOUND, /* #128: no such customer of the partner */
    EXTID_USER_LINKED_ELSEWHERE,     /* #128: the user is linked to another customer of the partner */
    EXTID_CUSTOMER_LINKED_ELSEWHERE, /* #128: the customer is linked to another user */
};

/* #127 in one transaction: finds the user of the credential (X credentials are looked up
 * within the partner, every other type installation-wide) or creates it ACTIVE (emitting
 * USER_CREATED), or turns a PENDING user ACTIVE. Concurrent first calls create one user. */
enum db_status store_extid_register(struct db *db, const struct extid_request *rq, struct extid_result *out);
/* #128 in one transaction: checks the customer and the conflicts first (a failed call changes
 * nothing), creates the user PENDING if missing (USER_CREATED), links user and customer
 * (USER_CUSTOMER_LINKED) unless already linked to each other. */
enum db_status store_extid_bind_customer(struct db *db, const struct extid_request *rq, struct extid_result *out,
                                         enum extid_outcome *outcome);
/* The state of a user ("ACTIVE", ...); *found false when unknown. */
enum db_status store_user_state(struct db *db, const char *unique_id, bool *found, char state[8]);
/* Marks a one-time code id as used until expires_at (epoch ms). DB_CONSTRAINT when it was used
 * already (the second exchange of a code loses, README §11.1 c). Forgets expired ids. */
enum db_status store_code_use(struct db *db, const char *jti, int64_t expires_at);

/* ---- server secrets ----------------------------------------------------------------------- */

/* A random secret of the installation (e.g. the extidCode signing key), created on first use
 * and the same for every process sharing the database: 64 random bytes as 128 hex characters
 * into out (needs 129 bytes). */
enum db_status store_server_secret(struct db *db, const char *name, char out[129]);

#endif
