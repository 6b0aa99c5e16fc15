/* envelope.c — routing keys, the §4.1 envelope and its signature (envelope.h). The envelope
 * is rebuilt from the stored row for every attempt; since the row never changes, the body
 * (and so the signature) of a retry is the same as the first attempt's, id included. */
#include "events/envelope.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "codec/date.h"
#include "store/store.h"
#include "util/crypto.h"
#include "util/hex.h"

static const char *string_member(const json_t *detail, const char *name)
{
    const char *s = json_string_value(json_object_get(detail, name));
    return s && *s ? s : NULL;
}

void event_route_key(const char *source, const json_t *detail, const char **client_id, const char **schema)
{
    bool connectid = source && !strcmp(source, EVENT_SOURCE_CONNECTID);
    *client_id = connectid ? string_member(detail, "clientId") : NULL;
    *schema = string_member(detail, "schema");
}

void event_route_key_row(const struct outbox_event *ev, char *client_id, char *schema)
{
    client_id[0] = schema[0] = '\0';
    json_t *detail = json_loads(ev->detail ? ev->detail : "", 0, NULL);
    const char *c = NULL, *s = NULL;
    event_route_key(ev->source, detail, &c, &s);
    if (c && strlen(c) <= CLIENT_ID_MAX)
        memcpy(client_id, c, strlen(c) + 1);
    if (s && strlen(s) <= EVENT_SCHEMA_MAX)
        memcpy(schema, s, strlen(s) + 1);
    json_decref(detail);
}

char *envelope_build(const struct event_row *ev, const char *account, const char *region)
{
    if (!ev->event_id || !ev->detail_type || !ev->source || !ev->detail || !account || !region)
        return NULL;
    json_t *detail = json_loads(ev->detail, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(detail)) {
        json_decref(detail);
        return NULL;
    }
    char time[21];
    date_format_iso_utc(ev->created_at, time);
    json_t *env = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[], s:o}", "version", "0", "id", ev->event_id,
                            "detail-type", ev->detail_type, "source", ev->source, "account", account, "time", time,
                            "region", region, "resources", "detail", detail);
    if (env == NULL)
        return NULL; /* out of memory; "o" gave detail to json_pack, which released it */
    char *text = json_dumps(env, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(env);
    return text;
}

bool envelope_sign(const unsigned char *secret, size_t secret_len, const char *body, size_t len,
                   char out[EVENT_SIGNATURE_MAX])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    if (HMAC(EVP_sha256(), secret, (int)secret_len, (const unsigned char *)body, len, mac, &maclen) == NULL ||
        maclen != 32)
        return false;
    memcpy(out, "sha256=", 7);
    hex_encode(mac, maclen, out + 7);
    return true;
}

bool webhook_secret_decode(const char *hex, unsigned char out[WEBHOOK_SECRET_BYTES])
{
    if (hex == NULL || strlen(hex) != 2 * WEBHOOK_SECRET_BYTES)
        return false;
    for (size_t i = 0; i < WEBHOOK_SECRET_BYTES; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            OPENSSL_cleanse(out, WEBHOOK_SECRET_BYTES);
            return false;
        }
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return true;
}
