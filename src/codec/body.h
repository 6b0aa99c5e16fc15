/* body.h — turning a request body into a value tree (spec README §6.1).
 * Chooses the parser from Content-Type (JSON, any +json, XML, text/xml, any charset), sniffs
 * the first non-space byte when there is none, and treats an empty body as {}. */
#ifndef CONNECTD_BODY_H
#define CONNECTD_BODY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum body_status {
    BODY_OK,
    BODY_UNSUPPORTED_MEDIA_TYPE, /* -> 415 HttpMediaTypeNotSupportedException */
    BODY_MALFORMED,              /* -> 400 ValidationException "Malformed request body" */
};

struct body {
    json_t *value; /* owned by the caller on BODY_OK (json_decref) */
    bool xml;      /* the body was XML (drives §7.1 rule 1 and array leniency) */
};

/* Whether body_parse would read this body as XML (by Content-Type, or by sniffing without
 * one): JSON-only endpoints answer such bodies 415 before parsing them. */
bool body_is_xml(const char *content_type, size_t ct_len, const char *data, size_t len);

/* content_type may be NULL (header absent). */
enum body_status body_parse(const char *content_type, size_t ct_len, const char *data, size_t len,
                            struct body *out);

#endif
