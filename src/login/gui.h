/* gui.h — what every login-service page shares (identity.md §4.1): the clientId / returnUrl /
 * errorUrl parameters checked against the client's allowed redirect hosts, the 400 error page
 * shown instead of redirecting anywhere unvalidated, redirects that append parameters (and carry
 * Google Analytics' _ga/_gl through), the session and remember-me cookies. */
#ifndef CONNECTD_GUI_H
#define CONNECTD_GUI_H

#include <stdbool.h>

#include "http/form.h"
#include "http/request.h"
#include "login/i18n.h"
#include "store/store.h"

#define SESSION_COOKIE "connectid_session"
/* A returnUrl the login pages accept besides the client's hosts: continuing an authorization. */
#define GUI_AUTHORIZE_CONTINUE "/user/oauth/authorize?"
#define REMEMBER_MAX_AGE_S (365 * 24 * 3600)

/* The parameters of a GUI request, validated. */
struct gui {
    struct form query;
    enum lang lang;
    const char *client_id;
    const char *return_url; /* NULL when absent */
    const char *error_url;  /* NULL when absent */
    struct client_login login; /* the client's login settings (freed by gui_done) */
    bool have_login;
};

/* Reads and validates clientId, returnUrl and errorUrl (errorUrl required when error_url_required).
 * An unknown client or a missing/invalid URL answers the 400 HTML error page and returns false. */
bool gui_params_or_reply(struct request *req, struct gui *g, bool error_url_required);
void gui_done(struct gui *g);

/* True when url is an absolute http(s) URL whose host is allowed for the client. */
bool gui_url_allowed(const struct gui *g, const char *url);

/* The host[:port] of an http(s) URL (pool copy), or NULL for other schemes. */
const char *gui_url_host(struct request *req, const char *url);
/* Where a form on this page may end up after its redirects, for the CSP form-action (browsers
 * apply it to every redirect that follows a form POST): the client's redirect hosts and, when
 * the page continues an authorization, the hosts of the client's registered redirect URIs, where
 * /user/oauth/authorize sends the browser next. Fills up to max hosts (pool memory); false on a
 * store failure. */
bool gui_form_hosts(struct request *req, const struct gui *g, const char **hosts, size_t max, size_t *n);

/* Appends "?name=value" or "&name=value" (value percent-encoded) to the URL in b. */
struct buf;
void gui_append_param(struct buf *b, const char *name, const char *value);
/* 302 to url with name=value appended (when name is not NULL) and _ga/_gl carried through. */
void gui_redirect(struct request *req, const struct gui *g, const char *url, const char *name, const char *value);
/* The §4.1 400 page (short text: loginCheck may be loaded as a script). */
void gui_error_page(struct request *req, enum lang lang);

/* The per-address limit of the GUI routes (spec README §10: --gui-rate per second, burst 2.5
 * times that), applied by the pipeline to every route flagged ROUTE_GUI. gui_init creates the
 * process-wide buckets. Over the limit: the plain 429 page with Retry-After, and false. */
struct config;
void gui_init(const struct config *cfg);
void gui_shutdown(void);
bool gui_rate_or_reply(struct request *req);

/* The request's Origin header (pool memory), or NULL when it has none. */
const char *gui_origin(struct request *req);
/* Whether a form POST may come from where it came from: no Origin (not a browser, or an old
 * one), our own origin (scheme://Host), or an origin on the client's allowed hosts. Browsers
 * send Origin with every cross-site POST, so this is the login-CSRF guard of a form that cannot
 * carry our token (the legacy /user/oauthLogin, posted from integrators' own pages). */
bool gui_post_origin_allowed(struct request *req, const struct gui *g);

/* A cookie's value from the request, or NULL (pool memory). */
const char *gui_cookie(struct request *req, const char *name);
/* Sets a cookie (HttpOnly; Secure; SameSite=None; Path=/user): max_age_s > 0 for that long,
 * -1 for the browser session, 0 deletes it. */
void gui_set_cookie(struct request *req, const char *name, const char *value, long max_age_s);

/* The user logged in on this browser: the session cookie (extending the session), else the
 * client's remember-me cookie (starting a session silently). Only ACTIVE users count.
 * *ok false on a store failure. */
bool gui_session_user(struct request *req, const struct gui *g, char unique_id[33], bool *ok);
/* A fresh session for the user (a new id at every login, §4.1) and its cookie. */
bool gui_start_session(struct request *req, const char *unique_id);
bool gui_user_active(struct request *req, const char *unique_id);

#endif
