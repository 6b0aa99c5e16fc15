/* i18n.h — the texts of the login pages in English and Norwegian Bokmål, and the choice
 * between them from Accept-Language. The catalogue is constant data; pages look texts up by
 * enum msg and hand them to html.h, which escapes them. A text with "%s" takes exactly one
 * argument, substituted by html_escape_subst (never printf). */
#ifndef CONNECTD_LOGIN_I18N_H
#define CONNECTD_LOGIN_I18N_H

#include <stdbool.h>
#include <stddef.h>

enum lang {
    LANG_EN, /* the default */
    LANG_NB,
    LANG_COUNT,
};

enum msg {
    MSG_LOGIN_TITLE,
    MSG_CREATE_TITLE,
    MSG_CREDENTIAL_LABEL,
    MSG_CREDENTIAL_INVALID,
    MSG_PASSWORD_LABEL,
    MSG_CODE_LABEL,
    MSG_CODE_SENT, /* %s: the e-mail address or phone number the code went to */
    MSG_NO_CODE,
    MSG_RESEND_CODE,
    MSG_CODE_RESENT,
    MSG_SET_PASSWORD,
    MSG_NEW_PASSWORD_LABEL,
    MSG_PASSWORD_RULE, /* matches PASSWORD_MIN_CHARS in login/password.h */
    MSG_PASSWORD_INVALID, /* password_acceptable() said no; shown with MSG_PASSWORD_RULE */
    MSG_REMEMBER_ME,
    MSG_CONTINUE,
    MSG_CANCEL,
    MSG_USE_CODE_INSTEAD,
    MSG_USE_PASSWORD_INSTEAD,
    MSG_WRONG_CREDENTIALS, /* unknown user and wrong password alike (spec §4.1, no enumeration) */
    MSG_WRONG_CODE,
    MSG_TRY_LATER,
    MSG_FORM_EXPIRED, /* missing or wrong CSRF token: the form is shown again */
    MSG_ERROR_TITLE,
    MSG_BAD_REQUEST, /* the §4.1 400 page: unknown clientId, bad errorUrl/returnUrl */
    MSG_APPROVE_TITLE,
    MSG_APPROVE_TEXT, /* %s: the client's name */
    MSG_APPROVE,
    MSG_DENY,
    MSG_LOGGED_OUT,
    MSG_TOO_MANY_REQUESTS, /* the plain 429 page of the per-address limit (spec README §10) */
    MSG_CODE_MAIL_SUBJECT,
    MSG_CODE_MAIL_BODY, /* %s: the code */
    MSG_CODE_SMS,       /* %s: the code; short enough for one SMS */
    MSG_COUNT,
};

/* The text of m in l; English for an unknown l, "" for an unknown m. Never NULL. */
const char *i18n(enum lang l, enum msg m);

/* The text of m in l with its "%s" replaced by arg, as plain text (for e-mail and SMS, not
 * HTML) into out[cap]; false when it does not fit. */
bool i18n_subst(char *out, size_t cap, enum lang l, enum msg m, const char *arg);

/* The BCP 47 tag for <html lang>: "en", "nb". */
const char *i18n_tag(enum lang l);

/* The language for an Accept-Language header value of len bytes (NULL: no header). Ranges are
 * weighed by q (RFC 9110 §12.5.4); nb, nn and no with any subtags mean Bokmål, en-* English, and
 * "*" any language not named. Highest q above 0 wins, the first listed on a tie; malformed
 * ranges are skipped; English when nothing we have is acceptable. */
enum lang i18n_choose(const char *accept_language, size_t len);

#endif
