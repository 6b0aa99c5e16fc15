/* flow.c — the browser login flows (identity.md §4.2 createUser, §4.2a register, §4.3 login)
 * and the legacy /user/oauthLogin form. One generic handler serves the three routes with a mode;
 * its state machine is: credential page -> password page or one-time code page -> (a correct
 * code for an unknown credential) set-password page -> logged in, 302 to returnUrl. The state
 * travels in hidden fields under a CSRF token; the GUI params travel in the form's action URL
 * and are validated again on every POST (flow.h explains the tokens; flow_pages.c draws). */
#include "api/api.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "login/flow.h"
#include "login/html.h"
#include "login/messenger.h"
#include "login/password.h"
#include "util/crypto.h"

/* ---- small helpers ------------------------------------------------------------------------- */

static void flow_fail(struct flow *f, const char *what)
{
    request_log_failure(f->req, what);
    gui_redirect(f->req, &f->g, f->g.error_url, "error", "server_error");
}

static bool flow_body(struct request *req, struct form *out)
{
    size_t ctlen;
    const char *ct = request_header(req, H2O_TOKEN_CONTENT_TYPE, &ctlen);
    static const char FORM_CT[] = "application/x-www-form-urlencoded";
    memset(out, 0, sizeof *out);
    if (!ct || ctlen < sizeof FORM_CT - 1 || strncasecmp(ct, FORM_CT, sizeof FORM_CT - 1))
        return false;
    return form_parse(req->h2o->entity.base, req->h2o->entity.len, req->pool, out);
}

static void flow_set_credential(struct flow *f, const char *typed)
{
    f->typed = typed ? typed : "";
    f->kind = credential_normalize(f->typed, f->credential, sizeof f->credential);
}

/* ---- the steps ----------------------------------------------------------------------------- */

static enum flow_step flow_first_step(const struct flow *f)
{
    return f->assume_new ? STEP_CREDENTIAL : STEP_PASSWORD;
}

/* Logged in (§4.2 rule 6): a fresh session, remember-me if ticked, 302 to returnUrl. */
static void flow_login(struct flow *f, const char *uid)
{
    struct request *req = f->req;
    const char *old = gui_cookie(req, SESSION_COOKIE);
    if (old && store_session_delete(req->db, old) != DB_OK)
        return flow_fail(f, "old session delete failed");
    if (!gui_start_session(req, uid))
        return flow_fail(f, "session start failed");
    if (f->remember) {
        char token[33];
        if (!random_hex(token, 16) || store_remember_create(req->db, token, uid, f->g.client_id) != DB_OK)
            return flow_fail(f, "remember-me create failed");
        gui_set_cookie(req, f->g.login.remember_cookie, token, REMEMBER_MAX_AGE_S);
    }
    gui_redirect(req, &f->g, f->g.return_url, NULL, NULL);
}

/* 6 uniform random digits: values at or above the largest multiple of 10^6 are drawn again. */
static bool otc_make(char out[7])
{
    uint32_t v;
    do {
        if (!random_bytes(&v, sizeof v))
            return false;
    } while (v >= 4294000000u);
    snprintf(out, 7, "%06u", (unsigned)(v % 1000000u));
    return true;
}

/* Sends a code to f->credential and shows the code page (§4.2 rule 4), with "try later" when a
 * limit refused it: the page stays, an earlier code may still be valid. The message is queued
 * with the code in one transaction, then the messenger is woken to send it. */
static void flow_send_code(struct flow *f, int sent_notice)
{
    char code[7], body[MESSAGE_BODY_MAX];
    if (!otc_make(code))
        return flow_fail(f, "one-time code: RNG failed");
    bool email = f->kind == CREDENTIAL_EMAIL;
    if (!i18n_subst(body, sizeof body, f->g.lang, email ? MSG_CODE_MAIL_BODY : MSG_CODE_SMS, code))
        return flow_fail(f, "one-time code: message text too long");
    struct otc_message msg = {.channel = email ? "email" : "sms", .recipient = f->credential,
                              .subject = email ? i18n(f->g.lang, MSG_CODE_MAIL_SUBJECT) : "", .body = body};
    enum otc_issue_outcome outcome;
    if (store_otc_issue(f->req->db, f->credential, code, request_peer_text(f->req), &msg, &outcome) != DB_OK)
        return flow_fail(f, "one-time code issue failed");
    if (outcome == OTC_ISSUED) {
        messenger_wake();
        flow_page(f, STEP_CODE, sent_notice, FLOW_NO_MSG);
    } else {
        flow_page(f, STEP_CODE, MSG_CODE_SENT, MSG_TRY_LATER);
    }
}

/* The credential was submitted (§4.2 rules 3-4). */
static void flow_credential(struct flow *f, enum flow_step on_error)
{
    if (f->kind == CREDENTIAL_INVALID)
        return flow_page(f, on_error, FLOW_NO_MSG, MSG_CREDENTIAL_INVALID);
    if (f->assume_new)
        return flow_send_code(f, MSG_CODE_SENT);
    flow_page(f, STEP_PASSWORD, FLOW_NO_MSG, FLOW_NO_MSG);
}

/* The outcome of a password check shared with the legacy form. */
enum pw_outcome {
    PW_OK,        /* correct: uid filled */
    PW_REFUSED,   /* wrong password, unknown credential, a user who may not log in, or the
                   * credential locked after too many failures: all after the same work and with
                   * the same text (§4.1 no enumeration) */
    PW_THROTTLED, /* this address guessed wrong too often: "try later", nothing checked */
    PW_ERROR,     /* a store failure */
};

static enum pw_outcome password_check(struct request *req, const char *typed, const char *password, char uid[33])
{
    char cred[CREDENTIAL_BUF];
    const char *addr = request_peer_text(req);
    if (credential_normalize(typed ? typed : "", cred, sizeof cred) == CREDENTIAL_INVALID) {
        password_dummy_verify(password, NULL);
        return PW_REFUSED;
    }
    int64_t by_cred = 0, by_addr = 0;
    bool found = false;
    struct login_user u;
    if (store_password_failures(req->db, cred, addr, &by_cred, &by_addr) != DB_OK)
        return PW_ERROR;
    if (by_addr >= PASSWORD_FAIL_PER_ADDRESS)
        return PW_THROTTLED;
    if (store_login_user_find(req->db, cred, &found, &u) != DB_OK)
        return PW_ERROR;
    bool usable = found && !strcmp(u.state, "ACTIVE") && u.password_hash[0] && by_cred < PASSWORD_FAIL_LIMIT;
    bool ok;
    if (usable) {
        ok = password_verify(password, u.password_hash);
    } else {
        password_dummy_verify(password, NULL);
        ok = false;
    }
    if (!ok)
        return store_password_failure_add(req->db, cred, addr) == DB_OK ? PW_REFUSED : PW_ERROR;
    memcpy(uid, u.unique_id, sizeof u.unique_id < 33 ? sizeof u.unique_id : 33);
    uid[32] = '\0';
    return PW_OK;
}

static void flow_password(struct flow *f, const char *password)
{
    char uid[33];
    switch (password_check(f->req, f->typed, password ? password : "", uid)) {
    case PW_OK:
        return flow_login(f, uid);
    case PW_REFUSED:
        return flow_page(f, STEP_PASSWORD, FLOW_NO_MSG, MSG_WRONG_CREDENTIALS);
    case PW_THROTTLED:
        return flow_page(f, STEP_PASSWORD, FLOW_NO_MSG, MSG_TRY_LATER);
    default:
        return flow_fail(f, "password check failed");
    }
}

/* §4.2 rule 5: after a correct code an existing user is logged in, an unknown credential
 * chooses a password. A user who may not log in sees the wrong-credentials text. */
static void flow_code(struct flow *f, const char *code)
{
    if (f->kind == CREDENTIAL_INVALID)
        return flow_page(f, flow_first_step(f), FLOW_NO_MSG, MSG_CREDENTIAL_INVALID);
    enum otc_check_outcome outcome;
    if (store_otc_check(f->req->db, f->credential, code ? code : "", &outcome) != DB_OK)
        return flow_fail(f, "one-time code check failed");
    if (outcome != OTC_OK)
        return flow_page(f, STEP_CODE, FLOW_NO_MSG, MSG_WRONG_CODE);
    bool found = false;
    struct login_user u;
    if (store_login_user_find(f->req->db, f->credential, &found, &u) != DB_OK)
        return flow_fail(f, "user lookup failed");
    if (found && !strcmp(u.state, "ACTIVE"))
        return flow_login(f, u.unique_id);
    if (found)
        return flow_page(f, flow_first_step(f), FLOW_NO_MSG, MSG_WRONG_CREDENTIALS);
    flow_proof_make(f);
    flow_page(f, STEP_SETPW, FLOW_NO_MSG, FLOW_NO_MSG);
}

static void flow_set_password(struct flow *f, const char *proof, const char *exp, const char *password)
{
    if (!flow_proof_ok(f, proof, exp))
        return flow_page(f, flow_first_step(f), FLOW_NO_MSG, MSG_FORM_EXPIRED);
    if (!password_acceptable(password ? password : "", NULL)) {
        flow_proof_make(f);
        return flow_page(f, STEP_SETPW, FLOW_NO_MSG, MSG_PASSWORD_INVALID);
    }
    char hash[PASSWORD_ENCODED_MAX], uid[UNIQUE_ID_LEN + 1];
    if (!password_hash(password, NULL, hash, sizeof hash))
        return flow_fail(f, "password hash failed");
    struct login_user_new nu = {.credential = f->credential, .credential_type = credential_type_code(f->kind),
                                .password_hash = hash, .client_id = f->g.client_id};
    bool created = false;
    if (store_login_user_create(f->req->db, &nu, &created, uid) != DB_OK)
        return flow_fail(f, "user create failed");
    if (!created) /* someone took the credential meanwhile: start over */
        return flow_page(f, flow_first_step(f), FLOW_NO_MSG, MSG_TRY_LATER);
    flow_login(f, uid);
}

/* §4.2 rules 1-2 (GET): already logged in as the credential's owner (or no credential given):
 * straight back; logged in as someone else: that session ends first. True when answered. */
static bool flow_session_rules(struct flow *f)
{
    char uid[33];
    bool ok;
    bool in = gui_session_user(f->req, &f->g, uid, &ok);
    if (!ok) {
        flow_fail(f, "session lookup failed");
        return true;
    }
    if (!in)
        return false;
    bool found = false;
    struct login_user u;
    if (*f->typed && f->kind != CREDENTIAL_INVALID &&
        store_login_user_find(f->req->db, f->credential, &found, &u) != DB_OK) {
        flow_fail(f, "user lookup failed");
        return true;
    }
    if (!*f->typed || (found && !strcmp(u.unique_id, uid))) {
        gui_redirect(f->req, &f->g, f->g.return_url, NULL, NULL);
        return true;
    }
    const char *sid = gui_cookie(f->req, SESSION_COOKIE);
    if (sid && store_session_delete(f->req->db, sid) != DB_OK) {
        flow_fail(f, "session delete failed");
        return true;
    }
    gui_set_cookie(f->req, SESSION_COOKIE, "", 0);
    return false;
}

static void flow_get(struct flow *f, bool submit)
{
    flow_set_credential(f, form_get(&f->g.query, "credential", NULL));
    if (flow_session_rules(f))
        return;
    if (submit && *f->typed)
        return flow_credential(f, STEP_CREDENTIAL);
    flow_page(f, flow_first_step(f), FLOW_NO_MSG, FLOW_NO_MSG);
}

static void flow_post(struct flow *f)
{
    struct form body;
    bool parsed = flow_body(f->req, &body);
    if (!parsed || !flow_csrf_ok(f, form_get(&body, HTML_CSRF_FIELD, NULL))) {
        flow_set_credential(f, form_get(&f->g.query, "credential", NULL));
        return flow_page(f, flow_first_step(f), FLOW_NO_MSG, MSG_FORM_EXPIRED);
    }
    const char *step = form_get(&body, "step", NULL), *event = form_get(&body, "event", NULL);
    const char *password = form_get(&body, "password", NULL);
    flow_set_credential(f, form_get(&body, "credential", NULL));
    f->remember = form_get(&body, "remember", NULL) != NULL;
    step = step ? step : "";
    event = event ? event : "";
    if (!strcmp(event, "cancel"))
        return gui_redirect(f->req, &f->g, f->g.error_url, "error", "cancelled");
    if (!strcmp(step, "credential"))
        return flow_credential(f, STEP_CREDENTIAL);
    if (!strcmp(step, "password") && !strcmp(event, "useCode")) {
        if (f->kind == CREDENTIAL_INVALID)
            return flow_page(f, STEP_PASSWORD, FLOW_NO_MSG, MSG_CREDENTIAL_INVALID);
        return flow_send_code(f, MSG_CODE_SENT);
    }
    if (!strcmp(step, "password"))
        return flow_password(f, password);
    if (!strcmp(step, "code") && !strcmp(event, "resend"))
        return f->kind == CREDENTIAL_INVALID ? flow_page(f, flow_first_step(f), FLOW_NO_MSG, MSG_CREDENTIAL_INVALID)
                                             : flow_send_code(f, MSG_CODE_RESENT);
    if (!strcmp(step, "code") && !strcmp(event, "usePassword"))
        return flow_page(f, STEP_PASSWORD, FLOW_NO_MSG, FLOW_NO_MSG);
    if (!strcmp(step, "code"))
        return flow_code(f, form_get(&body, "code", NULL));
    if (!strcmp(step, "setpw"))
        return flow_set_password(f, form_get(&body, "proof", NULL), form_get(&body, "proofExp", NULL), password);
    flow_page(f, flow_first_step(f), FLOW_NO_MSG, FLOW_NO_MSG);
}

/* The generic handler: create is true for createUser/register (assumeNewUser defaults to true,
 * credentialSubmit is honoured), false for login. */
static void flow_generic(struct request *req, bool create, const char *path)
{
    struct flow f;
    memset(&f, 0, sizeof f);
    f.req = req;
    f.create = create;
    f.typed = "";
    if (!gui_params_or_reply(req, &f.g, true))
        return gui_done(&f.g);
    bool submit = false;
    if (!form_flag(&f.g.query, "assumeNewUser", create, &f.assume_new) ||
        (create && !form_flag(&f.g.query, "credentialSubmit", false, &submit))) {
        gui_redirect(req, &f.g, f.g.error_url, "error", "invalid_request");
        return gui_done(&f.g);
    }
    f.action = req->query ? h2o_concat(req->pool, h2o_iovec_init(path, strlen(path)), h2o_iovec_init(H2O_STRLIT("?")),
                                       h2o_iovec_init(req->query, req->query_len))
                                .base
                          : path;
    if (!flow_csrf_init(&f))
        flow_fail(&f, "login flow key or RNG failed");
    else if (req->method == HTTP_POST)
        flow_post(&f);
    else
        flow_get(&f, submit);
    gui_done(&f.g);
}

static void login_page(struct request *req)
{
    flow_generic(req, false, "/user/login");
}

static void create_user_page(struct request *req)
{
    flow_generic(req, true, "/user/createUser");
}

static void register_page(struct request *req)
{
    flow_generic(req, true, "/user/register");
}

/* /user/oauthLogin: the legacy form (j_username, j_password, loginButton); clientId, returnUrl
 * and errorUrl as query or form parameters. Integrations post it from their own pages, so it
 * cannot carry our CSRF token; instead a browser's POST must come from the client's own hosts or
 * from our page (gui_post_origin_allowed), so another site cannot log a reader in as someone else. */
static void legacy_login(struct request *req)
{
    struct form body = {0};
    if (req->method == HTTP_POST && flow_body(req, &body) && req->h2o->entity.len) {
        /* form fields first (form_get takes the first), then the query */
        h2o_iovec_t q = req->query ? h2o_concat(req->pool, req->h2o->entity, h2o_iovec_init(H2O_STRLIT("&")),
                                                h2o_iovec_init(req->query, req->query_len))
                                   : req->h2o->entity;
        req->query = q.base;
        req->query_len = q.len;
    }
    struct gui g;
    if (!gui_params_or_reply(req, &g, false))
        return gui_done(&g);
    const char *action = "/user/oauthLogin";
    const char *user = form_get(&body, "j_username", NULL), *pw = form_get(&body, "j_password", NULL);
    if (req->method != HTTP_POST || !user || !pw) {
        flow_legacy_page(req, &g, action, form_get(&g.query, "j_username", NULL), FLOW_NO_MSG);
        return gui_done(&g);
    }
    if (!gui_post_origin_allowed(req, &g)) {
        flow_legacy_page(req, &g, action, user, MSG_FORM_EXPIRED);
        return gui_done(&g);
    }
    char uid[33];
    struct flow f = {.req = req, .g = g};
    switch (password_check(req, user, pw, uid)) {
    case PW_OK:
        flow_login(&f, uid);
        break;
    case PW_REFUSED:
        flow_legacy_page(req, &g, action, user, MSG_WRONG_CREDENTIALS);
        break;
    case PW_THROTTLED:
        flow_legacy_page(req, &g, action, user, MSG_TRY_LATER);
        break;
    default:
        if (g.error_url)
            flow_fail(&f, "password check failed");
        else
            reply_internal(req, "password check failed");
    }
    gui_done(&g);
}

static const struct route ROUTES[] = {
    {HTTP_GET, "/user/login", AUTH_NONE, login_page, ROUTE_GUI, NULL},
    {HTTP_POST, "/user/login", AUTH_NONE, login_page, ROUTE_GUI, NULL},
    {HTTP_GET, "/user/createUser", AUTH_NONE, create_user_page, ROUTE_GUI, NULL},
    {HTTP_POST, "/user/createUser", AUTH_NONE, create_user_page, ROUTE_GUI, NULL},
    {HTTP_GET, "/user/register", AUTH_NONE, register_page, ROUTE_GUI, NULL},
    {HTTP_POST, "/user/register", AUTH_NONE, register_page, ROUTE_GUI, NULL},
    {HTTP_GET, "/user/oauthLogin", AUTH_NONE, legacy_login, ROUTE_GUI, NULL},
    {HTTP_POST, "/user/oauthLogin", AUTH_NONE, legacy_login, ROUTE_GUI, NULL},
};

struct route_table login_flow_routes(void)
{
    return ROUTE_TABLE(ROUTES);
}
