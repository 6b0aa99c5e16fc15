/* pages.c — login-service routes that need no form: loginCheck (O5), logout (O6), the
 * stylesheet, and the sandbox mailbox where a developer reads the codes that would have been
 * e-mailed or texted. loginCheck never renders a page: it answers with a redirect (and CORS
 * headers for the client's own origins) so it works as a redirect, an AJAX call or a script. */
#include "api/api.h"

#include <stdio.h>
#include <string.h>

#include "codec/json.h"
#include "http/request.h"
#include "login/gui.h"
#include "login/html.h"
#include "util/crypto.h"

/* identity.md §4.4 rule 5: only the client's own origins may read the answer. */
static void cors_headers(struct request *req, const struct gui *g)
{
    const char *origin = gui_origin(req);
    if (origin == NULL || !gui_url_allowed(g, origin))
        return;
    reply_header(req, "access-control-allow-origin", origin);
    reply_header(req, "access-control-allow-credentials", "true");
    reply_header(req, "vary", "Origin");
}

/* GET /user/loginCheck (O5) */
static void login_check(struct request *req)
{
    struct gui g;
    if (gui_params_or_reply(req, &g, true)) {
        char uid[33];
        bool ok;
        bool in = gui_session_user(req, &g, uid, &ok);
        if (!ok)
            reply_internal(req, "session lookup failed");
        else
            gui_redirect(req, &g, in ? g.return_url : g.error_url, NULL, NULL);
        cors_headers(req, &g);
    }
    gui_done(&g);
}

/* GET /user/logout (O6): ends the session and the client's remember-me, keeps tokens. */
static void logout(struct request *req)
{
    struct gui g;
    if (gui_params_or_reply(req, &g, false)) {
        const char *sid = gui_cookie(req, SESSION_COOKIE), *remember = gui_cookie(req, g.login.remember_cookie);
        if ((sid && store_session_delete(req->db, sid) != DB_OK) ||
            (remember && store_remember_delete(req->db, remember) != DB_OK)) {
            reply_internal(req, "logout failed");
        } else {
            gui_set_cookie(req, SESSION_COOKIE, "", 0);
            gui_set_cookie(req, g.login.remember_cookie, "", 0);
            gui_redirect(req, &g, g.return_url, NULL, NULL);
        }
    }
    gui_done(&g);
}

/* GET /user/static/style.css */
static void stylesheet(struct request *req)
{
    char etag[HTML_ETAG_MAX];
    html_style_etag(etag);
    size_t len;
    const char *inm = request_header(req, H2O_TOKEN_IF_NONE_MATCH, &len);
    if (inm && len == strlen(etag) && !memcmp(inm, etag, len))
        reply_raw(req, 304, "text/css; charset=utf-8", "", 0);
    else
        reply_raw(req, 200, "text/css; charset=utf-8", html_style_css, html_style_css_len);
    reply_header(req, "etag", etag);
    reply_header(req, "cache-control", "public, max-age=3600");
}

/* status: queued (not yet sent, will be tried), sent, or failed (given up, with the reason). */
static void add_message(const struct message_rec *m, void *arg)
{
    const char *status = m->sent_at ? "sent" : m->failed_at ? "failed" : "queued";
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:s, s:I}", "id", (json_int_t)m->id, "channel", m->channel,
                          "recipient", m->recipient, "subject", m->subject, "body", m->body, "created",
                          json_instant(m->created_at), "status", status, "attempts", (json_int_t)m->attempts);
    if (m->sent_at)
        json_object_set_new(o, "sent", json_instant(m->sent_at));
    if (m->last_error)
        json_object_set_new(o, "lastError", json_string(m->last_error));
    json_array_append_new(arg, o);
}

/* GET /user/sandbox/messages (--sandbox only): the newest messages the server would send. */
static void sandbox_messages(struct request *req)
{
    json_t *list = json_array();
    if (store_message_list(req->db, 100, add_message, list) != DB_OK) {
        json_decref(list);
        reply_internal(req, "message list failed");
        return;
    }
    reply_value(req, 200, json_pack("{s:o}", "messages", list));
}

static const struct route ROUTES[] = {
    {HTTP_GET, "/user/loginCheck", AUTH_NONE, login_check, ROUTE_GUI, NULL},
    {HTTP_GET, "/user/logout", AUTH_NONE, logout, ROUTE_GUI, NULL},
    {HTTP_GET, HTML_STYLE_PATH, AUTH_NONE, stylesheet, 0, NULL},
};

static const struct route SANDBOX_ROUTES[] = {
    {HTTP_GET, "/user/sandbox/messages", AUTH_NONE, sandbox_messages, 0, "messages"},
};

struct route_table login_routes(void)
{
    return ROUTE_TABLE(ROUTES);
}

struct route_table login_sandbox_routes(void)
{
    return ROUTE_TABLE(SANDBOX_ROUTES);
}
