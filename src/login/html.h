/* html.h — the HTML vocabulary of the login pages (spec/identity.md §4): escaping, one page
 * layout, a handful of form helpers, the stylesheet and the security headers. Handlers in
 * login/ build their pages only through these, never with hand-written markup, so every
 * echoed value passes through html_escape. Texts come from i18n.h; this layer knows no
 * language. Everything appends to a struct buf (util/buf.h) and cannot fail. */
#ifndef CONNECTD_LOGIN_HTML_H
#define CONNECTD_LOGIN_HTML_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

/* ---- escaping ---------------------------------------------------------------------------- */

/* Appends s (NULL as "") with & < > " ' as entities. Control characters (C0 but \n and \t,
 * DEL, C1) are dropped and bytes that are not valid UTF-8 become U+FFFD, so the output is
 * valid UTF-8 text that is safe both as element content and inside a double-quoted attribute. */
void html_escape(struct buf *out, const char *s);
/* The same for a length-bounded string (may contain NUL, which is dropped). */
void html_escape_n(struct buf *out, const char *s, size_t n);
/* For attribute values. Same set as html_escape; it exists so that call sites say what they
 * write (attributes are always double-quoted by this layer). */
void html_attr_escape(struct buf *out, const char *s);
/* Escapes the template tmpl with every "%s" replaced by the escaped arg (NULL as "") and "%%"
 * by "%"; nothing else is interpreted. For catalogue texts such as MSG_CODE_SENT: no printf,
 * so neither the template nor the argument can act as a format string. */
void html_escape_subst(struct buf *out, const char *tmpl, const char *arg);

/* ---- page layout ------------------------------------------------------------------------- */

#define HTML_STYLE_PATH "/user/static/style.css"
#define HTML_CONTENT_TYPE "text/html; charset=utf-8"
#define HTML_CSRF_FIELD "csrf"

/* <!DOCTYPE html>, <html lang>, head (charset, viewport, robots, title, stylesheet link),
 * <body><main> and the title again as <h1>. lang is a BCP 47 tag such as i18n_tag() gives. */
void html_page_begin(struct buf *out, const char *lang, const char *title);
/* Closes what html_page_begin opened. */
void html_page_end(struct buf *out);

/* ---- content ----------------------------------------------------------------------------- */

enum html_para {
    HTML_P_TEXT,   /* <p> */
    HTML_P_NOTICE, /* <p class="notice" role="status">: code sent, logged out */
    HTML_P_ERROR,  /* <p class="alert" role="alert">: wrong password, try later */
    HTML_P_HINT,   /* <p class="hint">: under an input, e.g. the password rule */
};

/* A paragraph of kind k; tmpl and arg as for html_escape_subst. */
void html_para(struct buf *out, enum html_para k, const char *tmpl, const char *arg);
/* Shorthand for html_para(out, HTML_P_ERROR, text, NULL). */
void html_error(struct buf *out, const char *text);
/* <p><a href>text</a></p>. href must be a path ("/x", not "//x") or an http(s) URL; any other
 * (javascript:, data:, relative "x") is not linked and only the text is written. */
void html_link(struct buf *out, const char *href, const char *text);

/* ---- forms ------------------------------------------------------------------------------- */

/* <form method="post" action> with the hidden CSRF field (HTML_CSRF_FIELD) as first child. */
void html_form_begin(struct buf *out, const char *action, const char *csrf_token);
void html_form_end(struct buf *out);
void html_hidden(struct buf *out, const char *name, const char *value);

enum html_input_flag {
    HTML_AUTOFOCUS = 1 << 0,
    HTML_REQUIRED = 1 << 1,
    HTML_NUMERIC = 1 << 2, /* inputmode="numeric" pattern="[0-9]*": one-time codes */
    HTML_VERBATIM = 1 << 3, /* autocapitalize="none" spellcheck="false": credentials */
};

/* A <label> and its <input id="f-name">. value NULL writes no value attribute (passwords are
 * never echoed); autocomplete NULL writes none. flags: html_input_flag bits. */
void html_input(struct buf *out, const char *type, const char *name, const char *label, const char *value,
                const char *autocomplete, unsigned flags);
/* <label class="check"><input type="checkbox" name value="1"> label</label> */
void html_checkbox(struct buf *out, const char *name, const char *label, bool checked);
/* The primary button: <button type="submit">label</button>. */
void html_submit(struct buf *out, const char *label);
/* The primary button sending name=value (NULL name: none), e.g. the legacy form's loginButton. */
void html_submit_named(struct buf *out, const char *name, const char *value, const char *label);
/* A named submit button, e.g. the flow event "cancel"; secondary styling and formnovalidate,
 * so it works with required fields left empty. */
void html_button(struct buf *out, const char *name, const char *value, const char *label);

/* ---- the stylesheet ---------------------------------------------------------------------- */

/* The one stylesheet, served at HTML_STYLE_PATH as text/css. No external resources. */
extern const char html_style_css[];
extern const size_t html_style_css_len;

/* Strong ETag of html_style_css, quoted: "\"" + 32 hex (first 128 bits of SHA-256) + "\"". */
#define HTML_ETAG_MAX 35
void html_style_etag(char out[HTML_ETAG_MAX]);

/* ---- security headers -------------------------------------------------------------------- */

/* The Content-Security-Policy of every login page:
 *   default-src 'none'; style-src 'self'; form-action 'self' <hosts>; frame-ancestors 'none';
 *   base-uri 'none'
 * form-action lists the client's allowed redirect hosts (browsers check it against the 302 that
 * ends a login POST), each as http://host and https://host. A host that is not a plain
 * [*.]name[:port] is left out rather than let it inject a directive. Appended to out. */
void html_csp(struct buf *out, const char *const *hosts, size_t nhosts);

struct html_header {
    const char *name, *value;
};
/* The fixed headers of every login page besides the CSP: X-Frame-Options: DENY,
 * X-Content-Type-Options: nosniff, Referrer-Policy: same-origin, Cache-Control: no-store. */
extern const struct html_header html_security_headers[];
extern const size_t html_security_header_count;

#endif
