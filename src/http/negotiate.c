/* negotiate.c — JSON or XML for a response, exactly spec README §7.1 (see negotiate.h).
 * One pass over the Accept header, no allocation: each media range is scored against the three
 * types we can produce (application/json, application/xml, text/xml), keeping for each the q
 * of its most specific matching range. q values are kept as integers 0..1000 so that equality
 * ("on equal q, JSON wins") is exact. */
#include "http/negotiate.h"

#include <string.h>
#include <strings.h>

#define Q_ONE 1000

enum target { T_JSON, T_APP_XML, T_TEXT_XML, T_COUNT };

static const struct {
    const char *type, *subtype;
} targets[T_COUNT] = {
    [T_JSON] = {"application", "json"},
    [T_APP_XML] = {"application", "xml"},
    [T_TEXT_XML] = {"text", "xml"},
};

/* Specificity of a range for a target: 0 no match, 1 star/star, 2 type/star, 3 exact. */
struct score {
    int spec[T_COUNT];
    int q[T_COUNT];
    bool any_range;   /* at least one non-empty range was seen */
    bool only_star;   /* every range seen was star/star */
};

struct slice {
    const char *p;
    size_t len;
};

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static struct slice trim(const char *p, size_t len)
{
    while (len && is_ows(*p))
        p++, len--;
    while (len && is_ows(p[len - 1]))
        len--;
    return (struct slice){p, len};
}

static bool slice_ieq(struct slice s, const char *lit)
{
    return strlen(lit) == s.len && strncasecmp(s.p, lit, s.len) == 0;
}

/* End of the element starting at s[i] (stops at sep); skips quoted strings so that a ',' or
 * ';' inside a quoted parameter value does not split anything. */
static size_t element_end(const char *s, size_t len, size_t i, char sep)
{
    bool quoted = false;
    for (; i < len; i++) {
        if (quoted && s[i] == '\\' && i + 1 < len)
            i++;
        else if (s[i] == '"')
            quoted = !quoted;
        else if (!quoted && s[i] == sep)
            break;
    }
    return i;
}

/* Parses a qvalue ("0", "0.5", "1.000", leniently ".5") into 0..1000; -1 when malformed. */
static int parse_q(struct slice v)
{
    size_t i = 0;
    int whole = 0;
    if (i < v.len && (v.p[i] == '0' || v.p[i] == '1'))
        whole = v.p[i++] - '0';
    else if (v.len == 0 || v.p[0] != '.')
        return -1;
    int frac = 0, digits = 0;
    if (i < v.len && v.p[i] == '.') {
        for (i++; i < v.len && v.p[i] >= '0' && v.p[i] <= '9' && digits < 3; i++, digits++)
            frac = frac * 10 + (v.p[i] - '0');
        if (digits == 0 && i == 1)
            return -1; /* a lone "." */
    }
    if (i != v.len)
        return -1;
    for (; digits < 3; digits++)
        frac *= 10;
    int q = whole * Q_ONE + frac;
    return q > Q_ONE ? -1 : q;
}

/* q of a range from its parameters (the text after the media type); 1 when absent or
 * malformed, as a malformed q must not make a client's only range unacceptable. */
static int range_q(const char *s, size_t len)
{
    int q = Q_ONE;
    for (size_t i = 0; i < len;) {
        size_t j = element_end(s, len, i, ';');
        struct slice param = trim(s + i, j - i);
        const char *eq = memchr(param.p, '=', param.len);
        if (eq) {
            struct slice name = trim(param.p, (size_t)(eq - param.p));
            struct slice value = trim(eq + 1, param.len - (size_t)(eq + 1 - param.p));
            int v = slice_ieq(name, "q") ? parse_q(value) : -1;
            if (v >= 0)
                q = v;
        }
        i = j + 1;
    }
    return q;
}

/* Records one media range "type/subtype;params". A bare "*" (sent by old Java clients) is
 * read as star/star; other ranges without '/' match nothing. */
static void score_range(struct score *sc, struct slice r)
{
    size_t mt_end = element_end(r.p, r.len, 0, ';');
    struct slice mt = trim(r.p, mt_end);
    if (mt.len == 0)
        return;
    sc->any_range = true;
    const char *slash = memchr(mt.p, '/', mt.len);
    struct slice type = slash ? trim(mt.p, (size_t)(slash - mt.p)) : mt;
    struct slice sub = slash ? trim(slash + 1, mt.len - (size_t)(slash + 1 - mt.p)) : (struct slice){"*", 1};
    if (!slash && !slice_ieq(mt, "*"))
        type = (struct slice){"", 0};
    bool star_type = slice_ieq(type, "*"), star_sub = slice_ieq(sub, "*");
    if (!(star_type && star_sub))
        sc->only_star = false;
    int q = range_q(r.p + mt_end, r.len - mt_end);

    for (int t = 0; t < T_COUNT; t++) {
        int spec = 0;
        if (star_type && star_sub)
            spec = 1;
        else if (slice_ieq(type, targets[t].type))
            spec = star_sub ? 2 : slice_ieq(sub, targets[t].subtype) ? 3 : 0;
        if (spec > sc->spec[t]) { /* strictly more specific: the first of equals is kept */
            sc->spec[t] = spec;
            sc->q[t] = q;
        }
    }
}

static void score_accept(struct score *sc, const char *accept, size_t len)
{
    memset(sc, 0, sizeof *sc);
    sc->only_star = true;
    for (size_t i = 0; i < len;) {
        size_t j = element_end(accept, len, i, ',');
        score_range(sc, trim(accept + i, j - i));
        i = j + 1;
    }
}

/* Rule 1 of §7.1: no Accept, or only star/star. */
static struct negotiation default_rule(bool body_xml, bool legacy, enum default_format def)
{
    bool xml = def == DEFAULT_XML || (def == DEFAULT_LEGACY && (body_xml || legacy));
    return (struct negotiation){xml ? FORMAT_XML : FORMAT_JSON, false};
}

/* text/xml is the Content-Type only when the client named it and does not prefer
 * application/xml: a tie with an explicitly named application/xml goes to application/xml. */
static bool wants_text_xml(const struct score *sc)
{
    if (sc->spec[T_TEXT_XML] != 3 || sc->q[T_TEXT_XML] == 0)
        return false;
    int qt = sc->q[T_TEXT_XML], qa = sc->q[T_APP_XML];
    return qt > qa || (qt == qa && sc->spec[T_APP_XML] != 3);
}

struct negotiation negotiate(const char *accept, size_t accept_len, bool body_xml, bool legacy_xml_endpoint,
                             enum default_format def)
{
    if (accept == NULL)
        return default_rule(body_xml, legacy_xml_endpoint, def);
    struct score sc;
    score_accept(&sc, accept, accept_len);
    if (!sc.any_range || sc.only_star)
        return default_rule(body_xml, legacy_xml_endpoint, def);

    int q_json = sc.q[T_JSON];
    int q_xml = sc.q[T_APP_XML] > sc.q[T_TEXT_XML] ? sc.q[T_APP_XML] : sc.q[T_TEXT_XML];
    if (q_xml > q_json)
        return (struct negotiation){FORMAT_XML, wants_text_xml(&sc)};
    return (struct negotiation){FORMAT_JSON, false};
}

bool default_format_parse(const char *s, enum default_format *out)
{
    if (s == NULL)
        return false;
    if (strcmp(s, "json") == 0)
        *out = DEFAULT_JSON;
    else if (strcmp(s, "xml") == 0)
        *out = DEFAULT_XML;
    else if (strcmp(s, "legacy") == 0)
        *out = DEFAULT_LEGACY;
    else
        return false;
    return true;
}
