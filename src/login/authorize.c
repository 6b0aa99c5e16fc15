/* authorize.c — GET /user/oauth/authorize (identity.md §3.1, RFC 6749 §4.1, RFC 7636) and the
 * approval page's POST /user/oauth/authorize/approve. Nothing is redirected before client_id
 * and redirect_uri are proven registered (else the plain 400 page); after that every error goes
 * back to the client's redirect_uri. An anonymous browser is sent through /user/login with this
 * very URL as returnUrl and errorUrl (login accepts authorize continuations, gui.h), so no
 * redirect host has to be configured for the code flow. The code is redeemed by the
 * authorization_code grant in oauth/grants.c. */
#include "api/api.h"

#include <stdio.h>
#include <string.h>

#include "login/gui.h"
#include "login/html.h"
#include "oauth/oauth.h"
#include "util/buf.h"
#include "util/crypto.h"

#define AUTHORIZE_PATH "/user/oauth/authorize"
#define APPROVE_PATH "/user/oauth/authorize/approve"
#define CSRF_COOKIE "connectid_authz_csrf"
#define CSRF_MAX_AGE_S 600
/* Added to the errorUrl handed to the login pages: coming back with it means the user gave up. */
#define LOGIN_CANCELLED "connectd_login_cancelled"
#define AUTH_CODE_BYTES 24 /* base64url: 32 characters (§3.1 rule 5) */

/* One authorization request, validated by authz_prepare_or_reply. */
struct authz {
    const char *raw_query; /* the query string as received, for continuations */
    struct gui g;          /* lang, client_id, the client's login settings (gui_done frees) */
    const char *redirect_uri; /* the one to redirect to: as given, or the single registered one */
    bool redirect_given;
    const char *state; /* NULL when absent */
    const char *challenge, *method; /* PKCE; NULL when absent */
};

/* ---- redirects ------------------------------------------------------------------------------ */

static void redirect_to(struct request *req, const char *location)
{
    reply_raw(req, 302, "text/plain; charset=utf-8", "", 0);
    reply_header(req, "location", location);
    reply_header(req, "cache-control", "no-store");
}

/* 302 to redirect_uri with name=value and the state (RFC 6749 §4.1.2). */
static void authz_redirect(struct request *req, const struct authz *a, const char *name, const char *value)
{
    struct buf b = BUF_INIT;
    buf_puts(&b, a->redirect_uri);
    gui_append_param(&b, name, value);
    if (a->state)
        gui_append_param(&b, "state", a->state);
    redirect_to(req, b.data);
    buf_free(&b);
}

/* ---- validation (§3.1 rules 1 and 2, RFC 7636 §4.3) ---------------------------------------- */

/* True when uri is one line of the newline-separated list. */
static bool uri_registered(const char *list, const char *uri)
{
    size_t ulen = strlen(uri);
    for (const char *e = list; *e;) {
        size_t n = strcspn(e, "\n");
        if (n == ulen && !memcmp(e, uri, n))
            return true;
        e += n;
        e += *e == '\n';
    }
    return false;
}

/* The single registered URI (pool copy), or NULL when there are none or several. */
static const char *single_uri(struct request *req, const char *list)
{
    size_t n = strcspn(list, "\n");
    if (n == 0 || list[n] != '\0')
        return NULL;
    return h2o_strdup(req->pool, list, n).base;
}

/* RFC 7636 §4.1/§4.2: 43-128 unreserved characters; an S256 challenge is exactly 43 base64url. */
static bool pkce_value_ok(const char *v, bool s256)
{
    size_t n = strlen(v);
    const char *set = s256 ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                           : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
    return n >= 43 && n <= (s256 ? 43 : 128) && strspn(v, set) == n;
}

static const char *one(const struct form *q, const char *name, bool *repeated)
{
    size_t n = 0;
    const char *v = form_get(q, name, &n);
    if (n > 1)
        *repeated = true;
    return v;
}

/* Parses and checks the request; false when it has been answered (400 page or an error
 * redirect). On true the caller must gui_done(&a->g); on false it was done here. */
static bool authz_prepare_or_reply(struct request *req, const char *raw, size_t len, struct authz *a)
{
    memset(a, 0, sizeof *a);
    size_t alen;
    const char *al = request_header(req, H2O_TOKEN_ACCEPT_LANGUAGE, &alen);
    a->g.lang = i18n_choose(al, alen);
    a->raw_query = h2o_strdup(req->pool, raw ? raw : "", raw ? len : 0).base;
    if (raw && !form_parse(raw, len, req->pool, &a->g.query)) {
        gui_error_page(req, a->g.lang);
        return false;
    }
    bool twice = false, found = false;
    a->g.client_id = one(&a->g.query, "client_id", &twice);
    const char *uri = one(&a->g.query, "redirect_uri", &twice);
    if (twice || a->g.client_id == NULL || !*a->g.client_id) {
        gui_error_page(req, a->g.lang);
        return false;
    }
    /* Rule 1: the client and the redirect URI, before anything may be redirected. */
    struct client_rec rec;
    if (store_client_get(req->db, a->g.client_id, &found, &rec) != DB_OK) {
        reply_internal(req, "client lookup failed");
        return false;
    }
    if (!found) {
        gui_error_page(req, a->g.lang);
        return false;
    }
    unsigned grants = grants_parse(rec.grants);
    a->redirect_given = uri != NULL;
    a->redirect_uri = uri ? (uri_registered(rec.redirect_uris, uri) ? uri : NULL) : single_uri(req, rec.redirect_uris);
    client_rec_free(&rec);
    if (a->redirect_uri == NULL || strlen(a->redirect_uri) > AUTH_CODE_URI_MAX) {
        gui_error_page(req, a->g.lang);
        return false;
    }
    if (store_client_login_get(req->db, a->g.client_id, &found, &a->g.login) != DB_OK || !found) {
        reply_internal(req, "client login settings lookup failed");
        return false;
    }
    a->g.have_login = true;

    /* From here on errors go back to the client (rule 2, RFC 6749 §4.1.2.1). */
    twice = false;
    a->state = one(&a->g.query, "state", &twice);
    const char *type = one(&a->g.query, "response_type", &twice), *scope = one(&a->g.query, "scope", &twice);
    a->challenge = one(&a->g.query, "code_challenge", &twice);
    a->method = one(&a->g.query, "code_challenge_method", &twice);
    const char *error = NULL;
    if (twice)
        error = "invalid_request";
    else if (type == NULL || strcmp(type, "code"))
        error = "unsupported_response_type";
    else if (!(grants & GRANT_AUTHORIZATION_CODE))
        error = "unauthorized_client";
    else if (!oauth_scope_is_read(scope))
        error = "invalid_scope";
    else if (a->challenge == NULL && (a->method != NULL || a->g.login.require_pkce))
        error = "invalid_request";
    if (error == NULL && a->challenge) {
        if (a->method == NULL || !*a->method)
            a->method = "plain"; /* RFC 7636 §4.3 */
        if ((strcmp(a->method, "S256") && strcmp(a->method, "plain")) ||
            !pkce_value_ok(a->challenge, !strcmp(a->method, "S256")))
            error = "invalid_request";
    }
    if (error) {
        authz_redirect(req, a, "error", error);
        gui_done(&a->g);
        return false;
    }
    return true;
}

/* ---- the steps after validation (rules 3-6) ------------------------------------------------- */

/* Rule 3: through the login pages and back here, either way. */
static void send_to_login(struct request *req, const struct authz *a)
{
    struct buf back = BUF_INIT, cancel = BUF_INIT, login = BUF_INIT;
    buf_puts(&back, GUI_AUTHORIZE_CONTINUE);
    buf_puts(&back, a->raw_query);
    buf_puts(&cancel, back.data);
    gui_append_param(&cancel, LOGIN_CANCELLED, "1");
    buf_puts(&login, "/user/login");
    gui_append_param(&login, "clientId", a->g.client_id);
    gui_append_param(&login, "returnUrl", back.data);
    gui_append_param(&login, "errorUrl", cancel.data);
    gui_append_param(&login, "assumeNewUser", "false");
    redirect_to(req, login.data);
    buf_free(&back);
    buf_free(&cancel);
    buf_free(&login);
}

static void base64url(const unsigned char *in, size_t n, char *out)
{
    static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
        out[o++] = B64[v >> 18 & 63];
        out[o++] = B64[v >> 12 & 63];
        if (i + 1 < n)
            out[o++] = B64[v >> 6 & 63];
        if (i + 2 < n)
            out[o++] = B64[v & 63];
    }
    out[o] = '\0';
}

/* Rules 5 and 6. */
static void issue_code(struct request *req, const struct authz *a, const char *user)
{
    unsigned char raw[AUTH_CODE_BYTES];
    char code[AUTH_CODE_BYTES / 3 * 4 + 1];
    if (!random_bytes(raw, sizeof raw)) {
        reply_internal(req, "random number generator failed");
        return;
    }
    base64url(raw, sizeof raw, code);
    struct auth_code_new c = {.code = code, .client_id = a->g.client_id, .unique_id = user,
                              .redirect_uri = a->redirect_given ? a->redirect_uri : "",
                              .code_challenge = a->challenge, .challenge_method = a->challenge ? a->method : NULL};
    if (store_auth_code_create(req->db, &c) != DB_OK) {
        reply_internal(req, "authorization code store failed");
        return;
    }
    authz_redirect(req, a, "code", code);
}

/* Rule 4: the approval page, with a fresh CSRF token in a cookie and in the form. */
static void approval_page(struct request *req, const struct authz *a, bool expired)
{
    char csrf[33];
    if (!random_hex(csrf, 16)) {
        reply_internal(req, "random number generator failed");
        return;
    }
    enum lang l = a->g.lang;
    struct buf out = BUF_INIT, csp = BUF_INIT;
    html_page_begin(&out, i18n_tag(l), i18n(l, MSG_APPROVE_TITLE));
    if (expired)
        html_error(&out, i18n(l, MSG_FORM_EXPIRED));
    html_para(&out, HTML_P_TEXT, i18n(l, MSG_APPROVE_TEXT), a->g.client_id);
    html_form_begin(&out, APPROVE_PATH, csrf);
    html_hidden(&out, "request", a->raw_query);
    html_submit(&out, i18n(l, MSG_APPROVE));
    html_button(&out, "deny", "1", i18n(l, MSG_DENY));
    html_form_end(&out);
    html_page_end(&out);
    reply_raw(req, 200, HTML_CONTENT_TYPE, out.data, out.len);
    for (size_t i = 0; i < html_security_header_count; i++)
        reply_header(req, html_security_headers[i].name, html_security_headers[i].value);
    const char *host = gui_url_host(req, a->redirect_uri); /* where the POST's redirect goes */
    html_csp(&csp, host ? &host : NULL, host ? 1 : 0);
    reply_header(req, "content-security-policy", csp.data);
    gui_set_cookie(req, CSRF_COOKIE, csrf, CSRF_MAX_AGE_S);
    buf_free(&out);
    buf_free(&csp);
}

/* The logged-in user, or the reply: login redirect or 500. */
static bool user_or_reply(struct request *req, struct authz *a, char user[33])
{
    bool ok;
    if (gui_session_user(req, &a->g, user, &ok))
        return true;
    if (!ok)
        reply_internal(req, "session lookup failed");
    else
        send_to_login(req, a);
    return false;
}

/* GET /user/oauth/authorize (O1) */
static void authorize(struct request *req)
{
    struct authz a;
    if (!authz_prepare_or_reply(req, req->query, req->query_len, &a))
        return;
    char user[33];
    bool approved = true;
    const char *login_error = form_get(&a.g.query, "error", NULL);
    if (form_get(&a.g.query, LOGIN_CANCELLED, NULL)) /* back from login's errorUrl: give up */
        authz_redirect(req, &a, "error",
                       login_error && !strcmp(login_error, "server_error") ? "server_error" : "access_denied");
    else if (!user_or_reply(req, &a, user)) {
        /* answered: the login pages, or 500 */
    } else if (a.g.login.require_approval && store_approval_has(req->db, user, a.g.client_id, &approved) != DB_OK)
        reply_internal(req, "approval lookup failed");
    else if (!approved)
        approval_page(req, &a, false);
    else
        issue_code(req, &a, user);
    gui_done(&a.g);
}

/* The approval form's body: application/x-www-form-urlencoded. */
static bool form_body(struct request *req, struct form *f)
{
    f->n = 0;
    f->params = NULL;
    return form_parse(req->h2o->entity.base, req->h2o->entity.len, req->pool, f);
}

/* POST /user/oauth/authorize/approve: the approval page's answer. The whole authorization
 * request comes back in the form and is checked again, as is the session. */
static void authorize_approve(struct request *req)
{
    struct form body;
    struct authz a;
    enum lang l = i18n_choose(NULL, 0);
    if (!form_body(req, &body) || form_get(&body, "request", NULL) == NULL) {
        gui_error_page(req, l);
        return;
    }
    const char *raw = form_get(&body, "request", NULL), *sent = form_get(&body, HTML_CSRF_FIELD, NULL);
    if (!authz_prepare_or_reply(req, raw, strlen(raw), &a))
        return;
    const char *cookie = gui_cookie(req, CSRF_COOKIE);
    char user[33];
    if (!user_or_reply(req, &a, user)) {
        /* answered: the login pages, or 500 */
    } else if (!cookie || !sent || !*cookie || !ct_equal(cookie, strlen(cookie), sent, strlen(sent)))
        approval_page(req, &a, true); /* §4.1: a wrong token redisplays the form, changes nothing */
    else if (form_get(&body, "deny", NULL)) {
        gui_set_cookie(req, CSRF_COOKIE, "", 0);
        authz_redirect(req, &a, "error", "access_denied");
    } else if (store_approval_add(req->db, user, a.g.client_id) != DB_OK) {
        reply_internal(req, "approval store failed");
    } else {
        gui_set_cookie(req, CSRF_COOKIE, "", 0);
        issue_code(req, &a, user);
    }
    gui_done(&a.g);
}

static const struct route ROUTES[] = {
    {HTTP_GET, AUTHORIZE_PATH, AUTH_NONE, authorize, ROUTE_GUI, NULL},
    {HTTP_POST, APPROVE_PATH, AUTH_NONE, authorize_approve, ROUTE_GUI, NULL},
};

struct route_table authorize_routes(void)
{
    return ROUTE_TABLE(ROUTES);
}
