/* json.h — JSON in and out over jansson (spec README §6.1, §7.3).
 * In: a body is parsed only after a cheap scan proves its nesting depth is within the limit
 * (jansson's own limit is far higher than we allow). Out: stable field order, money in its
 * shortest form. */
#ifndef CONNECTD_JSON_H
#define CONNECTD_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define JSON_MAX_DEPTH 32

/* Parses a JSON text of any type. NULL when malformed, not UTF-8, or nested deeper than
 * max_depth. */
json_t *json_parse_body(const char *data, size_t len, int max_depth);

/* Renders v compactly, keys in insertion order, appended to out. */
void json_render(struct buf *out, const json_t *v);

/* A money amount in cents as the shortest JSON number: 29500 -> 295, 8454 -> 84.54,
 * 8450 -> 84.5. */
json_t *json_money(int64_t cents);
/* An instant as epoch milliseconds truncated to the second (spec README §8). */
json_t *json_instant(int64_t ms);

/* Installs connectd's allocator for jansson (json_alloc.c), before the threads start. Its
 * blocks are malloc's own, so text from json_dumps is still freed with free. */
void json_alloc_init(void);

#endif
