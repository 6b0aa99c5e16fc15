/* record.c — rendering and comparing records through their field tables (see record.h).
 * The table's offsets point at the same member types validate.c writes: const char * for
 * strings, struct opt_int for integers, money and instants, struct opt_num, struct opt_bool,
 * struct str_array and const json_t *. */
#include "codec/record.h"

#include <string.h>

#include "codec/json.h"

#define AT(rec, f) ((const char *)(rec) + (f)->offset)

bool record_has(const struct field *f, const void *rec)
{
    const void *p = AT(rec, f);
    switch (f->type) {
    case FIELD_STRING: return *(const char *const *)p != NULL;
    case FIELD_INT:
    case FIELD_MONEY:
    case FIELD_TIMESTAMP: return ((const struct opt_int *)p)->set;
    case FIELD_NUMBER: return ((const struct opt_num *)p)->set;
    case FIELD_BOOL: return ((const struct opt_bool *)p)->set;
    case FIELD_STRING_ARRAY: return ((const struct str_array *)p)->items != NULL;
    case FIELD_VALUE: return *(const json_t *const *)p != NULL;
    }
    return false;
}

json_t *json_string_array(const struct str_array *a)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < a->n; i++)
        json_array_append_new(arr, json_string(a->items[i]));
    return arr;
}

static json_t *field_value(const struct field *f, const void *rec)
{
    const void *p = AT(rec, f);
    switch (f->type) {
    case FIELD_STRING: return json_string(*(const char *const *)p);
    case FIELD_INT: return json_integer(((const struct opt_int *)p)->v);
    case FIELD_MONEY: return json_money(((const struct opt_int *)p)->v);
    case FIELD_TIMESTAMP: return json_instant(((const struct opt_int *)p)->v);
    case FIELD_NUMBER: return json_real(((const struct opt_num *)p)->v);
    case FIELD_BOOL: return json_boolean(((const struct opt_bool *)p)->v);
    case FIELD_STRING_ARRAY: return json_string_array(p);
    case FIELD_VALUE: return json_deep_copy(*(const json_t *const *)p);
    }
    return NULL;
}

void record_render(json_t *obj, const struct field *fields, size_t n, const void *rec)
{
    for (size_t i = 0; i < n; i++)
        if (!(fields[i].flags & FIELD_WRITE_ONLY) && record_has(&fields[i], rec))
            json_object_set_new_nocheck(obj, fields[i].name, field_value(&fields[i], rec)); /* names: ASCII literals */
}

static bool strings_equal(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

static bool arrays_equal(const struct str_array *a, const struct str_array *b)
{
    if ((a->items == NULL) != (b->items == NULL) || a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->items[i], b->items[i]))
            return false;
    return true;
}

bool record_field_equal(const struct field *f, const void *a, const void *b)
{
    bool ha = record_has(f, a), hb = record_has(f, b);
    if (!ha || !hb)
        return ha == hb;
    const void *pa = AT(a, f), *pb = AT(b, f);
    switch (f->type) {
    case FIELD_STRING: return strings_equal(*(const char *const *)pa, *(const char *const *)pb);
    case FIELD_INT:
    case FIELD_MONEY:
    case FIELD_TIMESTAMP: return ((const struct opt_int *)pa)->v == ((const struct opt_int *)pb)->v;
    case FIELD_NUMBER: return ((const struct opt_num *)pa)->v == ((const struct opt_num *)pb)->v;
    case FIELD_BOOL: return ((const struct opt_bool *)pa)->v == ((const struct opt_bool *)pb)->v;
    case FIELD_STRING_ARRAY: return arrays_equal(pa, pb);
    case FIELD_VALUE: return json_equal(*(json_t *const *)pa, *(json_t *const *)pb);
    }
    return false;
}

static size_t field_size(const struct field *f)
{
    switch (f->type) {
    case FIELD_STRING: return sizeof(const char *);
    case FIELD_INT:
    case FIELD_MONEY:
    case FIELD_TIMESTAMP: return sizeof(struct opt_int);
    case FIELD_NUMBER: return sizeof(struct opt_num);
    case FIELD_BOOL: return sizeof(struct opt_bool);
    case FIELD_STRING_ARRAY: return sizeof(struct str_array);
    case FIELD_VALUE: return sizeof(const json_t *);
    }
    return 0;
}

void record_field_copy(const struct field *f, void *dst, const void *src)
{
    memcpy((char *)dst + f->offset, AT(src, f), field_size(f));
}

void record_field_clear(const struct field *f, void *rec)
{
    memset((char *)rec + f->offset, 0, field_size(f));
}

const struct field *record_field(const struct field *fields, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(fields[i].name, name))
            return &fields[i];
    return NULL;
}
