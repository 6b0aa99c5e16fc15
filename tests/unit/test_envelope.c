/* test_envelope.c — src/events/envelope.c: the routing keys of events.md §2, the §4.1 envelope
 * field by field and in order, and the §3 signature (an RFC 4231 vector, and the secret's
 * hex decoding). */
#include <criterion/criterion.h>
#include <string.h>

#include "events/envelope.h"
#include "store/store.h"

static const struct event_row ROW = {
    .event_id = "44e4dfe0-fb98-436d-8d55-a16b7770d1ae",
    .detail_type = "SUBSCRIPTION_START",
    .source = EVENT_SOURCE_CONNECT,
    .detail = "{\"schema\":\"CNxx\",\"customer\":12345,\"product\":\"PROD1\",\"periodEnd\":1610665200000}",
    .created_at = 1642597637000, /* 2022-01-19T13:07:17Z */
};

Test(envelope, test_envelope_has_the_documented_fields_in_order)
{
    char *body = envelope_build(&ROW, "408193426112", "eu-north-1");
    cr_assert_not_null(body);
    cr_assert_str_eq(body, "{\"version\":\"0\",\"id\":\"44e4dfe0-fb98-436d-8d55-a16b7770d1ae\","
                           "\"detail-type\":\"SUBSCRIPTION_START\",\"source\":\"no.mediaconnect.connect\","
                           "\"account\":\"408193426112\",\"time\":\"2022-01-19T13:07:17Z\",\"region\":\"eu-north-1\","
                           "\"resources\":[],\"detail\":{\"schema\":\"CNxx\",\"customer\":12345,\"product\":\"PROD1\","
                           "\"periodEnd\":1610665200000}}");
    free(body);
}

Test(envelope, test_envelope_of_the_same_row_is_the_same_text_every_time)
{
    char *a = envelope_build(&ROW, "408193426112", "eu-north-1"), *b = envelope_build(&ROW, "408193426112", "eu-north-1");
    cr_assert_str_eq(a, b);
    free(a);
    free(b);
}

Test(envelope, test_envelope_time_drops_milliseconds)
{
    struct event_row r = ROW;
    r.created_at = 1642597637999;
    char *body = envelope_build(&r, "000000000000", "x");
    cr_assert_not_null(strstr(body, "\"time\":\"2022-01-19T13:07:17Z\""), "%s", body);
    free(body);
}

Test(envelope, test_envelope_refuses_a_detail_that_is_not_an_object_and_missing_fields)
{
    const char *bad[] = {"[1]", "\"x\"", "{", "", "{\"a\":1,\"a\":2}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct event_row r = ROW;
        r.detail = bad[i];
        cr_assert_null(envelope_build(&r, "408193426112", "eu-north-1"), "%s", bad[i]);
    }
    struct event_row r = ROW;
    r.event_id = NULL;
    cr_assert_null(envelope_build(&r, "408193426112", "eu-north-1"));
    cr_assert_null(envelope_build(&ROW, NULL, "eu-north-1"));
}

Test(envelope, test_signature_is_sha256_hmac_in_lower_case_hex)
{
    /* RFC 4231 test case 2. */
    char sig[EVENT_SIGNATURE_MAX];
    const char *data = "what do ya want for nothing?";
    cr_assert(envelope_sign((const unsigned char *)"Jefe", 4, data, strlen(data), sig));
    cr_assert_str_eq(sig, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

Test(envelope, test_secret_hex_decodes_to_32_bytes_and_malformed_ones_are_refused)
{
    unsigned char key[WEBHOOK_SECRET_BYTES];
    const char *hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1F";
    cr_assert(webhook_secret_decode(hex, key));
    for (int i = 0; i < 32; i++)
        cr_assert_eq(key[i], i);
    cr_assert_not(webhook_secret_decode("00", key));
    cr_assert_not(webhook_secret_decode(NULL, key));
    cr_assert_not(webhook_secret_decode("zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", key));
}

/* ---- routing keys -------------------------------------------------------------------------------- */

static void keys(const char *source, const char *detail, const char *want_client, const char *want_schema)
{
    json_t *d = json_loads(detail, 0, NULL);
    const char *client = NULL, *schema = NULL;
    event_route_key(source, d, &client, &schema);
    if (want_client)
        cr_assert_str_eq(client, want_client, "%s", detail);
    else
        cr_assert_null(client, "%s", detail);
    if (want_schema)
        cr_assert_str_eq(schema, want_schema, "%s", detail);
    else
        cr_assert_null(schema, "%s", detail);
    json_decref(d);
}

Test(envelope, test_connect_events_route_by_schema_only)
{
    keys(EVENT_SOURCE_CONNECT, "{\"schema\":\"CN01\",\"clientId\":\"a.b\"}", NULL, "CN01");
    keys(EVENT_SOURCE_CONNECT, "{\"customer\":1}", NULL, NULL);
}

Test(envelope, test_connectid_events_route_by_client_then_schema)
{
    keys(EVENT_SOURCE_CONNECTID, "{\"clientId\":\"a.b\",\"schema\":\"CN01\"}", "a.b", "CN01");
    keys(EVENT_SOURCE_CONNECTID, "{\"clientId\":null,\"schema\":\"CN01\"}", NULL, "CN01");
    keys(EVENT_SOURCE_CONNECTID, "{\"uniqueId\":\"u\"}", NULL, NULL);
    keys(EVENT_SOURCE_CONNECTID, "{\"clientId\":\"\",\"schema\":5}", NULL, NULL);
}

Test(envelope, test_route_key_of_a_row_leaves_overlong_or_unparsable_keys_empty)
{
    char client[CLIENT_ID_MAX + 1], schema[EVENT_SCHEMA_MAX + 1];
    char detail[400];
    snprintf(detail, sizeof detail, "{\"clientId\":\"%0150d\",\"schema\":\"CN01\"}", 0);
    struct outbox_event ev = {.source = EVENT_SOURCE_CONNECTID, .detail = detail};
    event_route_key_row(&ev, client, schema);
    cr_assert_str_eq(client, "");
    cr_assert_str_eq(schema, "CN01");
    ev.detail = "not json";
    event_route_key_row(&ev, client, schema);
    cr_assert_str_eq(client, "");
    cr_assert_str_eq(schema, "");
}
