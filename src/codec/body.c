/* body.c — picks the parser for a request body and runs it (spec README §6.1).
 * The media type decides (JSON, XML or 415); without a Content-Type the first non-space byte
 * does. An empty or all-whitespace body is {} in either format. Both parsers share the depth
 * limit JSON_MAX_DEPTH, so a body is refused for the same nesting whatever its format. */
#include "codec/body.h"

#include <string.h>
#include <strings.h>

#include "codec/json.h"
#include "codec/xml.h"

enum body_kind { KIND_JSON, KIND_XML, KIND_OTHER };

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool ieq(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

static bool iends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && strncasecmp(s + n - k, suffix, k) == 0;
}

/* The media type of a Content-Type value: what precedes ';', trimmed. Parameters (charset)
 * never change the choice; we assume UTF-8 for JSON and let the XML declaration speak. */
static enum body_kind kind_of_media_type(const char *ct, size_t len)
{
    const char *semi = memchr(ct, ';', len);
    size_t n = semi ? (size_t)(semi - ct) : len;
    while (n > 0 && is_space(ct[n - 1]))
        n--;
    while (n > 0 && is_space(*ct)) {
        ct++;
        n--;
    }
    const char *slash = memchr(ct, '/', n);
    if (slash == NULL)
        return KIND_OTHER;
    size_t sub_len = n - (size_t)(slash + 1 - ct);
    if (ieq(ct, n, "application/json") || iends_with(slash + 1, sub_len, "+json"))
        return KIND_JSON;
    if (ieq(ct, n, "application/xml") || ieq(ct, n, "text/xml") ||
        iends_with(slash + 1, sub_len, "+xml"))
        return KIND_XML;
    return KIND_OTHER;
}

/* Index of the first non-whitespace byte, or len when there is none. A UTF-8 byte order mark
 * (some Windows clients send one) counts as whitespace: jansson would refuse it, and libxml2
 * reads the body fine when we pass it on from there. */
static size_t skip_space(const char *data, size_t len)
{
    size_t i = 0;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < len && is_space(data[i]))
        i++;
    return i;
}

static enum body_kind kind_of_body(const char *content_type, size_t ct_len, const char *data, size_t len,
                                   size_t first)
{
    if (content_type == NULL || skip_space(content_type, ct_len) == ct_len)
        return first < len && data[first] == '<' ? KIND_XML : KIND_JSON;
    return kind_of_media_type(content_type, ct_len);
}

bool body_is_xml(const char *content_type, size_t ct_len, const char *data, size_t len)
{
    return kind_of_body(content_type, ct_len, data, len, data ? skip_space(data, len) : len) == KIND_XML;
}

enum body_status body_parse(const char *content_type, size_t ct_len, const char *data, size_t len,
                            struct body *out)
{
    out->value = NULL;
    out->xml = false;
    size_t first = data ? skip_space(data, len) : len;
    enum body_kind kind = kind_of_body(content_type, ct_len, data, len, first);
    if (kind == KIND_OTHER)
        return BODY_UNSUPPORTED_MEDIA_TYPE;
    out->xml = kind == KIND_XML;
    if (first == len) {
        out->value = json_object();
        return BODY_OK;
    }
    out->value = kind == KIND_XML ? xml_parse(data + first, len - first, JSON_MAX_DEPTH)
                                  : json_parse_body(data + first, len - first, JSON_MAX_DEPTH);
    return out->value ? BODY_OK : BODY_MALFORMED;
}
