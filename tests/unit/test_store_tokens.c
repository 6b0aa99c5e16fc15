/* test_store_tokens.c — src/store/tokens.c (store.h "OAuth tokens") on every engine, through the
 * harness in store_engines.h: insert and lookup in client and user mode, revocation (a refresh
 * token takes its access tokens with it) and removal of a client taking its tokens. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/db.h"
#include "store/store.h"
#include "store_engines.h"

#define USER_ID "0123456789abcdef0123456789abcdef"

/* Wall-clock epoch ms, to the second (enough to bracket the store's own timestamps). */
static int64_t now_ms(void)
{
    return (int64_t)time(NULL) * 1000;
}

/* A distinct 64-hex "hash" per n (the store never looks inside). */
static const char *hash_of(char out[TOKEN_HASH_HEX], unsigned n)
{
    snprintf(out, TOKEN_HASH_HEX, "%064x", n);
    return out;
}

static void add_client(struct db *db, const struct engine *e, const char *id, const char *partner)
{
    struct client_new c = {.client_id = id, .secret_hash = "hs256$x$y", .partner = partner,
                           .grants = "client_credentials,authorization_code,refresh_token", .capi_rate = -1,
                           .token_rate = -1};
    cr_assert_eq(store_client_add(db, &c), DB_OK, "%s: %s", e->label, db_errmsg(db));
}

static void insert(struct db *db, const struct engine *e, const char *hash, enum token_kind kind,
                   const char *client_id, const char *user_id, const char *refresh_hash)
{
    struct token_new t = {.hash = hash, .kind = kind, .client_id = client_id, .user_id = user_id,
                          .refresh_hash = refresh_hash, .expires_at = now_ms() + 3600000};
    cr_assert_eq(store_token_insert(db, &t), DB_OK, "%s: %s", e->label, db_errmsg(db));
}

static struct token_rec get(struct db *db, const struct engine *e, const char *hash)
{
    bool found = false;
    struct token_rec rec;
    cr_assert_eq(store_token_get(db, hash, &found, &rec), DB_OK, "%s: %s", e->label, db_errmsg(db));
    cr_assert(found, "%s: token %.8s... exists", e->label, hash);
    return rec;
}

static bool is_revoked(struct db *db, const struct engine *e, const char *hash)
{
    return get(db, e, hash).revoked;
}

DB_STMT(st_count_tokens, "SELECT count(*) FROM token");

/* ---- insert and lookup ------------------------------------------------------------------------ */

STORE_TEST(test_token_client_mode_round_trips_without_user_or_refresh_link, false)
{
    migrate(db, e);
    add_client(db, e, "c.example", "acme");
    char h[TOKEN_HASH_HEX];
    struct token_new t = {.hash = hash_of(h, 1), .kind = TOKEN_ACCESS, .client_id = "c.example",
                          .expires_at = 1900000000123LL};
    int64_t before = now_ms();
    cr_assert_eq(store_token_insert(db, &t), DB_OK, "%s: %s", e->label, db_errmsg(db));
    struct token_rec rec = get(db, e, h);
    cr_assert_eq(rec.kind, TOKEN_ACCESS);
    cr_assert_str_eq(rec.client_id, "c.example");
    cr_assert_str_eq(rec.partner, "acme", "%s: the client's partner", e->label);
    cr_assert_str_eq(rec.user_id, "", "no user in client mode");
    cr_assert_str_eq(rec.refresh_hash, "");
    cr_assert_eq(rec.expires_at, 1900000000123LL, "%s: epoch ms kept exactly", e->label);
    cr_assert(rec.created_at >= before && rec.created_at < now_ms() + 1000, "%s", e->label);
    cr_assert_not(rec.revoked);
}

STORE_TEST(test_token_user_mode_round_trips_with_its_refresh_link, false)
{
    migrate(db, e);
    add_client(db, e, "u.example", "acme");
    char rh[TOKEN_HASH_HEX], ah[TOKEN_HASH_HEX];
    insert(db, e, hash_of(rh, 1), TOKEN_REFRESH, "u.example", USER_ID, NULL);
    insert(db, e, hash_of(ah, 2), TOKEN_ACCESS, "u.example", USER_ID, rh);

    struct token_rec r = get(db, e, rh);
    cr_assert_eq(r.kind, TOKEN_REFRESH, "%s", e->label);
    cr_assert_str_eq(r.user_id, USER_ID);
    cr_assert_str_eq(r.refresh_hash, "");
    struct token_rec a = get(db, e, ah);
    cr_assert_eq(a.kind, TOKEN_ACCESS);
    cr_assert_str_eq(a.user_id, USER_ID);
    cr_assert_str_eq(a.refresh_hash, rh, "%s", e->label);
}

STORE_TEST(test_token_get_of_an_unknown_hash_is_not_found, false)
{
    migrate(db, e);
    char h[TOKEN_HASH_HEX];
    bool found = true;
    struct token_rec rec;
    cr_assert_eq(store_token_get(db, hash_of(h, 9), &found, &rec), DB_OK, "%s", e->label);
    cr_assert_not(found);
}

STORE_TEST(test_an_expired_token_is_still_returned_with_its_expiry, false)
{
    migrate(db, e);
    add_client(db, e, "c.example", "acme");
    char h[TOKEN_HASH_HEX];
    struct token_new t = {.hash = hash_of(h, 1), .kind = TOKEN_ACCESS, .client_id = "c.example", .expires_at = 1000};
    cr_assert_eq(store_token_insert(db, &t), DB_OK);
    cr_assert_eq(get(db, e, h).expires_at, 1000, "%s: the caller decides what expired means", e->label);
}

STORE_TEST(test_token_with_a_taken_hash_or_an_unknown_client_is_db_constraint, false)
{
    migrate(db, e);
    add_client(db, e, "c.example", "acme");
    char h[TOKEN_HASH_HEX], h2[TOKEN_HASH_HEX];
    insert(db, e, hash_of(h, 1), TOKEN_ACCESS, "c.example", NULL, NULL);
    struct token_new t = {.hash = h, .kind = TOKEN_REFRESH, .client_id = "c.example", .expires_at = 1};
    cr_assert_eq(store_token_insert(db, &t), DB_CONSTRAINT, "%s: hash taken", e->label);
    t = (struct token_new){.hash = hash_of(h2, 2), .kind = TOKEN_ACCESS, .client_id = "nobody", .expires_at = 1};
    cr_assert_eq(store_token_insert(db, &t), DB_CONSTRAINT, "%s: unknown client", e->label);
    cr_assert_eq(one_int(db, &st_count_tokens, NULL, 0), 1);
}

STORE_TEST(test_token_insert_joins_the_callers_transaction, false)
{
    migrate(db, e);
    add_client(db, e, "c.example", "acme");
    char h[TOKEN_HASH_HEX];
    cr_assert_eq(db_begin(db), DB_OK);
    insert(db, e, hash_of(h, 1), TOKEN_ACCESS, "c.example", NULL, NULL);
    db_rollback(db);
    cr_assert_eq(one_int(db, &st_count_tokens, NULL, 0), 0, "%s: rolled back with the caller", e->label);
}

/* ---- revocation ------------------------------------------------------------------------------- */

STORE_TEST(test_token_revoke_marks_only_that_token_and_says_whether_it_was_live, false)
{
    migrate(db, e);
    add_client(db, e, "c.example", "acme");
    char a[TOKEN_HASH_HEX], b[TOKEN_HASH_HEX], x[TOKEN_HASH_HEX];
    insert(db, e, hash_of(a, 1), TOKEN_ACCESS, "c.example", NULL, NULL);
    insert(db, e, hash_of(b, 2), TOKEN_ACCESS, "c.example", NULL, NULL);
    bool revoked = false;
    cr_assert_eq(store_token_revoke(db, a, &revoked), DB_OK, "%s: %s", e->label, db_errmsg(db));
    cr_assert(revoked);
    cr_assert(is_revoked(db, e, a), "%s", e->label);
    cr_assert_not(is_revoked(db, e, b), "%s: others untouched", e->label);
    cr_assert_eq(store_token_revoke(db, a, &revoked), DB_OK);
    cr_assert_not(revoked, "%s: already revoked", e->label);
    cr_assert_eq(store_token_revoke(db, hash_of(x, 99), &revoked), DB_OK);
    cr_assert_not(revoked, "%s: unknown", e->label);
}

STORE_TEST(test_revoking_a_refresh_token_revokes_the_access_tokens_issued_from_it, false)
{
    migrate(db, e);
    add_client(db, e, "u.example", "acme");
    char r1[TOKEN_HASH_HEX], r2[TOKEN_HASH_HEX], a1[TOKEN_HASH_HEX], a2[TOKEN_HASH_HEX], a3[TOKEN_HASH_HEX],
        cc[TOKEN_HASH_HEX];
    insert(db, e, hash_of(r1, 1), TOKEN_REFRESH, "u.example", USER_ID, NULL);
    insert(db, e, hash_of(r2, 2), TOKEN_REFRESH, "u.example", USER_ID, NULL);
    insert(db, e, hash_of(a1, 3), TOKEN_ACCESS, "u.example", USER_ID, r1);
    insert(db, e, hash_of(a2, 4), TOKEN_ACCESS, "u.example", USER_ID, r1);
    insert(db, e, hash_of(a3, 5), TOKEN_ACCESS, "u.example", USER_ID, r2);
    insert(db, e, hash_of(cc, 6), TOKEN_ACCESS, "u.example", NULL, NULL);
    bool revoked = false;
    cr_assert_eq(store_token_revoke(db, r1, &revoked), DB_OK, "%s: %s", e->label, db_errmsg(db));
    cr_assert(revoked);
    cr_assert(is_revoked(db, e, r1) && is_revoked(db, e, a1) && is_revoked(db, e, a2), "%s", e->label);
    cr_assert_not(is_revoked(db, e, r2), "%s: another refresh token", e->label);
    cr_assert_not(is_revoked(db, e, a3), "%s: issued from another refresh token", e->label);
    cr_assert_not(is_revoked(db, e, cc), "%s: a client-mode token", e->label);
}

STORE_TEST(test_token_revoke_inside_a_callers_transaction_rolls_back_with_it, false)
{
    migrate(db, e);
    add_client(db, e, "u.example", "acme");
    char r[TOKEN_HASH_HEX], a[TOKEN_HASH_HEX];
    insert(db, e, hash_of(r, 1), TOKEN_REFRESH, "u.example", USER_ID, NULL);
    insert(db, e, hash_of(a, 2), TOKEN_ACCESS, "u.example", USER_ID, r);
    cr_assert_eq(db_begin(db), DB_OK);
    bool revoked = false;
    cr_assert_eq(store_token_revoke(db, r, &revoked), DB_OK, "%s: %s", e->label, db_errmsg(db));
    cr_assert(revoked);
    cr_assert(is_revoked(db, e, a), "%s: visible inside the transaction", e->label);
    db_rollback(db);
    cr_assert_not(is_revoked(db, e, r), "%s", e->label);
    cr_assert_not(is_revoked(db, e, a), "%s", e->label);
}

STORE_TEST(test_revoke_from_refresh_revokes_its_live_access_tokens_but_not_itself, false)
{
    migrate(db, e);
    add_client(db, e, "u.example", "acme");
    char r[TOKEN_HASH_HEX], other[TOKEN_HASH_HEX], a1[TOKEN_HASH_HEX], a2[TOKEN_HASH_HEX], a3[TOKEN_HASH_HEX];
    insert(db, e, hash_of(r, 1), TOKEN_REFRESH, "u.example", USER_ID, NULL);
    insert(db, e, hash_of(other, 2), TOKEN_REFRESH, "u.example", USER_ID, NULL);
    insert(db, e, hash_of(a1, 3), TOKEN_ACCESS, "u.example", USER_ID, r);
    insert(db, e, hash_of(a3, 5), TOKEN_ACCESS, "u.example", USER_ID, other);
    cr_assert_eq(store_token_revoke_from_refresh(db, r), DB_OK, "%s: %s", e->label, db_errmsg(db));
    cr_assert(is_revoked(db, e, a1), "%s", e->label);
    cr_assert_not(is_revoked(db, e, r), "%s: the refresh token stays usable (rule 4)", e->label);
    cr_assert_not(is_revoked(db, e, a3), "%s", e->label);

    /* The next refresh grant: a new access token, and the previous one revoked again. */
    insert(db, e, hash_of(a2, 4), TOKEN_ACCESS, "u.example", USER_ID, r);
    cr_assert_eq(store_token_revoke_from_refresh(db, r), DB_OK);
    cr_assert(is_revoked(db, e, a2), "%s", e->label);
    cr_assert_eq(store_token_revoke_from_refresh(db, hash_of(a3, 77)), DB_OK, "unknown: nothing to do");
}

/* ---- clients and their tokens ------------------------------------------------------------------ */

STORE_TEST(test_removing_a_client_deletes_its_tokens, false)
{
    migrate(db, e);
    add_client(db, e, "gone.example", "acme");
    add_client(db, e, "kept.example", "acme");
    char r[TOKEN_HASH_HEX], a[TOKEN_HASH_HEX], c[TOKEN_HASH_HEX], k[TOKEN_HASH_HEX];
    insert(db, e, hash_of(r, 1), TOKEN_REFRESH, "gone.example", USER_ID, NULL);
    insert(db, e, hash_of(a, 2), TOKEN_ACCESS, "gone.example", USER_ID, r);
    insert(db, e, hash_of(c, 3), TOKEN_ACCESS, "gone.example", NULL, NULL);
    insert(db, e, hash_of(k, 4), TOKEN_ACCESS, "kept.example", NULL, NULL);
    bool removed = false;
    cr_assert_eq(store_client_remove(db, "gone.example", &removed), DB_OK, "%s: %s", e->label, db_errmsg(db));
    cr_assert(removed);
    bool found = true;
    struct token_rec rec;
    const char *gone[] = {r, a, c};
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(store_token_get(db, gone[i], &found, &rec), DB_OK);
        cr_assert_not(found, "%s: token %d went with its client", e->label, i);
    }
    cr_assert_eq(one_int(db, &st_count_tokens, NULL, 0), 1, "%s", e->label);
    cr_assert_str_eq(get(db, e, k).client_id, "kept.example");
}

STORE_TEST(test_token_partner_follows_its_client, false)
{
    migrate(db, e);
    add_client(db, e, "m.example", "first");
    char h[TOKEN_HASH_HEX];
    insert(db, e, hash_of(h, 1), TOKEN_ACCESS, "m.example", NULL, NULL);
    struct client_update u = {.partner = "second", .access_ttl = -1, .refresh_ttl = -1, .capi_rate = -1,
                              .token_rate = -1};
    bool found = false;
    cr_assert_eq(store_client_update(db, "m.example", &u, &found), DB_OK, "%s: %s", e->label, db_errmsg(db));
    cr_assert_str_eq(get(db, e, h).partner, "second", "%s: read through the client, not copied", e->label);
}
