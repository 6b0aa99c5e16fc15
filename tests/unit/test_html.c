/* test_html.c — the HTML vocabulary of the login pages (src/login/html.c): escaping of every
 * special character in text and attributes, control characters and broken UTF-8, the page
 * layout, the form helpers (CSRF field, no echoed password), links, the stylesheet and its
 * ETag, and the Content-Security-Policy and fixed security headers. */
#include <criterion/criterion.h>
#include <string.h>

#include "login/html.h"

static char *escaped(const char *s)
{
    static struct buf b;
    buf_free(&b);
    buf_puts(&b, "");
    html_escape(&b, s);
    return b.data;
}

static char *attr_escaped(const char *s)
{
    static struct buf b;
    buf_free(&b);
    buf_puts(&b, "");
    html_attr_escape(&b, s);
    return b.data;
}

/* Nothing that could open a tag or end a quoted attribute survives in the text. */
static void assert_no_raw_specials(const char *s)
{
    cr_assert_null(strchr(s, '<'), "raw '<' in %s", s);
    cr_assert_null(strchr(s, '>'), "raw '>' in %s", s);
    cr_assert_null(strchr(s, '"'), "raw '\"' in %s", s);
    cr_assert_null(strchr(s, '\''), "raw \"'\" in %s", s);
}

Test(html, escape_replaces_each_special_character_by_its_entity)
{
    cr_assert_str_eq(escaped("&"), "&amp;");
    cr_assert_str_eq(escaped("<"), "&lt;");
    cr_assert_str_eq(escaped(">"), "&gt;");
    cr_assert_str_eq(escaped("\""), "&quot;");
    cr_assert_str_eq(escaped("'"), "&#39;");
    cr_assert_str_eq(escaped("a&b<c>d\"e'f"), "a&amp;b&lt;c&gt;d&quot;e&#39;f");
}

Test(html, escape_of_an_existing_entity_escapes_the_ampersand_again)
{
    cr_assert_str_eq(escaped("&lt;"), "&amp;lt;");
}

Test(html, script_tag_in_text_is_escaped)
{
    cr_assert_str_eq(escaped("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
}

Test(html, script_tag_and_quote_breakout_in_attribute_is_escaped)
{
    char *s = attr_escaped("\"><script>alert(1)</script><x a='");
    cr_assert_str_eq(s, "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;x a=&#39;");
    assert_no_raw_specials(s);
}

Test(html, escape_of_null_and_empty_writes_nothing)
{
    cr_assert_str_eq(escaped(NULL), "");
    cr_assert_str_eq(escaped(""), "");
}

Test(html, control_characters_are_dropped_but_newline_and_tab_kept)
{
    cr_assert_str_eq(escaped("a\x01" "b\x1b[31mc\x7f" "d\re"), "ab[31mcde");
    cr_assert_str_eq(escaped("a\nb\tc"), "a\nb\tc");
}

Test(html, nul_inside_a_counted_string_is_dropped)
{
    struct buf b = BUF_INIT;
    html_escape_n(&b, "a\0<b", 4);
    cr_assert_str_eq(b.data, "a&lt;b");
    buf_free(&b);
}

Test(html, c1_control_characters_are_dropped)
{
    cr_assert_str_eq(escaped("a\xC2\x85" "b\xC2\x9F" "c"), "abc");
}

Test(html, utf8_text_is_kept_unchanged)
{
    cr_assert_str_eq(escaped("Blåbærsyltetøy ÆØÅ"), "Blåbærsyltetøy ÆØÅ");
    cr_assert_str_eq(escaped("€ 𝄞 \xC2\xA0"), "€ 𝄞 \xC2\xA0");
}

Test(html, invalid_utf8_becomes_replacement_character)
{
    cr_assert_str_eq(escaped("a\xFF" "b"), "a\xEF\xBF\xBD" "b");
    cr_assert_str_eq(escaped("\xC0\xBC"), "\xEF\xBF\xBD\xEF\xBF\xBD"); /* overlong '<' */
    cr_assert_str_eq(escaped("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"); /* surrogate */
    cr_assert_str_eq(escaped("x\xE2\x82"), "x\xEF\xBF\xBD\xEF\xBF\xBD"); /* truncated */
    cr_assert_str_eq(escaped("\xF4\x90\x80\x80"), /* above U+10FFFF */
                     "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

Test(html, subst_escapes_template_and_argument)
{
    struct buf b = BUF_INIT;
    html_escape_subst(&b, "Sent to %s & done, 100%%", "<b>ola@x.no</b>");
    cr_assert_str_eq(b.data, "Sent to &lt;b&gt;ola@x.no&lt;/b&gt; &amp; done, 100%");
    buf_free(&b);
}

Test(html, subst_does_not_interpret_other_format_directives)
{
    struct buf b = BUF_INIT;
    html_escape_subst(&b, "%n %d %x %", "%n%s");
    cr_assert_str_eq(b.data, "%n %d %x %");
    buf_reset(&b);
    html_escape_subst(&b, "[%s]", "%n%s%%");
    cr_assert_str_eq(b.data, "[%n%s%%]");
    buf_reset(&b);
    html_escape_subst(&b, "[%s]", NULL);
    cr_assert_str_eq(b.data, "[]");
    buf_free(&b);
}

Test(html, page_has_doctype_lang_charset_viewport_and_stylesheet)
{
    struct buf b = BUF_INIT;
    html_page_begin(&b, "nb", "Logg inn");
    html_page_end(&b);
    cr_assert(strncmp(b.data, "<!DOCTYPE html>\n<html lang=\"nb\">", 32) == 0, "%s", b.data);
    cr_assert_not_null(strstr(b.data, "<meta charset=\"utf-8\">"));
    cr_assert_not_null(strstr(b.data, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"));
    cr_assert_not_null(strstr(b.data, "<link rel=\"stylesheet\" href=\"/user/static/style.css\">"));
    cr_assert_not_null(strstr(b.data, "<title>Logg inn</title>"));
    cr_assert_not_null(strstr(b.data, "<main>\n<h1>Logg inn</h1>"));
    cr_assert(strstr(b.data, "<meta charset") < strstr(b.data, "<title>"), "charset comes first in head");
    size_t n = strlen("</main>\n</body>\n</html>\n");
    cr_assert_str_eq(b.data + b.len - n, "</main>\n</body>\n</html>\n");
    buf_free(&b);
}

Test(html, page_has_no_inline_style_or_script)
{
    struct buf b = BUF_INIT;
    html_page_begin(&b, "en", "Log in");
    html_form_begin(&b, "/user/login", "tok");
    html_input(&b, "password", "password", "Password", NULL, "current-password", HTML_REQUIRED);
    html_submit(&b, "Continue");
    html_form_end(&b);
    html_page_end(&b);
    cr_assert_null(strstr(b.data, "<script"));
    cr_assert_null(strstr(b.data, "<style"));
    cr_assert_null(strstr(b.data, "style="));
    cr_assert_null(strstr(b.data, " on")); /* no event handler attributes */
    buf_free(&b);
}

Test(html, page_title_and_lang_are_escaped)
{
    struct buf b = BUF_INIT;
    html_page_begin(&b, "en\"><script>", "<script>alert(1)</script>");
    html_page_end(&b);
    cr_assert_null(strstr(b.data, "<script"));
    cr_assert_not_null(strstr(b.data, "<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>"));
    cr_assert_not_null(strstr(b.data, "<html lang=\"en&quot;&gt;&lt;script&gt;\">"));
    buf_free(&b);
}

Test(html, page_without_lang_says_english)
{
    struct buf b = BUF_INIT;
    html_page_begin(&b, NULL, "t");
    cr_assert_not_null(strstr(b.data, "<html lang=\"en\">"));
    buf_free(&b);
}

Test(html, form_is_a_post_and_carries_the_csrf_token_first)
{
    struct buf b = BUF_INIT;
    html_form_begin(&b, "/user/login?clientId=a&x=\"", "c0ffee\"><x");
    html_form_end(&b);
    cr_assert_str_eq(b.data, "<form method=\"post\" action=\"/user/login?clientId=a&amp;x=&quot;\">\n"
                             "<input type=\"hidden\" name=\"csrf\" value=\"c0ffee&quot;&gt;&lt;x\">\n"
                             "</form>\n");
    buf_free(&b);
}

Test(html, hidden_field_escapes_name_and_value)
{
    struct buf b = BUF_INIT;
    html_hidden(&b, "returnUrl", "https://ex.no/?a=1&b='2'");
    cr_assert_str_eq(b.data,
                     "<input type=\"hidden\" name=\"returnUrl\" value=\"https://ex.no/?a=1&amp;b=&#39;2&#39;\">\n");
    buf_reset(&b);
    html_hidden(&b, "x", NULL);
    cr_assert_str_eq(b.data, "<input type=\"hidden\" name=\"x\" value=\"\">\n");
    buf_free(&b);
}

Test(html, input_has_label_bound_by_id_and_escaped_value)
{
    struct buf b = BUF_INIT;
    html_input(&b, "text", "credential", "E-post <eller> mobil", "\"><script>alert(1)</script>", "username",
               HTML_AUTOFOCUS | HTML_REQUIRED | HTML_VERBATIM);
    cr_assert_str_eq(b.data, "<label for=\"f-credential\">E-post &lt;eller&gt; mobil</label>\n"
                             "<input id=\"f-credential\" type=\"text\" name=\"credential\" "
                             "value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\" autocomplete=\"username\" "
                             "autocapitalize=\"none\" spellcheck=\"false\" required autofocus>\n");
    buf_free(&b);
}

Test(html, input_without_value_writes_no_value_attribute)
{
    struct buf b = BUF_INIT;
    html_input(&b, "password", "password", "Password", NULL, NULL, 0);
    cr_assert_null(strstr(b.data, "value="));
    cr_assert_null(strstr(b.data, "autocomplete="));
    cr_assert_null(strstr(b.data, "autofocus"));
    buf_free(&b);
}

Test(html, numeric_input_asks_for_a_digit_keyboard)
{
    struct buf b = BUF_INIT;
    html_input(&b, "text", "code", "Code", NULL, "one-time-code", HTML_NUMERIC);
    cr_assert_not_null(strstr(b.data, " inputmode=\"numeric\" pattern=\"[0-9]*\""));
    cr_assert_not_null(strstr(b.data, " autocomplete=\"one-time-code\""));
    buf_free(&b);
}

Test(html, checkbox_is_checked_only_when_asked)
{
    struct buf b = BUF_INIT;
    html_checkbox(&b, "rememberMe", "Husk meg", true);
    cr_assert_str_eq(b.data, "<label class=\"check\"><input type=\"checkbox\" name=\"rememberMe\" value=\"1\" checked> "
                             "Husk meg</label>\n");
    buf_reset(&b);
    html_checkbox(&b, "rememberMe", "<i>", false);
    cr_assert_str_eq(b.data, "<label class=\"check\"><input type=\"checkbox\" name=\"rememberMe\" value=\"1\"> "
                             "&lt;i&gt;</label>\n");
    buf_free(&b);
}

Test(html, buttons_escape_labels_and_cancel_skips_validation)
{
    struct buf b = BUF_INIT;
    html_submit(&b, "Go <now>");
    cr_assert_str_eq(b.data, "<button type=\"submit\">Go &lt;now&gt;</button>\n");
    buf_reset(&b);
    html_button(&b, "_eventId", "cancel", "Avbryt");
    cr_assert_str_eq(b.data, "<button type=\"submit\" class=\"secondary\" formnovalidate name=\"_eventId\" "
                             "value=\"cancel\">Avbryt</button>\n");
    buf_free(&b);
}

Test(html, link_escapes_href_and_text)
{
    struct buf b = BUF_INIT;
    html_link(&b, "/user/login?a=1&b=\"2\"", "<Use a code>");
    cr_assert_str_eq(b.data, "<p><a href=\"/user/login?a=1&amp;b=&quot;2&quot;\">&lt;Use a code&gt;</a></p>\n");
    buf_reset(&b);
    html_link(&b, "HTTPS://example.no/", "x");
    cr_assert_str_eq(b.data, "<p><a href=\"HTTPS://example.no/\">x</a></p>\n");
    buf_free(&b);
}

Test(html, link_to_an_unsafe_scheme_or_scheme_relative_url_is_not_linked)
{
    const char *bad[] = {"javascript:alert(1)", " javascript:alert(1)", "JaVaScRiPt:x", "data:text/html,x",
                         "//evil.example/", "/\\evil.example/", "relative", "", NULL};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct buf b = BUF_INIT;
        html_link(&b, bad[i], "t");
        cr_assert_str_eq(b.data, "<p>t</p>\n", "href %s", bad[i] ? bad[i] : "(null)");
        buf_free(&b);
    }
}

Test(html, paragraphs_have_their_class_and_role)
{
    struct buf b = BUF_INIT;
    html_error(&b, "Wrong <password>");
    cr_assert_str_eq(b.data, "<p class=\"alert\" role=\"alert\">Wrong &lt;password&gt;</p>\n");
    buf_reset(&b);
    html_para(&b, HTML_P_NOTICE, "Sent to %s.", "+4712345678");
    cr_assert_str_eq(b.data, "<p class=\"notice\" role=\"status\">Sent to +4712345678.</p>\n");
    buf_reset(&b);
    html_para(&b, HTML_P_HINT, "8+", NULL);
    cr_assert_str_eq(b.data, "<p class=\"hint\">8+</p>\n");
    buf_reset(&b);
    html_para(&b, HTML_P_TEXT, "%s", "<x>");
    cr_assert_str_eq(b.data, "<p>&lt;x&gt;</p>\n");
    buf_free(&b);
}

Test(html, stylesheet_is_small_mobile_first_and_self_contained)
{
    cr_assert_eq(html_style_css_len, strlen(html_style_css));
    cr_assert_lt(html_style_css_len, 4096);
    cr_assert_not_null(strstr(html_style_css, "max-width:28rem"));
    cr_assert_not_null(strstr(html_style_css, "system-ui"));
    cr_assert_not_null(strstr(html_style_css, ":focus-visible{outline:"));
    cr_assert_not_null(strstr(html_style_css, "min-height:3rem"));
    cr_assert_null(strstr(html_style_css, "url("));
    cr_assert_null(strstr(html_style_css, "@import"));
    cr_assert_null(strstr(html_style_css, "outline:none"));
    cr_assert_null(strstr(html_style_css, "outline:0"));
}

Test(html, stylesheet_etag_is_a_stable_quoted_strong_hash)
{
    char a[HTML_ETAG_MAX], b[HTML_ETAG_MAX];
    html_style_etag(a);
    html_style_etag(b);
    cr_assert_str_eq(a, b);
    cr_assert_eq(strlen(a), 34);
    cr_assert_eq(a[0], '"');
    cr_assert_eq(a[33], '"');
    for (int i = 1; i < 33; i++)
        cr_assert(strchr("0123456789abcdef", a[i]) != NULL);
    cr_assert_neq(a[1], 'W', "not a weak tag");
}

Test(html, csp_without_hosts_allows_only_self)
{
    struct buf b = BUF_INIT;
    html_csp(&b, NULL, 0);
    cr_assert_str_eq(b.data, "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                             "base-uri 'none'");
    buf_free(&b);
}

Test(html, csp_lists_redirect_hosts_in_form_action_for_both_schemes)
{
    const char *hosts[] = {"example.no", "*.mediaconnect.no", "localhost:8080"};
    struct buf b = BUF_INIT;
    html_csp(&b, hosts, 3);
    cr_assert_str_eq(b.data, "default-src 'none'; style-src 'self'; form-action 'self' http://example.no "
                             "https://example.no http://*.mediaconnect.no https://*.mediaconnect.no "
                             "http://localhost:8080 https://localhost:8080; frame-ancestors 'none'; base-uri 'none'");
    buf_free(&b);
}

Test(html, csp_leaves_out_hosts_that_could_inject_a_directive)
{
    const char *hosts[] = {"a.no; script-src *", "b.no\r\nX-Evil: 1", "c.no d.no", "'unsafe-inline'", "*",
                           "", NULL, "e..no", ".no", "f.no:", "g.no:123456", "h.no:80x", "ok.no"};
    struct buf b = BUF_INIT;
    html_csp(&b, hosts, sizeof hosts / sizeof hosts[0]);
    cr_assert_str_eq(b.data, "default-src 'none'; style-src 'self'; form-action 'self' http://ok.no https://ok.no; "
                             "frame-ancestors 'none'; base-uri 'none'");
    buf_free(&b);
}

Test(html, security_headers_deny_framing_and_caching)
{
    bool xfo = false, nosniff = false, nostore = false;
    for (size_t i = 0; i < html_security_header_count; i++) {
        const struct html_header *h = &html_security_headers[i];
        if (strcmp(h->name, "X-Frame-Options") == 0)
            xfo = strcmp(h->value, "DENY") == 0;
        if (strcmp(h->name, "X-Content-Type-Options") == 0)
            nosniff = strcmp(h->value, "nosniff") == 0;
        if (strcmp(h->name, "Cache-Control") == 0)
            nostore = strcmp(h->value, "no-store") == 0;
    }
    cr_assert(xfo && nosniff && nostore);
    cr_assert_str_eq(HTML_CONTENT_TYPE, "text/html; charset=utf-8");
}
