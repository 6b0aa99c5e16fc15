/* xml.h — XML in and out (spec README §6.2 and §7.2).
 * Out: the reply value tree (jansson) rendered with the endpoint's root name, the list-wrapper
 * rule and the singular rule for item names; text escaped.
 * In: a request body parsed with libxml2 with no DTD loading, no entity expansion and no
 * network (XXE and billion-laughs safe), into the same kind of value tree JSON gives. */
#ifndef CONNECTD_XML_H
#define CONNECTD_XML_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

/* Appends the XML document for v (declaration included) to out. root is the endpoint's XML
 * root name (used unless v is a one-member object whose member is an array, see §7.2). */
void xml_render(struct buf *out, const json_t *v, const char *root);

/* The item element name for a plural name (§7.2 singular rule): "addresses" -> "address",
 * "categories" -> "category", "clientInvoiceInfoList" -> "clientInvoiceInfo",
 * "permission" -> "item". out needs strlen(plural) + 5 bytes. */
void xml_singular(const char *plural, char *out, size_t cap);

/* Parses an XML body. The root element's name is ignored; the result is an object of the
 * root's children. An element with child elements becomes an object (child name -> value;
 * a name repeated becomes an array of the values in order); an element with only text
 * becomes a string (untrimmed); an empty element becomes "". Attributes are ignored.
 * Returns NULL on malformed XML, a DTD, or nesting deeper than max_depth. */
json_t *xml_parse(const char *data, size_t len, int max_depth);

#endif
