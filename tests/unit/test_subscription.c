/* test_subscription.c — src/events/subscription.c: the §6 catalogue, and the checks of a
 * subscription's base URL (https; http only for loopback hosts in the sandbox), paths and
 * authentication header, and how a path joins the base URL. */
#include <criterion/criterion.h>
#include <string.h>

#include "events/subscription.h"
#include "store/store.h"

Test(subscription, test_catalogue_knows_both_sources_and_nothing_else)
{
    cr_assert_str_eq(event_type_find("SUBSCRIPTION_START")->source, EVENT_SOURCE_CONNECT);
    cr_assert_str_eq(event_type_find("STOCK_CHANGED")->source, EVENT_SOURCE_CONNECT);
    cr_assert_str_eq(event_type_find("USER_CREATED")->source, EVENT_SOURCE_CONNECTID);
    cr_assert_str_eq(event_type_find("ORDER_USER_ASSIGNED")->source, EVENT_SOURCE_CONNECTID);
    cr_assert_null(event_type_find("user_created"));
    cr_assert_null(event_type_find("*"));
    cr_assert_null(event_type_find(NULL));
    size_t n = 0;
    while (EVENT_TYPES[n].name)
        n++;
    cr_assert_eq(n, 36 + 8, "§6.1 has 36 types and §6.2 has 8");
}

static void url(const char *u, bool sandbox, bool ok, const char *says)
{
    char err[256] = "";
    cr_assert_eq(webhook_url_check(u, sandbox, err, sizeof err), ok, "%s (sandbox %d): %s", u, sandbox, err);
    if (says)
        cr_assert_not_null(strstr(err, says), "%s: %s", u, err);
}

Test(subscription, test_https_urls_are_accepted)
{
    url("https://hooks.example.no/connect", false, true, NULL);
    url("https://hooks.example.no:8443/", false, true, NULL);
    url("HTTPS://hooks.example.no", false, true, NULL);
    url("https://127.0.0.1/x", false, true, NULL);
}

Test(subscription, test_http_only_for_loopback_in_the_sandbox)
{
    url("http://127.0.0.1:9000/h", true, true, NULL);
    url("http://127.3.4.5/h", true, true, NULL);
    url("http://localhost/h", true, true, NULL);
    url("http://[::1]:8080/h", true, true, NULL);
    url("http://127.0.0.1:9000/h", false, false, "--sandbox");
    url("http://10.0.0.1/h", true, false, "loopback");
    url("http://128.0.0.1/h", true, false, "loopback");
    url("http://localhost.example.no/h", true, false, "loopback");
}

Test(subscription, test_other_urls_are_refused_with_the_rule)
{
    url("ftp://hooks.example.no/x", true, false, "not ftp");
    url("hooks.example.no/x", false, false, "absolute");
    url("https://u:p@hooks.example.no/x", false, false, "user name");
    url("https://hooks.example.no/x?a=1", false, false, "query");
    url("https://hooks.example.no/x#f", false, false, "query string or fragment");
    url("https://hooks.example.no/a b", false, false, "visible ASCII");
    url("https://hooks.example.no/\xc3\xa6", false, false, "visible ASCII");
    url("", false, false, NULL);
    char longer[WEBHOOK_URL_MAX + 20] = "https://h.no/";
    memset(longer + strlen(longer), 'a', WEBHOOK_URL_MAX);
    longer[WEBHOOK_URL_MAX + 1] = '\0';
    url(longer, false, false, NULL);
}

Test(subscription, test_paths_start_with_a_slash_and_hold_visible_ascii)
{
    char err[200];
    cr_assert(webhook_path_check("/created", err, sizeof err));
    cr_assert(webhook_path_check("/a/b?type=x", err, sizeof err));
    cr_assert_not(webhook_path_check("created", err, sizeof err));
    cr_assert_not(webhook_path_check("/a b", err, sizeof err));
    cr_assert_not(webhook_path_check("/a#b", err, sizeof err));
    cr_assert_not(webhook_path_check("", err, sizeof err));
}

Test(subscription, test_auth_header_name_is_a_token_the_dispatcher_does_not_set)
{
    char err[200];
    cr_assert(webhook_header_name_check("Authorization", err, sizeof err));
    cr_assert(webhook_header_name_check("X-Api-Key", err, sizeof err));
    cr_assert_not(webhook_header_name_check("Bad Name", err, sizeof err));
    cr_assert_not(webhook_header_name_check("X:Y", err, sizeof err));
    cr_assert_not(webhook_header_name_check("", err, sizeof err));
    cr_assert_not(webhook_header_name_check("x-event-signature", err, sizeof err));
    cr_assert_not(webhook_header_name_check("Content-Type", err, sizeof err));
    cr_assert_not(webhook_header_name_check("Host", err, sizeof err));
}

Test(subscription, test_auth_header_value_is_one_line_of_visible_ascii)
{
    char err[200];
    cr_assert(webhook_header_value_check("Bearer 9f2c4e1a7b3d5f60", err, sizeof err));
    cr_assert_not(webhook_header_value_check("a\r\nX-Evil: 1", err, sizeof err));
    cr_assert_not(webhook_header_value_check("", err, sizeof err));
    cr_assert_not(webhook_header_value_check(" padded", err, sizeof err));
    cr_assert_not(webhook_header_value_check("tab\there", err, sizeof err));
}

Test(subscription, test_target_url_joins_base_and_path_with_one_slash)
{
    const char *cases[][3] = {
        {"https://h.no/connect", "/created", "https://h.no/connect/created"},
        {"https://h.no/connect/", "/created", "https://h.no/connect/created"},
        {"https://h.no/connect", "", "https://h.no/connect"},
        {"https://h.no", "/x", "https://h.no/x"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *u = webhook_target_url(cases[i][0], cases[i][1]);
        cr_assert_str_eq(u, cases[i][2]);
        free(u);
    }
}
