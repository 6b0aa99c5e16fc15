/* record.h — moving records between rows and structs through their field tables
 * (model/): a statement selects or binds one column per field, in table order, so the
 * store code names each record's columns once (the *_COLUMNS macros) and never copies values
 * by hand. String arrays are stored as JSON array text; booleans as 0/1. */
#ifndef CONNECTD_STORE_RECORD_H
#define CONNECTD_STORE_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#include <h2o/memory.h>

#include "codec/validate.h"
#include "store/db.h"

/* Reads columns col .. col+n-1 of the current row into rec (text copied into pool). False,
 * with the failure logged, when a stored array is not the JSON text this file writes. */
bool db_read_record(struct db *db, const struct db_rows *r, int col, const struct field *fields, size_t n, void *rec,
                    h2o_mem_pool_t *pool);
/* One parameter per field into p[0 .. n-1]; absent values are NULL. Array text lives in pool. */
void db_bind_record(struct db_param *p, const struct field *fields, size_t n, const void *rec,
                    h2o_mem_pool_t *pool);
/* A string array as the JSON text db_bind_record writes (in pool), or NULL when absent or
 * empty (an empty list is no value, README §7.3). */
const char *db_array_text(const struct str_array *a, h2o_mem_pool_t *pool);
/* Column col holding array text into *out (absent for NULL); false when malformed. */
bool db_read_array(const struct db_rows *r, int col, struct str_array *out, h2o_mem_pool_t *pool);
/* Column col as a pool string, or NULL. */
const char *db_pool_text(const struct db_rows *r, int col, h2o_mem_pool_t *pool);

#endif
