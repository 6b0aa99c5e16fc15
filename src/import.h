/* import.h — loading JSON lines into a partner's data (connectd import, the demo data): one
 * record per line, validated by the same field tables as the API (model/) and written by
 * store_import_line (store/catalogue.h); this file streams the lines. Streamed: memory does not grow with the file.
 * Lines are committed in batches; each line is all or nothing (a savepoint), and a refused
 * line is reported with its number while the others go on. */
#ifndef CONNECTD_IMPORT_H
#define CONNECTD_IMPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <h2o/memory.h>

#include "store/catalogue.h"
#include "store/db.h"

#define IMPORT_LINE_MAX (1024 * 1024) /* longer lines are refused, as request bodies are */
#define IMPORT_BATCH_DEFAULT 1000

/* "customers", "subscriptions", "products", "categories". */
bool import_kind_parse(const char *name, enum import_kind *out);
const char *import_kind_name(enum import_kind kind);

struct import_options {
    enum import_kind kind;
    const char *partner;
    int batch;       /* lines per transaction */
    bool progress;   /* a progress line on stderr, rewritten in place (for a terminal) */
    FILE *rejected;  /* where "line N: reason" goes */
};

struct import_stats {
    int64_t lines;    /* non-blank lines read */
    int64_t imported;
    int64_t rejected;
    double seconds;
};

/* Imports every line of in. False on a database failure (reported on stderr); the lines of
 * earlier batches stay imported, those of the failed batch do not. */
bool import_stream(struct db *db, const struct import_options *o, FILE *in, struct import_stats *stats);

#endif
