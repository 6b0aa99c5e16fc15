/* gui.c — shared rules of the login-service pages (see gui.h). Redirect targets are only ever
 * URLs whose host the client registered, so a page can never be turned into an open redirect;
 * anything else gets the plain 400 page. */
#include "login/gui.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "login/html.h"
#include "oauth/ratelimit.h"
#include "util/buf.h"
#include "util/crypto.h"

static bool host_matches(const char *entry, size_t elen, const char *host, size_t hlen)
{
    if (elen > 2 && entry[0] == '*' && entry[1] == '.') /* *.example.no: any subdomain */
        return hlen > elen - 1 && strncasecmp(host + hlen - (elen - 1), entry + 1, elen - 1) == 0;
    return elen == hlen && strncasecmp(entry, host, hlen) == 0;
}

/* The authority of an absolute http(s) URL: host (and :port), or false. */
static bool url_authority(const char *url, const char **host, size_t *hlen, const char **port, size_t *plen)
{
    const char *p;
    if (!strncasecmp(url, "https://", 8))
        p = url + 8;
    else if (!strncasecmp(url, "http://", 7))
        p = url + 7;
    else
        return false;
    size_t n = strcspn(p, "/?#");
    const char *colon = memchr(p, ':', n);
    if (memchr(p, '@', n) || memchr(p, '\\', n) || n == 0) /* userinfo tricks are refused outright */
        return false;
    *host = p;
    *hlen = colon ? (size_t)(colon - p) : n;
    *port = colon ? colon + 1 : NULL;
    *plen = colon ? n - *hlen - 1 : 0;
    return *hlen > 0 && strcspn(url, " \t\r\n<>\"") == strlen(url);
}

bool gui_url_allowed(const struct gui *g, const char *url)
{
    const char *host, *port;
    size_t hlen, plen;
    /* The authorization endpoint sends the browser through the login pages and back to itself. */
    if (url && !strncmp(url, GUI_AUTHORIZE_CONTINUE, strlen(GUI_AUTHORIZE_CONTINUE)) &&
        strcspn(url, " \t\r\n<>\"\\") == strlen(url))
        return g->have_login;
    if (url == NULL || !g->have_login || !url_authority(url, &host, &hlen, &port, &plen))
        return false;
    for (const char *e = g->login.redirect_hosts; *e;) {
        size_t n = strcspn(e, "\n");
        const char *ecolon = memchr(e, ':', n);
        size_t ehost = ecolon ? (size_t)(ecolon - e) : n;
        bool port_ok = ecolon ? (plen == n - ehost - 1 && !strncmp(port, ecolon + 1, plen)) : true;
        if (ehost && port_ok && host_matches(e, ehost, host, hlen))
            return true;
        e += n;
        e += *e == '\n';
    }
    return false;
}

const char *gui_url_host(struct request *req, const char *url)
{
    const char *p = !strncasecmp(url, "https://", 8) ? url + 8 : !strncasecmp(url, "http://", 7) ? url + 7 : NULL;
    return p ? h2o_strdup(req->pool, p, strcspn(p, "/?#")).base : NULL;
}

static bool continues_authorization(const char *url)
{
    return url && !strncmp(url, GUI_AUTHORIZE_CONTINUE, strlen(GUI_AUTHORIZE_CONTINUE));
}

/* Appends each non-empty line of a newline-separated list (as_url: its host[:port]) while *n < max. */
static void each_line(struct request *req, const char *list, bool as_url, const char **hosts, size_t max, size_t *n)
{
    for (const char *e = list; *e && *n < max;) {
        size_t len = strcspn(e, "\n");
        const char *line = len ? h2o_strdup(req->pool, e, len).base : NULL;
        const char *host = line && as_url ? gui_url_host(req, line) : line;
        if (host)
            hosts[(*n)++] = host;
        e += len;
        e += *e == '\n';
    }
}

bool gui_form_hosts(struct request *req, const struct gui *g, const char **hosts, size_t max, size_t *n)
{
    *n = 0;
    if (!g->have_login)
        return true;
    each_line(req, g->login.redirect_hosts, false, hosts, max, n);
    if (!continues_authorization(g->return_url) && !continues_authorization(g->error_url))
        return true;
    bool found = false;
    struct client_rec rec;
    if (store_client_get(req->db, g->client_id, &found, &rec) != DB_OK)
        return false;
    if (found) {
        each_line(req, rec.redirect_uris, true, hosts, max, n);
        client_rec_free(&rec);
    }
    return true;
}

/* A page of one short paragraph, with the security headers of every login page. */
static void gui_plain_page(struct request *req, int status, enum lang lang, enum msg text)
{
    struct buf out = BUF_INIT;
    html_page_begin(&out, i18n_tag(lang), i18n(lang, MSG_ERROR_TITLE));
    html_para(&out, HTML_P_ERROR, i18n(lang, text), NULL);
    html_page_end(&out);
    reply_raw(req, status, HTML_CONTENT_TYPE, out.data, out.len);
    buf_free(&out);
    for (size_t i = 0; i < html_security_header_count; i++)
        reply_header(req, html_security_headers[i].name, html_security_headers[i].value);
    struct buf csp = BUF_INIT;
    html_csp(&csp, NULL, 0);
    reply_header(req, "content-security-policy", csp.data);
    buf_free(&csp);
}

void gui_error_page(struct request *req, enum lang lang)
{
    gui_plain_page(req, 400, lang, MSG_BAD_REQUEST);
}

/* ---- the per-address limit ----------------------------------------------------------------- */

static struct ratelimit *gui_limits;
static double gui_rate;

void gui_init(const struct config *cfg)
{
    gui_limits = ratelimit_new(1 << 16);
    gui_rate = cfg->gui_rate;
}

void gui_shutdown(void)
{
    ratelimit_free(gui_limits);
    gui_limits = NULL;
}

bool gui_rate_or_reply(struct request *req)
{
    unsigned char key[16];
    size_t n = gui_rate > 0 && gui_limits ? request_peer_key(req, key) : 0;
    int retry = 1;
    if (n == 0 || ratelimit_take(gui_limits, (const char *)key, n, gui_rate, 2.5 * gui_rate, ratelimit_now_us(),
                                 &retry))
        return true;
    size_t len;
    const char *al = request_header(req, H2O_TOKEN_ACCEPT_LANGUAGE, &len);
    gui_plain_page(req, 429, i18n_choose(al, len), MSG_TOO_MANY_REQUESTS);
    char secs[16];
    snprintf(secs, sizeof secs, "%d", retry < 1 ? 1 : retry);
    reply_header(req, "retry-after", secs);
    return false;
}

bool gui_params_or_reply(struct request *req, struct gui *g, bool error_url_required)
{
    memset(g, 0, sizeof *g);
    size_t alen;
    const char *al = request_header(req, H2O_TOKEN_ACCEPT_LANGUAGE, &alen);
    g->lang = i18n_choose(al, alen);
    bool found = false;
    if (!request_query_or_reply(req, &g->query))
        return false;
    g->client_id = form_get(&g->query, "clientId", NULL);
    g->return_url = form_get(&g->query, "returnUrl", NULL);
    g->error_url = form_get(&g->query, "errorUrl", NULL);
    if (g->client_id && store_client_login_get(req->db, g->client_id, &found, &g->login) != DB_OK) {
        reply_internal(req, "client login settings lookup failed");
        return false;
    }
    g->have_login = found;
    bool ok = found && gui_url_allowed(g, g->return_url) &&
              (g->error_url ? gui_url_allowed(g, g->error_url) : !error_url_required);
    if (!ok)
        gui_error_page(req, g->lang);
    return ok;
}

void gui_done(struct gui *g)
{
    if (g->have_login)
        client_login_free(&g->login);
    g->have_login = false;
}

void gui_append_param(struct buf *b, const char *name, const char *value)
{
    static const char HEX[] = "0123456789ABCDEF";
    buf_putc(b, strchr(b->data, '?') ? '&' : '?');
    buf_puts(b, name);
    buf_putc(b, '=');
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("-._~", *p)) {
            buf_putc(b, (char)*p);
        } else {
            buf_putc(b, '%');
            buf_putc(b, HEX[*p >> 4]);
            buf_putc(b, HEX[*p & 15]);
        }
    }
}

void gui_redirect(struct request *req, const struct gui *g, const char *url, const char *name, const char *value)
{
    struct buf b = BUF_INIT;
    buf_puts(&b, url);
    if (name)
        gui_append_param(&b, name, value);
    static const char *const ANALYTICS[] = {"_ga", "_gl"};
    for (size_t i = 0; i < 2; i++) {
        const char *v = form_get(&g->query, ANALYTICS[i], NULL);
        if (v)
            gui_append_param(&b, ANALYTICS[i], v);
    }
    reply_raw(req, 302, "text/plain; charset=utf-8", "", 0);
    reply_header(req, "location", b.data);
    reply_header(req, "cache-control", "no-store");
    buf_free(&b);
}

const char *gui_origin(struct request *req)
{
    ssize_t i = h2o_find_header_by_str(&req->h2o->headers, H2O_STRLIT("origin"), -1);
    if (i < 0)
        return NULL;
    h2o_iovec_t o = req->h2o->headers.entries[i].value;
    return h2o_strdup(req->pool, o.base, o.len).base;
}

/* Origin is exactly "scheme://host[:port]" where host[:port] is this request's Host. */
static bool same_origin(struct request *req, const char *origin)
{
    /* h2o keeps Host (or HTTP/2's :authority) in req->authority, not among the headers. */
    const char *host = req->h2o->authority.base;
    size_t hlen = req->h2o->authority.len;
    const char *rest = !strncasecmp(origin, "https://", 8) ? origin + 8
                       : !strncasecmp(origin, "http://", 7) ? origin + 7
                                                            : NULL;
    return host && rest && strlen(rest) == hlen && !strncasecmp(rest, host, hlen);
}

bool gui_post_origin_allowed(struct request *req, const struct gui *g)
{
    const char *origin = gui_origin(req);
    return origin == NULL || same_origin(req, origin) || gui_url_allowed(g, origin);
}

const char *gui_cookie(struct request *req, const char *name)
{
    size_t nlen = strlen(name);
    for (ssize_t i = -1; (i = h2o_find_header(&req->h2o->headers, H2O_TOKEN_COOKIE, i)) != -1;) {
        h2o_iovec_t v = req->h2o->headers.entries[i].value;
        for (size_t at = 0; at < v.len;) {
            while (at < v.len && (v.base[at] == ' ' || v.base[at] == ';'))
                at++;
            size_t end = at;
            while (end < v.len && v.base[end] != ';')
                end++;
            if (end - at > nlen && !memcmp(v.base + at, name, nlen) && v.base[at + nlen] == '=')
                return h2o_strdup(req->pool, v.base + at + nlen + 1, end - at - nlen - 1).base;
            at = end;
        }
    }
    return NULL;
}

void gui_set_cookie(struct request *req, const char *name, const char *value, long max_age_s)
{
    char header[512], age[32] = "";
    if (max_age_s >= 0)
        snprintf(age, sizeof age, "; Max-Age=%ld", max_age_s);
    snprintf(header, sizeof header, "%s=%s%s; Path=/user; HttpOnly; Secure; SameSite=None", name,
             max_age_s != 0 ? value : "", age);
    h2o_iovec_t v = h2o_strdup(req->pool, header, SIZE_MAX);
    h2o_add_header(req->pool, &req->h2o->res.headers, H2O_TOKEN_SET_COOKIE, NULL, v.base, v.len);
}

/* ---- sessions ------------------------------------------------------------------------------- */

bool gui_user_active(struct request *req, const char *unique_id)
{
    bool found = false;
    char state[8];
    return store_user_state(req->db, unique_id, &found, state) == DB_OK && found && !strcmp(state, "ACTIVE");
}

/* A fresh session for the user (a new id at every login, §4.1). */
bool gui_start_session(struct request *req, const char *unique_id)
{
    char sid[33];
    if (!random_hex(sid, 16) || store_session_create(req->db, sid, unique_id) != DB_OK)
        return false;
    gui_set_cookie(req, SESSION_COOKIE, sid, -1);
    return true;
}

/* The logged-in user of the request's session (extending it), or of the client's
 * remember-me cookie (starting a session silently). */
bool gui_session_user(struct request *req, const struct gui *g, char unique_id[33], bool *ok)
{
    bool valid = false;
    const char *sid = gui_cookie(req, SESSION_COOKIE), *remember;
    *ok = true;
    if (sid && store_session_touch(req->db, sid, &valid, unique_id) != DB_OK)
        return *ok = false;
    if (valid && gui_user_active(req, unique_id))
        return true;
    remember = gui_cookie(req, g->login.remember_cookie);
    if (remember && store_remember_check(req->db, remember, g->client_id, &valid, unique_id) != DB_OK)
        return *ok = false;
    if (!valid || !gui_user_active(req, unique_id))
        return false;
    if (!gui_start_session(req, unique_id))
        return *ok = false;
    return true;
}
