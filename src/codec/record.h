/* record.h — the other direction of a field table (validate.h): rendering a record into the
 * reply's value tree. One table per model says, once, each field's wire name, type, limits and
 * where it lives in the record struct; the validator fills the struct from a request body, the
 * store fills it from a row (store/record.h), and record_render writes it back out, in table
 * order, leaving out absent values (README §7.3) and FIELD_WRITE_ONLY fields. */
#ifndef CONNECTD_RECORD_H
#define CONNECTD_RECORD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "codec/validate.h"

/* Sets one member of obj per present field of rec: strings, integers, epoch-ms instants
 * (truncated to the second), money (shortest form), booleans, string arrays (an empty array
 * is rendered as []), FIELD_VALUE trees (copied). */
void record_render(json_t *obj, const struct field *fields, size_t n, const void *rec);

/* A string array as a JSON array (an empty one for no items). */
json_t *json_string_array(const struct str_array *a);

/* Whether field f holds a value in rec (a string array counts when it was given, even empty). */
bool record_has(const struct field *f, const void *rec);
/* Whether field f is equal in a and b (absent equals absent). */
bool record_field_equal(const struct field *f, const void *a, const void *b);
/* Copies field f from src to dst (pointers are shared, not duplicated). */
void record_field_copy(const struct field *f, void *dst, const void *src);
/* Makes field f absent in rec. */
void record_field_clear(const struct field *f, void *rec);

/* The field named name in the table, or NULL. */
const struct field *record_field(const struct field *fields, size_t n, const char *name);

#endif
