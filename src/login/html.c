/* html.c — escaping, the page layout, form helpers, the stylesheet and the security headers of
 * the login pages (see html.h). Every value that reaches the markup goes through escape_n(),
 * which also guarantees valid UTF-8 without control characters; the fixed markup around it is
 * written here once. The stylesheet is a C string so the binary needs no asset directory and the
 * CSP can stay at style-src 'self' with no inline styles. */
#include "login/html.h"

#include <openssl/evp.h>
#include <string.h>
#include <strings.h>

/* ---- escaping ---------------------------------------------------------------------------- */

static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

/* Length of the valid UTF-8 sequence starting at s[0] (a byte >= 0x80), or 0 if it is not one.
 * Rejects overlong forms, surrogates and code points above U+10FFFF (RFC 3629 table). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    unsigned char lo = 0x80, hi = 0xBF;
    size_t len;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
}

void html_escape_n(struct buf *out, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    if (!s)
        return;
    while (i < n) {
        unsigned char c = s[i];
        if (c >= 0x80) {
            size_t len = utf8_seq(s + i, n - i);
            if (len == 0) {
                buf_puts(out, replacement);
                i++;
            } else {
                if (!(c == 0xC2 && s[i + 1] <= 0x9F)) /* C1 controls U+0080..U+009F: dropped */
                    buf_append(out, s + i, len);
                i += len;
            }
            continue;
        }
        switch (c) {
        case '&': buf_puts(out, "&amp;"); break;
        case '<': buf_puts(out, "&lt;"); break;
        case '>': buf_puts(out, "&gt;"); break;
        case '"': buf_puts(out, "&quot;"); break;
        case '\'': buf_puts(out, "&#39;"); break;
        case '\n':
        case '\t': buf_putc(out, (char)c); break;
        default:
            if (c >= 0x20 && c != 0x7F)
                buf_putc(out, (char)c);
            break; /* other C0 controls, NUL and DEL: dropped */
        }
        i++;
    }
}

void html_escape(struct buf *out, const char *s)
{
    if (s)
        html_escape_n(out, s, strlen(s));
}

void html_attr_escape(struct buf *out, const char *s)
{
    html_escape(out, s);
}

void html_escape_subst(struct buf *out, const char *tmpl, const char *arg)
{
    if (!tmpl)
        return;
    const char *run = tmpl, *p = tmpl;
    while ((p = strchr(p, '%')) != NULL) {
        if (p[1] == 's' || p[1] == '%') {
            html_escape_n(out, run, (size_t)(p - run));
            if (p[1] == 's')
                html_escape(out, arg);
            else
                buf_putc(out, '%');
            p += 2;
            run = p;
        } else
            p++;
    }
    html_escape(out, run);
}

/* name="value" with a leading space; value escaped. */
static void attr(struct buf *out, const char *name, const char *value)
{
    buf_printf(out, " %s=\"", name);
    html_attr_escape(out, value);
    buf_putc(out, '"');
}

/* ---- page layout ------------------------------------------------------------------------- */

void html_page_begin(struct buf *out, const char *lang, const char *title)
{
    buf_puts(out, "<!DOCTYPE html>\n<html");
    attr(out, "lang", lang && *lang ? lang : "en");
    buf_puts(out, ">\n<head>\n"
                  "<meta charset=\"utf-8\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                  "<meta name=\"robots\" content=\"noindex, nofollow\">\n"
                  "<title>");
    html_escape(out, title);
    buf_puts(out, "</title>\n"
                  "<link rel=\"stylesheet\" href=\"" HTML_STYLE_PATH "\">\n"
                  "</head>\n<body>\n<main>\n<h1>");
    html_escape(out, title);
    buf_puts(out, "</h1>\n");
}

void html_page_end(struct buf *out)
{
    buf_puts(out, "</main>\n</body>\n</html>\n");
}

/* ---- content ----------------------------------------------------------------------------- */

void html_para(struct buf *out, enum html_para k, const char *tmpl, const char *arg)
{
    switch (k) {
    case HTML_P_NOTICE: buf_puts(out, "<p class=\"notice\" role=\"status\">"); break;
    case HTML_P_ERROR: buf_puts(out, "<p class=\"alert\" role=\"alert\">"); break;
    case HTML_P_HINT: buf_puts(out, "<p class=\"hint\">"); break;
    default: buf_puts(out, "<p>"); break;
    }
    html_escape_subst(out, tmpl, arg);
    buf_puts(out, "</p>\n");
}

void html_error(struct buf *out, const char *text)
{
    html_para(out, HTML_P_ERROR, text, NULL);
}

/* A path on this server ("/x" but not "//x", which is scheme-relative) or an http(s) URL. */
static bool href_safe(const char *h)
{
    if (!h)
        return false;
    if (h[0] == '/')
        return h[1] != '/' && h[1] != '\\';
    return strncasecmp(h, "https://", 8) == 0 || strncasecmp(h, "http://", 7) == 0;
}

void html_link(struct buf *out, const char *href, const char *text)
{
    buf_puts(out, "<p>");
    if (href_safe(href)) {
        buf_puts(out, "<a");
        attr(out, "href", href);
        buf_putc(out, '>');
        html_escape(out, text);
        buf_puts(out, "</a>");
    } else
        html_escape(out, text);
    buf_puts(out, "</p>\n");
}

/* ---- forms ------------------------------------------------------------------------------- */

void html_form_begin(struct buf *out, const char *action, const char *csrf_token)
{
    buf_puts(out, "<form method=\"post\"");
    attr(out, "action", action);
    buf_puts(out, ">\n");
    html_hidden(out, HTML_CSRF_FIELD, csrf_token);
}

void html_form_end(struct buf *out)
{
    buf_puts(out, "</form>\n");
}

void html_hidden(struct buf *out, const char *name, const char *value)
{
    buf_puts(out, "<input type=\"hidden\"");
    attr(out, "name", name);
    attr(out, "value", value ? value : "");
    buf_puts(out, ">\n");
}

void html_input(struct buf *out, const char *type, const char *name, const char *label, const char *value,
                const char *autocomplete, unsigned flags)
{
    buf_puts(out, "<label for=\"f-");
    html_attr_escape(out, name);
    buf_puts(out, "\">");
    html_escape(out, label);
    buf_puts(out, "</label>\n<input id=\"f-");
    html_attr_escape(out, name);
    buf_putc(out, '"');
    attr(out, "type", type ? type : "text");
    attr(out, "name", name);
    if (value)
        attr(out, "value", value);
    if (autocomplete)
        attr(out, "autocomplete", autocomplete);
    if (flags & HTML_NUMERIC)
        buf_puts(out, " inputmode=\"numeric\" pattern=\"[0-9]*\"");
    if (flags & HTML_VERBATIM)
        buf_puts(out, " autocapitalize=\"none\" spellcheck=\"false\"");
    if (flags & HTML_REQUIRED)
        buf_puts(out, " required");
    if (flags & HTML_AUTOFOCUS)
        buf_puts(out, " autofocus");
    buf_puts(out, ">\n");
}

void html_checkbox(struct buf *out, const char *name, const char *label, bool checked)
{
    buf_puts(out, "<label class=\"check\"><input type=\"checkbox\"");
    attr(out, "name", name);
    buf_puts(out, checked ? " value=\"1\" checked> " : " value=\"1\"> ");
    html_escape(out, label);
    buf_puts(out, "</label>\n");
}

void html_submit(struct buf *out, const char *label)
{
    html_submit_named(out, NULL, NULL, label);
}

void html_submit_named(struct buf *out, const char *name, const char *value, const char *label)
{
    buf_puts(out, "<button type=\"submit\"");
    if (name) {
        attr(out, "name", name);
        attr(out, "value", value ? value : "");
    }
    buf_putc(out, '>');
    html_escape(out, label);
    buf_puts(out, "</button>\n");
}

void html_button(struct buf *out, const char *name, const char *value, const char *label)
{
    buf_puts(out, "<button type=\"submit\" class=\"secondary\" formnovalidate");
    attr(out, "name", name);
    attr(out, "value", value ? value : "");
    buf_putc(out, '>');
    html_escape(out, label);
    buf_puts(out, "</button>\n");
}

/* ---- the stylesheet ---------------------------------------------------------------------- */

/* Mobile first: one centred column of at most 28rem, 3rem touch targets, system fonts, contrast
 * of at least 4.5:1 for all text, a focus ring that is never removed, and dark mode. Long words
 * (an e-mail address in a notice) wrap: else a phone zooms the whole page out to fit them. */
const char html_style_css[] =
    ":root{color-scheme:light dark;--fg:#1b1f24;--bg:#f4f5f7;--card:#fff;--muted:#57606a;"
    "--accent:#0b5cad;--accent-fg:#fff;--border:#8c959f;--err-bg:#fdecea;--err:#8a1c12;"
    "--ok-bg:#e6f2ea;--ok:#1a5e2e}\n"
    "@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--card:#161b22;"
    "--muted:#9da7b3;--accent:#4493f8;--accent-fg:#0d1117;--border:#6e7681;--err-bg:#3d1512;"
    "--err:#ffb4ab;--ok-bg:#12301c;--ok:#9be3b0}}\n"
    "*,*::before,*::after{box-sizing:border-box}\n"
    "html{-webkit-text-size-adjust:100%;text-size-adjust:100%}\n"
    "body{margin:0;background:var(--bg);color:var(--fg);line-height:1.5;font-size:1.0625rem;"
    "font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,sans-serif;"
    "overflow-wrap:anywhere}\n"
    "main{max-width:28rem;margin:0 auto;padding:1.5rem 1rem 3rem;background:var(--card);min-height:100vh}\n"
    "@media (min-width:30rem){main{margin:2rem auto;min-height:0;border-radius:.75rem;padding:2rem;"
    "box-shadow:0 1px 4px rgba(0,0,0,.15)}}\n"
    "h1{font-size:1.5rem;line-height:1.25;margin:0 0 1.25rem}\n"
    "p{margin:0 0 1rem}\n"
    "form{margin:0 0 1rem}\n"
    "label{display:block;font-weight:600;margin:0 0 .375rem}\n"
    "input:not([type=checkbox]){display:block;width:100%;min-height:3rem;margin:0 0 1rem;"
    "padding:.625rem .75rem;font:inherit;color:var(--fg);background:var(--card);"
    "border:1px solid var(--border);border-radius:.5rem}\n"
    "label.check{display:flex;align-items:center;gap:.625rem;font-weight:400;min-height:3rem;margin:0 0 1rem}\n"
    "label.check input{width:1.375rem;height:1.375rem;margin:0;accent-color:var(--accent)}\n"
    "button{display:block;width:100%;min-height:3rem;margin:0 0 .75rem;padding:.625rem 1rem;"
    "font:inherit;font-weight:600;color:var(--accent-fg);background:var(--accent);"
    "border:2px solid var(--accent);border-radius:.5rem;cursor:pointer}\n"
    "button.secondary{color:var(--accent);background:transparent}\n"
    "a{color:var(--accent);text-underline-offset:.15em}\n"
    "a,button,input{outline-offset:2px}\n"
    ":focus-visible{outline:3px solid var(--accent)}\n"
    "input:focus{outline:3px solid var(--accent)}\n"
    ".alert,.notice{padding:.75rem 1rem;border-radius:.5rem;border-left:.3125rem solid}\n"
    ".alert{background:var(--err-bg);color:var(--err)}\n"
    ".notice{background:var(--ok-bg);color:var(--ok)}\n"
    ".hint{color:var(--muted);font-size:.9375rem;margin-top:-.625rem}\n";

const size_t html_style_css_len = sizeof html_style_css - 1;

void html_style_etag(char out[HTML_ETAG_MAX])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!EVP_Digest(html_style_css, html_style_css_len, md, &mdlen, EVP_sha256(), NULL) || mdlen < 16)
        memset(md, 0, 16); /* cannot happen with a working libcrypto; still a valid, stable tag */
    out[0] = '"';
    for (int i = 0; i < 16; i++) {
        out[1 + 2 * i] = hex[md[i] >> 4];
        out[2 + 2 * i] = hex[md[i] & 15];
    }
    out[33] = '"';
    out[34] = '\0';
}

/* ---- security headers -------------------------------------------------------------------- */

/* [*.]label(.label)*[:port] with letters, digits and '-': nothing that could end a source
 * expression (space, ';', ',', quotes) or a header line. */
static bool csp_host_ok(const char *h)
{
    if (!h)
        return false;
    if (h[0] == '*' && h[1] == '.')
        h += 2;
    size_t label = 0, total = 0;
    for (; *h && *h != ':'; h++, total++) {
        char c = *h;
        if (c == '.') {
            if (label == 0)
                return false;
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')
            label++;
        else
            return false;
    }
    if (label == 0 || total > 253)
        return false;
    if (*h == ':') {
        size_t digits = 0;
        for (h++; *h; h++, digits++)
            if (*h < '0' || *h > '9')
                return false;
        if (digits == 0 || digits > 5)
            return false;
    }
    return true;
}

void html_csp(struct buf *out, const char *const *hosts, size_t nhosts)
{
    buf_puts(out, "default-src 'none'; style-src 'self'; form-action 'self'");
    for (size_t i = 0; i < nhosts; i++)
        if (csp_host_ok(hosts[i]))
            buf_printf(out, " http://%s https://%s", hosts[i], hosts[i]);
    buf_puts(out, "; frame-ancestors 'none'; base-uri 'none'");
}

const struct html_header html_security_headers[] = {
    {"X-Frame-Options", "DENY"},
    {"X-Content-Type-Options", "nosniff"},
    /* Not no-referrer: with it a browser sends "Origin: null" on our own forms, and the legacy
     * form's Origin guard then refuses connectd's own page. Other sites still get no Referer. */
    {"Referrer-Policy", "same-origin"},
    {"Cache-Control", "no-store"},
};
const size_t html_security_header_count = sizeof html_security_headers / sizeof html_security_headers[0];
