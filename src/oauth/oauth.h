/* oauth.h — ConnectID's OAuth 2.0 layer (spec identity.md §3.2, README §5, §9.2, §10, §13).
 * Clients and their settings (a cache over the store), token issue and validation (tokens are
 * stored only as SHA-256 hashes; validation reads, never writes), client authentication for the
 * token, revoke and introspect endpoints, the grant modules, bearer authentication of /capi and
 * the rate limits. All state here is process-wide and thread-safe; oauth_init creates it. */
#ifndef CONNECTD_OAUTH_H
#define CONNECTD_OAUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "http/form.h"
#include "http/request.h"
#include "store/store.h"
#include "util/crypto.h"

#define OAUTH_CACHE_MAX_AGE_MS 4000 /* a revocation or client change on another node shows within this (< 5 s) */
#define OAUTH_REUSE_MIN_S 60        /* client_credentials token reuse needs this much life left */
#define TOKEN_TEXT_MAX 36           /* tokens are UUIDs in text form */

/* Grant bits (a client's allowed grants). */
#define GRANT_CLIENT_CREDENTIALS 0x1
#define GRANT_AUTHORIZATION_CODE 0x2
#define GRANT_REFRESH_TOKEN 0x4
#define GRANT_EXTID_CODE 0x8
#define GRANT_TYPE_EXTID "https://connectid.no/oauth2/grant_type/extid_code"

/* A client's settings as the OAuth layer needs them (copied out of the cache). */
struct oauth_client {
    char client_id[CLIENT_ID_MAX + 1];
    char partner[64];
    char secret_hash[SECRET_HASH_MAX];
    unsigned grants;
    int64_t access_ttl;  /* seconds */
    int64_t refresh_ttl; /* seconds */
    int64_t capi_rate;   /* per second, 0 = unlimited */
    int64_t token_rate;
    char extid_types[16]; /* external credential types the client may register (identity.md §2) */
};

/* What a token stands for (copied out of the cache). */
struct token_info {
    enum token_kind kind;
    char client_id[CLIENT_ID_MAX + 1];
    char partner[64];
    char user_id[33];
    int64_t expires_at; /* epoch ms */
    int64_t created_at;
    bool revoked;
};

enum token_state {
    TOKEN_VALID,
    TOKEN_UNKNOWN,
    TOKEN_EXPIRED,
    TOKEN_REVOKED,
    TOKEN_STORE_ERROR,
};

/* A freshly issued (or reused) access token, and the refresh token when there is one. */
struct issued_token {
    char access[TOKEN_TEXT_MAX + 1];
    char refresh[TOKEN_TEXT_MAX + 1]; /* "" when none */
    int64_t expires_at;               /* of the access token, epoch ms */
};

bool oauth_init(const struct config *cfg);
void oauth_shutdown(void);

/* ---- clients (oauth/clients.c) ---------------------------------------------------------- */

unsigned grants_parse(const char *list); /* "client_credentials,extid_code" -> bits */
/* false with *err_store when the store failed; *found says whether the client exists. */
bool oauth_client_get(struct db *db, const char *client_id, struct oauth_client *out, bool *found);
/* Drops a cached client (after update/remove on this node). */
void oauth_client_forget(const char *client_id);

/* ---- tokens (oauth/tokens.c) ------------------------------------------------------------ */

enum token_state token_lookup(struct db *db, const char *token, size_t len, struct token_info *out);
/* Issues an access token (client mode when user_id is NULL). with_refresh also issues a
 * refresh token. client_credentials reuses a live token (identity.md §3.2 rule 3). */
bool token_issue(struct db *db, const struct oauth_client *c, const char *user_id, bool with_refresh,
                 struct issued_token *out);
/* A new access token from a refresh token (rule 3 and 4). */
bool token_refresh(struct db *db, const struct oauth_client *c, const char *refresh_hash, const char *user_id,
                   struct issued_token *out);
/* Revokes a token; the cache on this node forgets it at once. */
bool token_revoke(struct db *db, const char *token, size_t len);

/* ---- the token, revoke and introspect endpoints (oauth/endpoint.c) ---------------------- */

/* Parameters from the query string and a form body; the body wins (identity.md §3.2). */
struct oauth_params {
    struct form query;
    struct form body;
};
const char *oauth_param(const struct oauth_params *p, const char *name);
/* A scope that is absent, empty, or only "read" words (README §5.2). */
bool oauth_scope_is_read(const char *scope);

/* Parses both sources; 400 invalid_request on a malformed source, a non-form body, or one of
 * names repeated within one source. */
bool oauth_params_or_reply(struct request *req, struct oauth_params *p, const char *const *names);
/* Authenticates the client (Basic and/or parameters), applying the per-address failure limit.
 * Answers 401 invalid_client / 429 and returns false. */
bool oauth_client_or_reply(struct request *req, const struct oauth_params *p, struct oauth_client *out);

/* {"error","error_description"} in JSON (spec README §9.2). Returns false. */
bool oauth_error(struct request *req, int status, const char *error, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* 500 {"error":"server_error","error_description":"<correlation id>"} (README §9.2). */
bool oauth_internal(struct request *req, const char *what);
/* 429 TooManyRequestsException with Retry-After. Returns false. */
bool reply_rate_limited(struct request *req, int retry_after_s);

/* A grant module: validates its own parameters, issues, and writes the token reply. */
struct grant {
    const char *grant_type; /* the wire name */
    unsigned bit;
    void (*run)(struct request *req, const struct oauth_params *p, const struct oauth_client *c);
};
extern const struct grant GRANT_CLIENT_CREDENTIALS_MODULE;
extern const struct grant GRANT_REFRESH_TOKEN_MODULE;
extern const struct grant GRANT_AUTHORIZATION_CODE_MODULE;
extern const struct grant GRANT_EXTID_CODE_MODULE;

/* The 200 reply of the token endpoint. */
void reply_token(struct request *req, const struct issued_token *t);

/* ---- rate limits and bearer authentication (oauth/bearer.c) ----------------------------- */

/* Per source address: true when a failed authentication may still be answered with 401. */
bool auth_failures_allow(struct request *req, int *retry_after_s);
/* Counts one failed authentication for the request's source address. */
void auth_failure_count(struct request *req);
/* Per-client bucket of the token endpoint (identity) or /capi. */
bool client_rate_allow(const struct oauth_client *c, bool token_endpoint, int *retry_after_s);

/* For a /capi path: authenticates the bearer token, checks its mode against the path prefix
 * (README §5.1), applies the client's /capi rate limit, sets req->caller. Answers 401, 403,
 * 429 or 500 and returns false. */
bool bearer_or_reply(struct request *req);


#endif
