/* flow_pages.c — the pages of the login flow (flow.c decides which one) and the two MACs that
 * keep its hidden-field state honest: the CSRF token and the proof of a correct one-time code
 * (see flow.h). Pages are built only with html.h, so every echoed value is escaped. */
#include "login/flow.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/hmac.h>

#include "login/html.h"
#include "util/buf.h"
#include "util/crypto.h"

static const char *const STEP_NAME[STEP_COUNT] = {"credential", "password", "code", "setpw"};

int64_t flow_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* HMAC-SHA256(key, label "\n" a "\n" b "\n" c) as hex. The separators cannot occur in the
 * parts that matter (cookie: hex; credential: normalized; expiry: digits). */
static void flow_mac(const struct flow *f, const char *label, const char *a, const char *b, const char *c,
                     char out[FLOW_MAC_HEX])
{
    struct buf m = BUF_INIT;
    buf_puts(&m, label);
    const char *parts[] = {a, b, c};
    for (size_t i = 0; i < 3; i++) {
        buf_putc(&m, '\n');
        buf_puts(&m, parts[i] ? parts[i] : "");
    }
    unsigned char mac[32];
    unsigned len = 0;
    if (!HMAC(EVP_sha256(), f->key, (int)strlen(f->key), (const unsigned char *)m.data, m.len, mac, &len))
        memset(mac, 0, sizeof mac), len = 0;
    hex_encode(mac, 32, out);
    if (len != 32) /* never matches a real MAC */
        memset(out, 'x', FLOW_MAC_HEX - 1);
    buf_free(&m);
}

static bool is_hex32(const char *s)
{
    return s && strlen(s) == 32 && strspn(s, "0123456789abcdef") == 32;
}

bool flow_csrf_init(struct flow *f)
{
    if (store_server_secret(f->req->db, "login_flow_key", f->key) != DB_OK)
        return false;
    const char *c = gui_cookie(f->req, FLOW_COOKIE);
    if (!is_hex32(c)) {
        char *fresh = h2o_mem_alloc_pool(f->req->pool, 33);
        if (!random_hex(fresh, 16))
            return false;
        c = fresh;
    }
    f->cookie = c;
    gui_set_cookie(f->req, FLOW_COOKIE, c, FLOW_COOKIE_MAX_AGE_S);
    flow_mac(f, "csrf", f->cookie, NULL, NULL, f->csrf);
    return true;
}

bool flow_csrf_ok(const struct flow *f, const char *token)
{
    return token && ct_equal(token, strlen(token), f->csrf, strlen(f->csrf));
}

void flow_proof_make(struct flow *f)
{
    snprintf(f->proof_exp, sizeof f->proof_exp, "%" PRId64, (int64_t)(flow_now_ms() + FLOW_PROOF_TTL_MS));
    flow_mac(f, "verified", f->cookie, f->credential, f->proof_exp, f->proof);
}

bool flow_proof_ok(const struct flow *f, const char *proof, const char *exp)
{
    if (!proof || !exp || !*exp || strspn(exp, "0123456789") != strlen(exp) || strlen(exp) > 18 ||
        !f->credential[0])
        return false;
    char want[FLOW_MAC_HEX];
    flow_mac(f, "verified", f->cookie, f->credential, exp, want);
    return ct_equal(proof, strlen(proof), want, strlen(want)) && strtoll(exp, NULL, 10) > flow_now_ms();
}

void flow_page_headers(struct request *req, const struct gui *g)
{
    for (size_t i = 0; i < html_security_header_count; i++)
        reply_header(req, html_security_headers[i].name, html_security_headers[i].value);
    const char *hosts[64];
    size_t n = 0;
    if (!gui_form_hosts(req, g, hosts, 64, &n))
        request_log_failure(req, "client lookup for the page's CSP failed"); /* the CSP only narrows */
    struct buf csp = BUF_INIT;
    html_csp(&csp, hosts, n);
    reply_header(req, "content-security-policy", csp.data);
    buf_free(&csp);
}

static void send_page(struct request *req, const struct gui *g, struct buf *out)
{
    reply_raw(req, 200, HTML_CONTENT_TYPE, out->data, out->len);
    buf_free(out);
    flow_page_headers(req, g);
}

void flow_page(struct flow *f, enum flow_step step, int notice, int error)
{
    enum lang l = f->g.lang;
    struct buf out = BUF_INIT;
    enum msg title = step == STEP_SETPW ? MSG_SET_PASSWORD : f->create ? MSG_CREATE_TITLE : MSG_LOGIN_TITLE;
    html_page_begin(&out, i18n_tag(l), i18n(l, title));
    if (notice != FLOW_NO_MSG)
        html_para(&out, HTML_P_NOTICE, i18n(l, (enum msg)notice), f->credential);
    if (error != FLOW_NO_MSG)
        html_error(&out, i18n(l, (enum msg)error));
    html_form_begin(&out, f->action, f->csrf);
    html_hidden(&out, "step", STEP_NAME[step]);
    if (step == STEP_CREDENTIAL || step == STEP_PASSWORD)
        html_input(&out, "text", "credential", i18n(l, MSG_CREDENTIAL_LABEL), f->typed, "username",
                   HTML_REQUIRED | HTML_VERBATIM | (step == STEP_CREDENTIAL || !*f->typed ? HTML_AUTOFOCUS : 0));
    else
        html_hidden(&out, "credential", f->credential);
    switch (step) {
    case STEP_PASSWORD:
        html_input(&out, "password", "password", i18n(l, MSG_PASSWORD_LABEL), NULL, "current-password",
                   *f->typed ? HTML_AUTOFOCUS : 0);
        break;
    case STEP_CODE:
        html_input(&out, "text", "code", i18n(l, MSG_CODE_LABEL), NULL, "one-time-code",
                   HTML_AUTOFOCUS | HTML_NUMERIC);
        break;
    case STEP_SETPW:
        html_hidden(&out, "proof", f->proof);
        html_hidden(&out, "proofExp", f->proof_exp);
        html_input(&out, "password", "password", i18n(l, MSG_NEW_PASSWORD_LABEL), NULL, "new-password",
                   HTML_AUTOFOCUS | HTML_REQUIRED);
        html_para(&out, HTML_P_HINT, i18n(l, MSG_PASSWORD_RULE), NULL);
        break;
    default:
        break;
    }
    html_checkbox(&out, "remember", i18n(l, MSG_REMEMBER_ME), f->remember);
    html_submit(&out, i18n(l, MSG_CONTINUE)); /* first submit button: what Enter presses */
    if (step == STEP_PASSWORD)
        html_button(&out, "event", "useCode", i18n(l, MSG_USE_CODE_INSTEAD));
    if (step == STEP_CODE) {
        html_para(&out, HTML_P_TEXT, i18n(l, MSG_NO_CODE), NULL);
        html_button(&out, "event", "resend", i18n(l, MSG_RESEND_CODE));
        html_button(&out, "event", "usePassword", i18n(l, MSG_USE_PASSWORD_INSTEAD));
    }
    html_button(&out, "event", "cancel", i18n(l, MSG_CANCEL));
    html_form_end(&out);
    html_page_end(&out);
    send_page(f->req, &f->g, &out);
}

void flow_legacy_page(struct request *req, const struct gui *g, const char *action, const char *user, int error)
{
    enum lang l = g->lang;
    struct buf out = BUF_INIT;
    html_page_begin(&out, i18n_tag(l), i18n(l, MSG_LOGIN_TITLE));
    if (error != FLOW_NO_MSG)
        html_error(&out, i18n(l, (enum msg)error));
    html_form_begin(&out, action, "");
    html_hidden(&out, "clientId", g->client_id);
    html_hidden(&out, "returnUrl", g->return_url);
    if (g->error_url)
        html_hidden(&out, "errorUrl", g->error_url);
    html_input(&out, "text", "j_username", i18n(l, MSG_CREDENTIAL_LABEL), user ? user : "", "username",
               HTML_REQUIRED | HTML_VERBATIM | HTML_AUTOFOCUS);
    html_input(&out, "password", "j_password", i18n(l, MSG_PASSWORD_LABEL), NULL, "current-password", HTML_REQUIRED);
    html_submit_named(&out, "loginButton", "1", i18n(l, MSG_CONTINUE));
    html_form_end(&out);
    html_page_end(&out);
    send_page(req, g, &out);
}
