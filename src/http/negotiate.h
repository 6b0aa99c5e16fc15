/* negotiate.h — choosing JSON or XML for a response (spec README §7.1). Pure function of the
 * Accept header, whether the request body was XML, whether the endpoint is a legacy
 * XML-default one, and the server's --default-format. Never fails: JSON when in doubt. */
#ifndef CONNECTD_NEGOTIATE_H
#define CONNECTD_NEGOTIATE_H

#include <stdbool.h>
#include <stddef.h>

enum format {
    FORMAT_JSON,
    FORMAT_XML,
};

enum default_format {
    DEFAULT_LEGACY, /* rule 1 of §7.1: XML for XML bodies and legacy endpoints, else JSON */
    DEFAULT_JSON,
    DEFAULT_XML,
};

struct negotiation {
    enum format format;
    bool text_xml; /* answer with Content-Type text/xml (the client asked for text/xml explicitly) */
};

/* accept may be NULL (no header). */
struct negotiation negotiate(const char *accept, size_t accept_len, bool body_xml, bool legacy_xml_endpoint,
                             enum default_format def);

/* Parses "json", "xml", "legacy"; false for anything else. */
bool default_format_parse(const char *s, enum default_format *out);

#endif
