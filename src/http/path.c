/* path.c — request-path normalisation and splitting (spec README §3, see path.h).
 * The router never sees raw bytes: it gets a struct path of decoded segments. Splitting happens
 * before decoding so "%2F" stays inside its segment, and empty segments are dropped, which is
 * exactly "collapse runs of '/' and ignore one trailing slash". "." and ".." are ordinary
 * segments: no route template contains them, so they simply fail to match. */
#include "http/path.h"
#include "http/form.h"

#include <string.h>

/* Length of the segment starting at raw[i] (up to the next '/' or the end). */
static size_t segment_len(const char *raw, size_t len, size_t i)
{
    size_t j = i;
    while (j < len && raw[j] != '/')
        j++;
    return j - i;
}

enum path_status path_parse(const char *raw, size_t len, char *scratch, size_t scratch_cap, struct path *out)
{
    out->nseg = 0;
    if (len == 0 || raw[0] != '/')
        return PATH_NOT_ABSOLUTE;
    if (scratch_cap < len)
        return PATH_TOO_LONG;

    size_t used = 0;
    for (size_t i = 0; i < len;) {
        if (raw[i] == '/') {
            i++;
            continue;
        }
        size_t n = segment_len(raw, len, i);
        if (out->nseg == PATH_MAX_SEGMENTS)
            return PATH_TOO_MANY;
        /* '+' is left alone: it only means a space in form data, never in a path. */
        size_t d = url_decode(raw + i, n, scratch + used, false);
        if (d == (size_t)-1)
            return PATH_BAD_ENCODING;
        out->seg[out->nseg].p = scratch + used;
        out->seg[out->nseg].len = d;
        out->nseg++;
        used += d;
        i += n;
    }
    return PATH_OK;
}

size_t path_normalize(const char *raw, size_t len, char *out)
{
    /* Not a path we route (e.g. "*"): keep it verbatim so the log shows what was sent. */
    if (len == 0 || raw[0] != '/') {
        memcpy(out, raw, len);
        out[len] = '\0';
        return len;
    }
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        if (raw[i] == '/') {
            i++;
            continue;
        }
        size_t n = segment_len(raw, len, i);
        out[o++] = '/';
        memcpy(out + o, raw + i, n);
        o += n;
        i += n;
    }
    if (o == 0)
        out[o++] = '/';
    out[o] = '\0';
    return o;
}
