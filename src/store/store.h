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
/* How many migrations the code holds (versions need not be consecutive while branches that
 * each add one are merged). */
int store_schema_count(void);

/* ---- outbox (spec/events.md) ------------------------------------------------------------ */

#define EVENT_SOURCE_CONNECT "no.mediaconnect.connect"
#define EVENT_SOURCE_CONNECTID "no.mediaconnect.connectid"

/* In a transaction: appends one event (a fresh UUID id, time = now, the given detail-type,
 * source and detail object) to the outbox. */
enum db_status store_outbox_append(struct db *db, const char *detail_type, const char *source,
                                   const json_t *detail);
/* Number of events in the outbox not yet delivered (for /metrics): not routed yet, or with a
 * delivery still pending. -1 on error. */
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

/* Creates the partner when missing (name = id, schema id = id upper-cased), as client add does. */
enum db_status store_partner_ensure(struct db *db, const char *partner);
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

/* ---- login service (identity.md §3.1, §4.1, §4.2) ------------------------------------------ */
/* The browser-facing half of ConnectID: GUI users with passwords, login sessions, remember-me
 * tokens, one-time codes and their mailbox, password lockout, authorization codes, approvals
 * and each client's login settings. The rule for secrets: callers pass them in PLAINTEXT
 * (session id, remember-me token, one-time code, authorization code) and the store keeps only
 * their SHA-256 hex (sha256_hex; a one-time code as sha256(credential ":" code)), so a copy of
 * the database holds no live secret. Password hashes are the exception: they arrive already made
 * (Argon2id PHC strings, made and verified in login/) and are stored as given. Every time is the
 * store's clock (db_now_ms), every function opens and commits its own transaction, and the
 * windows and limits below are the spec's numbers. */

#define LOGIN_SESSION_IDLE_MS (60LL * 60 * 1000)          /* §4.1: 60 min idle */
#define REMEMBER_ME_TTL_MS (365LL * 24 * 3600 * 1000)     /* §4.1: 365 days */
#define OTC_TTL_MS (10LL * 60 * 1000)                     /* one-time code valid 10 min */
#define OTC_MAX_WRONG 5                                   /* wrong attempts that kill a code */
#define OTC_RESEND_MS (30LL * 1000)                       /* at most one code per credential per 30 s */
#define OTC_WINDOW_MS (24LL * 3600 * 1000)                /* the window of the two limits below */
#define OTC_PER_CREDENTIAL 10                             /* codes per credential per window */
#define OTC_PER_ADDRESS 30                                /* codes per source address per window */
#define PASSWORD_FAIL_WINDOW_MS (15LL * 60 * 1000)        /* 10 wrong in 15 min ... */
#define PASSWORD_FAIL_LIMIT 10
#define PASSWORD_LOCK_MS (15LL * 60 * 1000)               /* ... lock password attempts 15 min */
#define PASSWORD_FAIL_PER_ADDRESS 100 /* wrong passwords from one address in the window, then "try later" */
#define AUTH_CODE_TTL_MS (10LL * 60 * 1000)               /* §3.1 rule 5 */
#define PASSWORD_HASH_MAX 256                             /* room for an Argon2id PHC string */
#define AUTH_CODE_URI_MAX 2048                            /* longest redirect_uri the store keeps */
#define AUTH_CODE_CHALLENGE_MAX 128                       /* PKCE: code_challenge at most 128 chars */

/* A GUI user as found by an e-mail or phone credential. */
struct login_user {
    char unique_id[UNIQUE_ID_LEN + 1];
    char state[8];                          /* "ACTIVE", "PENDING", "BLOCKED" */
    char credential_type;                   /* 'A' e-mail, 'B' phone */
    char password_hash[PASSWORD_HASH_MAX];  /* "" when the user has no password */
};

/* createUser after a correct one-time code (§4.2 rule 5). */
struct login_user_new {
    const char *credential;    /* already normalized: e-mail lower-cased, phone E.164 */
    char credential_type;      /* 'A' or 'B' */
    const char *password_hash; /* PHC string; NULL = no password yet */
    const char *client_id;     /* for USER_CREATED; may be NULL */
};

/* Creates an ACTIVE user with the credential (scope '') and the password, and emits
 * USER_CREATED {uniqueId, clientId, credentialType, origin "GUI"}, in one transaction. When the
 * credential belongs to someone already (also when another transaction took it a moment ago),
 * nothing is created: *created false, unique_id_out untouched. */
enum db_status store_login_user_create(struct db *db, const struct login_user_new *u, bool *created,
                                       char unique_id_out[UNIQUE_ID_LEN + 1]);
/* The user of an e-mail or phone credential (types A and B only: an external credential never
 * logs in through the GUI). *found false when none. */
enum db_status store_login_user_find(struct db *db, const char *credential, bool *found, struct login_user *out);
/* Sets (or first sets) the user's password hash and deletes all the user's remember-me tokens
 * (§4.1: a password change invalidates them). *found false for an unknown user. */
enum db_status store_login_password_set(struct db *db, const char *unique_id, const char *password_hash,
                                        bool *found);

/* Login sessions. session_id is the cookie value (the caller made it random). A session lives
 * LOGIN_SESSION_IDLE_MS after its last use. */
enum db_status store_session_create(struct db *db, const char *session_id, const char *unique_id);
/* For a live session: extends it (last use = now) and gives its user; *valid false when the
 * session is unknown or has been idle too long. The user's state is not checked here. */
enum db_status store_session_touch(struct db *db, const char *session_id, bool *valid,
                                   char unique_id_out[UNIQUE_ID_LEN + 1]);
enum db_status store_session_delete(struct db *db, const char *session_id);
enum db_status store_session_delete_user(struct db *db, const char *unique_id);

/* Remember-me tokens, bound to a user and a client, valid REMEMBER_ME_TTL_MS. */
enum db_status store_remember_create(struct db *db, const char *token, const char *unique_id, const char *client_id);
/* The token's user when it was issued for client_id and has not expired; *valid false else. */
enum db_status store_remember_check(struct db *db, const char *token, const char *client_id, bool *valid,
                                    char unique_id_out[UNIQUE_ID_LEN + 1]);
enum db_status store_remember_delete(struct db *db, const char *token);
enum db_status store_remember_delete_user(struct db *db, const char *unique_id);

/* The message that carries a one-time code, appended to the mailbox (message table) in the
 * transaction that stores the code. */
struct otc_message {
    const char *channel;   /* "email" or "sms" */
    const char *recipient; /* e-mail address or E.164 number */
    const char *subject;   /* "" for SMS */
    const char *body;
};

enum otc_issue_outcome {
    OTC_ISSUED,
    OTC_RESEND_TOO_SOON,  /* a code for this credential was issued less than OTC_RESEND_MS ago */
    OTC_CREDENTIAL_LIMIT, /* OTC_PER_CREDENTIAL codes for this credential in the last OTC_WINDOW_MS */
    OTC_ADDRESS_LIMIT,    /* OTC_PER_ADDRESS codes from this source address in the last OTC_WINDOW_MS */
};

/* Stores code (6 digits, made by the caller) for credential, valid OTC_TTL_MS, and queues msg,
 * unless a limit refuses it (checked in the order of the enum; then nothing is stored or
 * queued). Concurrent calls for one credential or one address are serialized, so a limit
 * holds under load. A new code replaces the credential's older ones. */
enum db_status store_otc_issue(struct db *db, const char *credential, const char *code, const char *source_addr,
                               const struct otc_message *msg, enum otc_issue_outcome *outcome);

enum otc_check_outcome {
    OTC_OK,    /* correct: the code is now used */
    OTC_WRONG, /* wrong, and the code still takes attempts */
    OTC_DEAD,  /* no usable code: none issued, replaced, used, expired, or this was the 5th wrong attempt */
};

/* Checks code against the credential's newest code (only the newest counts). */
enum db_status store_otc_check(struct db *db, const char *credential, const char *code,
                               enum otc_check_outcome *outcome);

/* Records one wrong password for the credential (known or not: no enumeration), sent from
 * source_addr. */
enum db_status store_password_failure_add(struct db *db, const char *credential, const char *source_addr);
/* Wrong passwords in the last PASSWORD_FAIL_WINDOW_MS for the credential and from the address.
 * Password attempts for the credential are refused while the first is >= PASSWORD_FAIL_LIMIT
 * (looking like a wrong password), and from the address while the second is >=
 * PASSWORD_FAIL_PER_ADDRESS (with "try later": one address guessing across many credentials). */
enum db_status store_password_failures(struct db *db, const char *credential, const char *source_addr,
                                       int64_t *by_credential, int64_t *by_address);

/* ---- the message outbox (store/messages.c) ----
 * Messages are appended by store_otc_issue; login/messenger.c delivers them. A message is due
 * while it is neither sent nor failed, its next attempt time has come and no live claim holds
 * it. Claims are leases: a sender that dies mid-send leaves the message to the next claimer. */

#define MESSAGE_MAX_AGE_MS (10LL * 60 * 1000)     /* a code is dead after this: so is its message */
#define MESSAGE_KEEP_MS (24LL * 60 * 60 * 1000)   /* then the row goes (it held a code) */
#define MESSAGE_RECIPIENT_MAX 128
#define MESSAGE_SUBJECT_MAX 256
#define MESSAGE_BODY_MAX 1024

/* One message of the mailbox, as the sandbox page lists it. */
struct message_rec {
    int64_t id;
    const char *channel;
    const char *recipient;
    const char *subject;
    const char *body;
    int64_t created_at;
    int64_t attempts;
    int64_t sent_at;        /* 0: not sent */
    int64_t failed_at;      /* 0: not given up */
    const char *last_error; /* NULL when none */
};
/* Calls fn for the newest `limit` messages, newest first. The record points into the current
 * row: valid only during the call. */
enum db_status store_message_list(struct db *db, int limit, void (*fn)(const struct message_rec *m, void *arg),
                                  void *arg);

/* A claimed message, copied out of the row. attempts counts this one. */
struct message_claim {
    int64_t id;
    char channel[8];
    char recipient[MESSAGE_RECIPIENT_MAX];
    char subject[MESSAGE_SUBJECT_MAX];
    char body[MESSAGE_BODY_MAX];
    int64_t attempts;
};
/* Claims the oldest due message of the channels asked for (email, sms) for lease_ms; *found
 * false when none is due. Concurrent claimers (threads or processes) never get the same one. */
enum db_status store_message_claim(struct db *db, bool email, bool sms, int64_t lease_ms, bool *found,
                                   struct message_claim *out);
/* The outcome of a claimed message's attempt. Sent and failed scrub the body unless keep_body
 * (the sandbox mailbox shows it): once delivered or given up, the code has no business at rest. */
enum db_status store_message_sent(struct db *db, int64_t id, bool keep_body);
/* Due again after delay_ms. */
enum db_status store_message_retry(struct db *db, int64_t id, int64_t delay_ms, const char *error);
enum db_status store_message_failed(struct db *db, int64_t id, const char *error, bool keep_body);
/* Gives up on undelivered messages of the channels asked for that are older than
 * MESSAGE_MAX_AGE_MS (their code has expired) and deletes every message older than
 * MESSAGE_KEEP_MS. *expired (may be NULL) receives how many were given up. */
enum db_status store_message_sweep(struct db *db, bool email, bool sms, bool keep_body, int64_t *expired);

/* Authorization codes (§3.1 rule 5, §3.2 rule 5). */
struct auth_code_new {
    const char *code; /* the code as given to the browser */
    const char *client_id;
    const char *unique_id;
    const char *redirect_uri;     /* as given to /user/oauth/authorize; "" when it was omitted */
    const char *code_challenge;   /* PKCE; NULL when none */
    const char *challenge_method; /* "S256" or "plain"; NULL when none */
};

struct auth_code_rec {
    char client_id[CLIENT_ID_MAX + 1];
    char unique_id[UNIQUE_ID_LEN + 1];
    char redirect_uri[AUTH_CODE_URI_MAX + 1];
    char code_challenge[AUTH_CODE_CHALLENGE_MAX + 1]; /* "" when none */
    char challenge_method[8];                         /* "" when none */
};

/* Stores the code, valid AUTH_CODE_TTL_MS. DB_ERROR when a field is longer than auth_code_rec
 * holds (the caller validates first). */
enum db_status store_auth_code_create(struct db *db, const struct auth_code_new *c);
/* Marks the code used and gives what it was bound to, in one statement: of concurrent consumers
 * exactly one gets *found true. *found false for an unknown, used or expired code. The caller
 * compares client, redirect_uri and PKCE (a code presented by the wrong client is spent too). */
enum db_status store_auth_code_consume(struct db *db, const char *code, bool *found, struct auth_code_rec *out);

/* Approvals (§3.1 rule 4): remembered per user and client. */
enum db_status store_approval_has(struct db *db, const char *unique_id, const char *client_id, bool *approved);
/* Idempotent. */
enum db_status store_approval_add(struct db *db, const char *unique_id, const char *client_id);

/* A client's login settings (identity.md §3.2 "Client configuration"). */
struct client_login {
    char *redirect_hosts;  /* newline-separated hosts allowed in returnUrl / errorUrl; "" = none */
    char *remember_cookie; /* the remember-me cookie's name */
    bool require_approval; /* §3.1 rule 4 */
    bool require_pkce;
};
#define CLIENT_REMEMBER_COOKIE_DEFAULT "connectid_remember"

/* *found false for an unknown client; else fills out (free with client_login_free). */
enum db_status store_client_login_get(struct db *db, const char *client_id, bool *found, struct client_login *out);
/* Replaces all four settings (NULL strings: "" hosts, the default cookie name). */
enum db_status store_client_login_set(struct db *db, const char *client_id, const struct client_login *in,
                                      bool *found);
void client_login_free(struct client_login *c);

/* ---- webhook subscriptions (events.md §2, §3; store/webhooks.c) -------------------------- */

/* One event type a subscription wants. */
struct webhook_type {
    const char *detail_type; /* a §6 detail-type, or "*" for every type */
    const char *path;        /* appended to the base URL for this type; NULL = the subscription's path */
};

/* A subscription as `webhook add` checked it (events/subscription.h holds the rules). */
struct webhook_new {
    const char *partner;
    const char *base_url;
    const char *path; /* "" = nothing appended (for types without a path of their own) */
    const struct webhook_type *types;
    size_t ntypes;
    const char *auth_header;
    const char *auth_value;
    const char *secret_hex; /* the signing secret: 32 random bytes as 64 hex characters */
};

/* A subscription as listed; the strings point into the current row (valid during the call). */
struct webhook_rec {
    int64_t id;
    const char *partner;
    const char *base_url;
    const char *path;
    const char *types;       /* "TYPE" or "TYPE=/path", comma-separated, "*" = every type */
    const char *auth_header;
    const char *secret_hex;  /* for a fingerprint only: never printed */
    int64_t created_at;
};

/* Adds the subscription in one transaction; *partner_found false (nothing added) when the
 * partner does not exist. */
enum db_status store_webhook_add(struct db *db, const struct webhook_new *w, bool *partner_found, int64_t *id);
/* Calls fn for every subscription (of partner, when not NULL) in id order. */
enum db_status store_webhook_list(struct db *db, const char *partner, void (*fn)(const struct webhook_rec *w, void *arg),
                                  void *arg);
/* Removes it with its deliveries (pending ones are given up). */
enum db_status store_webhook_remove(struct db *db, int64_t id, bool *removed);

/* ---- webhook deliveries (events.md §1, §5; store/deliveries.c) ----------------------------- */
/* The dispatcher's work queue: routing outbox events to subscriptions, claiming due deliveries
 * under a lease (several processes on one PostgreSQL database never claim the same one; a
 * dead process's claims come free when the lease runs out), recording outcomes. */

#define EVENT_SCHEMA_MAX 63
#define DELIVERY_ERROR_MAX 255

/* An outbox row. */
struct outbox_event {
    int64_t id;
    char event_id[37];
    char detail_type[64];
    char source[32];
    char *detail; /* JSON text */
    int64_t created_at;
};

/* Gives an event's routing keys (events.md §2): a client id and a schema, "" when absent. */
typedef void (*event_key_fn)(const struct outbox_event *ev, char client_id[CLIENT_ID_MAX + 1],
                             char schema[EVENT_SCHEMA_MAX + 1]);

/* Routes up to max events not yet routed, in one transaction: each gets one pending delivery,
 * due now, per subscription of its partner (the client's, else the schema's) that wants its
 * detail-type. *routed = events routed (max means there may be more). */
enum db_status store_events_route(struct db *db, int max, event_key_fn key, int *routed);

/* What one POST needs. */
struct delivery_job {
    int64_t id; /* the delivery */
    int64_t outbox_id;
    int64_t webhook_id;
    int attempts; /* made before this one */
    struct outbox_event event;
    char *base_url;
    char *path; /* the type's own path, else the subscription's */
    char *auth_header;
    char *auth_value;
    char secret_hex[65];
};
void delivery_job_free(struct delivery_job *j);

/* Claims up to max due deliveries (next_at reached, no live lease) for owner until now +
 * lease_ms and loads them into jobs[0..*n). */
enum db_status store_delivery_claim(struct db *db, const char *owner, int64_t lease_ms, int max,
                                    struct delivery_job *jobs, int *n);

enum delivery_result {
    DELIVERY_DELIVERED, /* a 2xx */
    DELIVERY_RETRY,     /* failed; try again at next_at */
    DELIVERY_DROPPED,   /* failed for the last time */
    DELIVERY_RELEASED,  /* not attempted (shutting down): the lease is given back */
};

struct delivery_outcome {
    int64_t id;
    int64_t outbox_id;
    enum delivery_result result;
    int64_t next_at;   /* DELIVERY_RETRY */
    int status;        /* HTTP status, 0 when none */
    const char *error; /* why it failed; NULL when it did not */
};

/* Records outcomes of deliveries leased to owner, in one transaction (one whose lease another
 * process has taken over is left to that one), and marks events finished whose last pending
 * delivery ended. */
enum db_status store_delivery_record(struct db *db, const char *owner, struct delivery_outcome *o, int n);
/* When the next pending delivery becomes claimable; *any false when none is pending. */
enum db_status store_delivery_next_due(struct db *db, bool *any, int64_t *at);
/* Gives back every lease: for a dispatcher that knows it is the only one (SQLite). */
enum db_status store_delivery_release_all(struct db *db);

/* One line of `events list`: an event and one of its deliveries (valid during the call). */
struct event_delivery_rec {
    const char *event_id;
    int64_t created_at;
    const char *detail_type;
    bool routed;
    bool has_delivery;   /* false: routed to no subscription (or not routed yet) */
    int64_t webhook_id;
    const char *state;   /* "pending", "delivered", "dropped" */
    int attempts;
    int last_status;     /* 0 when none */
    const char *last_error; /* "" when none */
    int64_t updated_at;
};
/* The newest `limit` lines, newest event first; failed_only: deliveries that were dropped or
 * have failed at least once and are still being retried. */
enum db_status store_event_list(struct db *db, bool failed_only, int limit,
                                void (*fn)(const struct event_delivery_rec *r, void *arg), void *arg);
/* `events replay`: forgets the event's deliveries (to webhook only_webhook, when > 0) and routes
 * it again as if new; *found false for an unknown id, *n = deliveries now pending. */
enum db_status store_event_replay(struct db *db, const char *event_id, int64_t only_webhook, event_key_fn key,
                                  bool *found, int *n);

#endif
