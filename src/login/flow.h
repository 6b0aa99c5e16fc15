/* flow.h — internal to the login flow (flow.c: the state machine of login / createUser /
 * register and the legacy oauthLogin form; flow_pages.c: its pages, its CSRF token and the
 * signed proof that a one-time code was entered). Not used outside these two files.
 *
 * CSRF (identity.md §4.1): a pre-session cookie FLOW_COOKIE holds a random 128-bit value; the
 * form field HTML_CSRF_FIELD is HMAC-SHA256(server secret "login_flow_key", "csrf\n" cookie),
 * compared constant-time on every POST. Another site can neither read the cookie nor compute
 * the MAC, so it cannot forge a POST; the flow state itself travels in hidden fields. The only
 * state that grants something (a code was entered for credential X: the user may now choose a
 * password and be created) is carried as a MAC bound to the same cookie with an expiry. */
#ifndef CONNECTD_LOGIN_FLOW_H
#define CONNECTD_LOGIN_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "login/credential.h"
#include "login/gui.h"

#define FLOW_COOKIE "connectid_flow"
#define FLOW_COOKIE_MAX_AGE_S 3600
#define FLOW_PROOF_TTL_MS (10LL * 60 * 1000) /* time to choose a password after a correct code */
#define FLOW_MAC_HEX 65

enum flow_step {
    STEP_CREDENTIAL, /* credential only (assumeNewUser=true: a code is sent next) */
    STEP_PASSWORD,   /* credential and password, with "use a one-time code instead" */
    STEP_CODE,       /* the one-time code */
    STEP_SETPW,      /* a new user chooses a password after a correct code */
    STEP_COUNT,
};

struct flow {
    struct request *req;
    struct gui g;
    bool create;     /* createUser / register (not login) */
    bool assume_new; /* assumeNewUser */
    char key[129];   /* the server secret the MACs use */
    const char *cookie; /* the pre-session cookie's value */
    char csrf[FLOW_MAC_HEX];
    const char *action; /* the form's action: this path with the request's query (the GUI params) */
    const char *typed;  /* the credential as typed (prefill), never NULL */
    char credential[CREDENTIAL_BUF]; /* normalized, "" when invalid */
    enum credential_kind kind;
    bool remember;
    char proof[FLOW_MAC_HEX]; /* STEP_SETPW only */
    char proof_exp[24];
};

#define FLOW_NO_MSG (-1)

/* Loads the key, reads or makes the pre-session cookie (re-set on every answer) and computes
 * the CSRF token. False on a store or RNG failure. */
bool flow_csrf_init(struct flow *f);
bool flow_csrf_ok(const struct flow *f, const char *token);
/* The proof for STEP_SETPW (into f->proof / f->proof_exp), and its check. */
void flow_proof_make(struct flow *f);
bool flow_proof_ok(const struct flow *f, const char *proof, const char *exp);

/* Renders step with an optional notice and error (enum msg or FLOW_NO_MSG), status 200, the
 * security headers and the client's CSP. */
void flow_page(struct flow *f, enum flow_step step, int notice, int error);
/* The legacy /user/oauthLogin form (j_username, j_password, loginButton). */
void flow_legacy_page(struct request *req, const struct gui *g, const char *action, const char *user, int error);

/* The answer headers every login page carries (security headers, CSP of the client's hosts). */
void flow_page_headers(struct request *req, const struct gui *g);
int64_t flow_now_ms(void);

#endif
