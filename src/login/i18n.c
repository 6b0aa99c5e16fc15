/* i18n.c — the message catalogue (English, Norwegian Bokmål) and the Accept-Language choice
 * (see i18n.h). The catalogue is one table indexed [msg][lang]; a unit test checks that no
 * entry is missing. The header is parsed in one pass without allocation, like
 * http/negotiate.c: q values as integers 0..1000 so that ties are exact. */
#include "login/i18n.h"

#include <stdbool.h>
#include <string.h>

static const char *const catalogue[MSG_COUNT][LANG_COUNT] = {
    [MSG_LOGIN_TITLE] = {"Log in", "Logg inn"},
    [MSG_CREATE_TITLE] = {"Create account", "Opprett konto"},
    [MSG_CREDENTIAL_LABEL] = {"E-mail or mobile number", "E-post eller mobilnummer"},
    [MSG_CREDENTIAL_INVALID] = {"Enter a valid e-mail address or mobile number.",
                                "Skriv inn en gyldig e-postadresse eller et gyldig mobilnummer."},
    [MSG_PASSWORD_LABEL] = {"Password", "Passord"},
    [MSG_CODE_LABEL] = {"One-time code", "Engangskode"},
    [MSG_CODE_SENT] = {"We have sent a one-time code to %s. It is valid for 10 minutes.",
                       "Vi har sendt en engangskode til %s. Den er gyldig i 10 minutter."},
    [MSG_NO_CODE] = {"Did not get a code?", "Fikk du ingen kode?"},
    [MSG_RESEND_CODE] = {"Send a new code", "Send ny kode"},
    [MSG_CODE_RESENT] = {"A new code has been sent.", "En ny kode er sendt."},
    [MSG_SET_PASSWORD] = {"Choose a password", "Velg passord"},
    [MSG_NEW_PASSWORD_LABEL] = {"New password", "Nytt passord"},
    [MSG_PASSWORD_RULE] = {"At least 8 characters.", "Minst 8 tegn."},
    [MSG_PASSWORD_INVALID] = {"This password cannot be used. Choose another one.",
                              "Dette passordet kan ikke brukes. Velg et annet."},
    [MSG_REMEMBER_ME] = {"Remember me on this device", "Husk meg på denne enheten"},
    [MSG_CONTINUE] = {"Continue", "Fortsett"},
    [MSG_CANCEL] = {"Cancel", "Avbryt"},
    [MSG_USE_CODE_INSTEAD] = {"Log in with a one-time code instead", "Logg inn med engangskode i stedet"},
    [MSG_USE_PASSWORD_INSTEAD] = {"Log in with password instead", "Logg inn med passord i stedet"},
    [MSG_WRONG_CREDENTIALS] = {"Wrong e-mail, phone number or password.", "Feil e-post, mobilnummer eller passord."},
    [MSG_WRONG_CODE] = {"The code is wrong or has expired.", "Koden er feil eller har utløpt."},
    [MSG_TRY_LATER] = {"Too many attempts. Please try again later.", "For mange forsøk. Prøv igjen senere."},
    [MSG_FORM_EXPIRED] = {"The page had expired. Please try again.", "Siden var utløpt. Prøv igjen."},
    [MSG_ERROR_TITLE] = {"Something went wrong", "Noe gikk galt"},
    [MSG_BAD_REQUEST] = {"This link is not valid. Go back to the page you came from and try again.",
                         "Lenken er ikke gyldig. Gå tilbake til siden du kom fra, og prøv igjen."},
    [MSG_APPROVE_TITLE] = {"Allow access", "Gi tilgang"},
    [MSG_APPROVE_TEXT] = {"%s wants access to your account.", "%s ber om tilgang til kontoen din."},
    [MSG_APPROVE] = {"Allow", "Tillat"},
    [MSG_DENY] = {"Deny", "Avslå"},
    [MSG_LOGGED_OUT] = {"You are logged out.", "Du er logget ut."},
    [MSG_TOO_MANY_REQUESTS] = {"Too many requests. Please wait a moment and try again.",
                               "For mange forespørsler. Vent litt og prøv igjen."},
    [MSG_CODE_MAIL_SUBJECT] = {"Your one-time code", "Din engangskode"},
    [MSG_CODE_MAIL_BODY] = {"Your one-time code is %s.\n\nIt is valid for 10 minutes. If you did not ask for it, "
                            "you can ignore this e-mail.",
                            "Engangskoden din er %s.\n\nDen er gyldig i 10 minutter. Har du ikke bedt om den, "
                            "kan du se bort fra denne e-posten."},
    [MSG_CODE_SMS] = {"Your one-time code is %s. It is valid for 10 minutes.",
                      "Engangskoden din er %s. Den er gyldig i 10 minutter."},
};

const char *i18n(enum lang l, enum msg m)
{
    if ((unsigned)m >= MSG_COUNT)
        return "";
    if ((unsigned)l >= LANG_COUNT)
        l = LANG_EN;
    const char *s = catalogue[m][l];
    return s ? s : "";
}

bool i18n_subst(char *out, size_t cap, enum lang l, enum msg m, const char *arg)
{
    const char *t = i18n(l, m), *hole = strstr(t, "%s");
    size_t head = hole ? (size_t)(hole - t) : strlen(t), alen = hole ? strlen(arg) : 0;
    size_t tail = hole ? strlen(hole + 2) : 0;
    if (head + alen + tail >= cap)
        return false;
    memcpy(out, t, head);
    memcpy(out + head, arg, alen);
    memcpy(out + head + alen, hole ? hole + 2 : "", tail + 1);
    out[head + alen + tail] = '\0';
    return true;
}

const char *i18n_tag(enum lang l)
{
    return l == LANG_NB ? "nb" : "en";
}

/* ---- Accept-Language --------------------------------------------------------------------- */

#define Q_ONE 1000
#define LANG_OTHER LANG_COUNT /* a language range we have no texts for */
#define LANG_ANY (LANG_COUNT + 1) /* "*" */

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Our language for a primary subtag of n letters. */
static int lang_of(const char *p, size_t n)
{
    if (n != 2)
        return LANG_OTHER;
    char a = lower(p[0]), b = lower(p[1]);
    if (a == 'e' && b == 'n')
        return LANG_EN;
    if (a == 'n' && (b == 'b' || b == 'n' || b == 'o'))
        return LANG_NB;
    return LANG_OTHER;
}

/* Parses one list element [p, end) (already trimmed, non-empty): language-range [weight].
 * Fills *lang (LANG_EN.., LANG_OTHER, LANG_ANY) and *q; false if malformed. */
static bool parse_range(const char *p, const char *end, int *lang, int *q)
{
    const char *s = p;
    if (p < end && *p == '*') {
        *lang = LANG_ANY;
        p++;
    } else {
        while (p < end && is_alpha(*p))
            p++;
        if (p == s || p - s > 8)
            return false;
        *lang = lang_of(s, (size_t)(p - s));
        while (p < end && *p == '-') { /* subtags: 1*8 alphanum */
            const char *t = ++p;
            while (p < end && (is_alpha(*p) || is_digit(*p)))
                p++;
            if (p == t || p - t > 8)
                return false;
        }
    }
    while (p < end && is_ows(*p))
        p++;
    *q = Q_ONE;
    if (p == end)
        return true;
    if (*p++ != ';')
        return false;
    while (p < end && is_ows(*p))
        p++;
    if (end - p < 3 || lower(p[0]) != 'q' || p[1] != '=')
        return false;
    p += 2;
    /* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) */
    char first = *p++;
    if (first != '0' && first != '1')
        return false;
    int v = (first - '0') * Q_ONE, scale = 100, digits = 0;
    if (p < end && *p == '.') {
        for (p++; p < end && is_digit(*p); p++, digits++) {
            if (digits == 3)
                return false;
            v += (*p - '0') * scale;
            scale /= 10;
        }
    }
    if (v > Q_ONE)
        return false;
    while (p < end && is_ows(*p))
        p++;
    if (p != end)
        return false;
    *q = v;
    return true;
}

enum lang i18n_choose(const char *al, size_t len)
{
    /* Per language we keep the highest q of a range naming it and the position where that q
     * was first reached; "*" counts for a language only if no range names it. */
    struct {
        int q;
        size_t pos;
    } named[LANG_COUNT], any = {-1, 0};
    for (int l = 0; l < LANG_COUNT; l++)
        named[l].q = -1, named[l].pos = 0;
    if (!al)
        return LANG_EN;

    const char *p = al, *end = al + len;
    for (size_t pos = 0; p < end; pos++) {
        const char *e = p;
        while (e < end && *e != ',')
            e++;
        const char *s = p, *t = e;
        p = e < end ? e + 1 : end;
        while (s < t && is_ows(*s))
            s++;
        while (t > s && is_ows(t[-1]))
            t--;
        int lang, q;
        if (s == t || !parse_range(s, t, &lang, &q))
            continue;
        if (lang == LANG_ANY) {
            if (q > any.q)
                any.q = q, any.pos = pos;
        } else if (lang < LANG_COUNT && q > named[lang].q)
            named[lang].q = q, named[lang].pos = pos;
    }

    enum lang best = LANG_EN;
    int best_q = 0;
    size_t best_pos = 0;
    for (int l = 0; l < LANG_COUNT; l++) {
        int q = named[l].q >= 0 ? named[l].q : any.q;
        size_t pos = named[l].q >= 0 ? named[l].pos : any.pos;
        if (q > best_q || (q == best_q && q > 0 && pos < best_pos))
            best = (enum lang)l, best_q = q, best_pos = pos;
    }
    return best;
}
