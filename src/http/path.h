/* path.h — request-path normalisation and splitting (spec README §3).
 * Runs of '/' collapse to one, one trailing '/' is ignored, the path is split into segments
 * *before* each segment is percent-decoded, so "%2F" inside a parameter never makes a new
 * segment. Pure functions: no allocation, the caller gives the scratch space. */
#ifndef CONNECTD_PATH_H
#define CONNECTD_PATH_H

#include <stddef.h>

#define PATH_MAX_SEGMENTS 16

struct path_segment {
    const char *p; /* decoded bytes (may contain '/', never NUL-terminated) */
    size_t len;
};

struct path {
    size_t nseg;
    struct path_segment seg[PATH_MAX_SEGMENTS];
};

enum path_status {
    PATH_OK = 0,
    PATH_NOT_ABSOLUTE,  /* does not start with '/' */
    PATH_TOO_MANY,      /* more than PATH_MAX_SEGMENTS segments */
    PATH_BAD_ENCODING,  /* '%' not followed by two hex digits, or a decoded NUL byte */
    PATH_TOO_LONG,      /* scratch too small */
};

/* Parses raw[0..len) (the request target without the query string). Decoded segments are
 * written into scratch (needs at least len bytes). "/" gives zero segments. */
enum path_status path_parse(const char *raw, size_t len, char *scratch, size_t scratch_cap,
                            struct path *out);

/* Writes the normalised, still-encoded path ("/capi//v1/x/" -> "/capi/v1/x") into out (needs
 * len + 1 bytes, NUL-terminated); returns its length. Used for logs. */
size_t path_normalize(const char *raw, size_t len, char *out);

#endif
