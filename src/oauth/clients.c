/* clients.c — OAuth clients as the token endpoint and the bearer check see them: the store's
 * client record, parsed once and cached process-wide for OAUTH_CACHE_MAX_AGE_MS, so a change
 * made by `connectd client update` on any node applies everywhere within that time. */
#include "oauth/oauth.h"

#include <string.h>

#include "codec/date.h"
#include "oauth/cache.h"
#include "util/buf.h"
#include "util/log.h"

extern struct cache *oauth_client_cache; /* oauth/bearer.c owns the process-wide state */

unsigned grants_parse(const char *list)
{
    static const struct {
        const char *name;
        unsigned bit;
    } NAMES[] = {
        {"client_credentials", GRANT_CLIENT_CREDENTIALS},
        {"authorization_code", GRANT_AUTHORIZATION_CODE},
        {"refresh_token", GRANT_REFRESH_TOKEN},
        {"extid_code", GRANT_EXTID_CODE},
        {GRANT_TYPE_EXTID, GRANT_EXTID_CODE},
    };
    unsigned bits = 0;
    const char *p = list;
    while (p && *p) {
        size_t n = strcspn(p, ", ");
        for (size_t i = 0; i < sizeof NAMES / sizeof NAMES[0]; i++)
            if (strlen(NAMES[i].name) == n && !strncmp(NAMES[i].name, p, n))
                bits |= NAMES[i].bit;
        p += n;
        p += strspn(p, ", ");
    }
    return bits;
}

static void client_from_rec(struct oauth_client *out, const struct client_rec *r)
{
    memset(out, 0, sizeof *out);
    str_copy(out->client_id, sizeof out->client_id, r->client_id);
    str_copy(out->partner, sizeof out->partner, r->partner);
    str_copy(out->secret_hash, sizeof out->secret_hash, r->secret_hash);
    out->grants = grants_parse(r->grants);
    out->access_ttl = r->access_ttl;
    out->refresh_ttl = r->refresh_ttl;
    out->capi_rate = r->capi_rate;
    out->token_rate = r->token_rate;
    str_copy(out->extid_types, sizeof out->extid_types, r->extid_types);
}

bool oauth_client_get(struct db *db, const char *client_id, struct oauth_client *out, bool *found)
{
    size_t len = strlen(client_id);
    int64_t now = date_now_ms();
    *found = false;
    if (len == 0 || len > CLIENT_ID_MAX)
        return true;
    if (cache_get(oauth_client_cache, client_id, len, out, now, OAUTH_CACHE_MAX_AGE_MS)) {
        *found = true;
        return true;
    }
    struct client_rec rec;
    if (store_client_get(db, client_id, found, &rec) != DB_OK)
        return false;
    if (*found) {
        client_from_rec(out, &rec);
        client_rec_free(&rec);
        cache_put(oauth_client_cache, client_id, len, out, now);
    }
    return true;
}

void oauth_client_forget(const char *client_id)
{
    cache_del(oauth_client_cache, client_id, strlen(client_id));
}
