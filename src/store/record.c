/* record.c — rows to records and records to parameters (see record.h). */
#include "store/record.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "codec/record.h"
#include "store/driver.h"
#include "util/pool.h"

const char *db_pool_text(const struct db_rows *r, int col, h2o_mem_pool_t *pool)
{
    const char *s = db_text(r, col);
    return s ? pool_strndup(pool, s, db_text_len(r, col)) : NULL;
}

/* The array text db_array_text writes, ["a","b"], read without a JSON parser when no item
 * needs an escape (e-mail addresses, phone numbers and product codes never do); false when the
 * text is anything else. */
static bool read_plain_array(const char *s, size_t len, struct str_array *out, h2o_mem_pool_t *pool)
{
    if (len < 2 || s[0] != '[' || s[len - 1] != ']' || memchr(s, '\\', len))
        return false;
    size_t cap = 1;
    for (size_t i = 0; i < len; i++)
        cap += s[i] == ',';
    out->items = pool_alloc(pool, cap * sizeof(char *));
    out->n = 0;
    size_t i = 1;
    while (i < len - 1) {
        if (s[i] != '"')
            return false;
        const char *end = memchr(s + i + 1, '"', len - i - 1);
        if (end == NULL || out->n == cap)
            return false;
        out->items[out->n++] = pool_strndup(pool, s + i + 1, (size_t)(end - s - i - 1));
        i = (size_t)(end - s) + 1;
        if (i < len - 1 && s[i++] != ',')
            return false;
    }
    return true;
}

bool db_read_array(const struct db_rows *r, int col, struct str_array *out, h2o_mem_pool_t *pool)
{
    *out = (struct str_array){0, NULL};
    const char *s = db_text(r, col);
    if (s == NULL)
        return true;
    size_t len = db_text_len(r, col);
    if (read_plain_array(s, len, out, pool))
        return true;
    *out = (struct str_array){0, NULL};
    json_t *v = json_loadb(s, len, 0, NULL);
    bool ok = json_is_array(v);
    if (ok) {
        size_t n = json_array_size(v);
        out->items = pool_alloc(pool, (n ? n : 1) * sizeof(char *));
        for (size_t i = 0; ok && i < n; i++) {
            json_t *item = json_array_get(v, i);
            ok = json_is_string(item);
            if (ok)
                out->items[out->n++] = pool_strndup(pool, json_string_value(item), json_string_length(item));
        }
    }
    json_decref(v);
    return ok;
}

const char *db_array_text(const struct str_array *a, h2o_mem_pool_t *pool)
{
    if (a->items == NULL || a->n == 0)
        return NULL;
    json_t *arr = json_string_array(a);
    char *text = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    const char *copy = pool_strdup(pool, text ? text : "[]");
    free(text);
    return copy;
}

bool db_read_record(struct db *db, const struct db_rows *r, int col, const struct field *fields, size_t n, void *rec,
                    h2o_mem_pool_t *pool)
{
    for (size_t i = 0; i < n; i++, col++) {
        const struct field *f = &fields[i];
        void *p = (char *)rec + f->offset;
        switch (f->type) {
        case FIELD_STRING: /* NULL text is NULL */
            *(const char **)p = db_pool_text(r, col, pool);
            break;
        case FIELD_INT:
        case FIELD_MONEY:
        case FIELD_TIMESTAMP:
            *(struct opt_int *)p = db_is_null(r, col) ? (struct opt_int){false, 0} : (struct opt_int){true, db_int(r, col)};
            break;
        case FIELD_NUMBER:
            *(struct opt_num *)p = db_is_null(r, col) ? (struct opt_num){false, 0} : (struct opt_num){true, db_real(r, col)};
            break;
        case FIELD_BOOL:
            *(struct opt_bool *)p = db_is_null(r, col) ? (struct opt_bool){false, false}
                                                       : (struct opt_bool){true, db_int(r, col) != 0};
            break;
        case FIELD_STRING_ARRAY:
            if (!db_read_array(r, col, p, pool)) {
                db_fail(db, f->name, DB_ERROR, "a stored list is not a JSON array of strings");
                return false;
            }
            break;
        case FIELD_VALUE:
            *(const json_t **)p = NULL; /* trees are not stored through field tables */
            break;
        }
    }
    return true;
}

void db_bind_record(struct db_param *p, const struct field *fields, size_t n, const void *rec,
                    h2o_mem_pool_t *pool)
{
    for (size_t i = 0; i < n; i++) {
        const struct field *f = &fields[i];
        const void *v = (const char *)rec + f->offset;
        const struct opt_int *oi = v;
        const struct opt_num *on = v;
        const struct opt_bool *ob = v;
        switch (f->type) {
        case FIELD_STRING: p[i] = P_TEXT_OR_NULL(*(const char *const *)v); break;
        case FIELD_INT:
        case FIELD_MONEY:
        case FIELD_TIMESTAMP: p[i] = oi->set ? P_INT(oi->v) : P_NULL; break;
        case FIELD_NUMBER: p[i] = on->set ? P_REAL(on->v) : P_NULL; break;
        case FIELD_BOOL: p[i] = ob->set ? P_INT(ob->v ? 1 : 0) : P_NULL; break;
        case FIELD_STRING_ARRAY: p[i] = P_TEXT_OR_NULL(db_array_text(v, pool)); break;
        case FIELD_VALUE: p[i] = P_NULL; break;
        }
    }
}
