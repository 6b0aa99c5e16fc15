/* import.c — streaming JSON lines into the store (see import.h): reading the file line by
 * line, a savepoint per line around store_import_line (which validates the line with the
 * model's field tables and writes it), a commit per batch, the report of refused lines and the
 * progress line. */
#include "import.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/catalogue.h"

static const char *const KIND_NAMES[] = {"customers", "subscriptions", "products", "categories", NULL};

bool import_kind_parse(const char *name, enum import_kind *out)
{
    for (int i = 0; KIND_NAMES[i]; i++)
        if (!strcmp(name, KIND_NAMES[i])) {
            *out = (enum import_kind)i;
            return true;
        }
    return false;
}

const char *import_kind_name(enum import_kind kind)
{
    return KIND_NAMES[kind];
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return false;
    return true;
}

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The state of a running import. */
struct stream {
    struct db *db;
    const struct import_options *o;
    struct import_stats *st;
    h2o_mem_pool_t pool;
    int in_batch;
    double started, last_progress;
};

static void progress(struct stream *s, bool final)
{
    double now = now_seconds();
    if (!s->o->progress || (!final && now - s->last_progress < 0.25))
        return;
    s->last_progress = now;
    double rate = now > s->started ? (double)s->st->lines / (now - s->started) : 0;
    fprintf(stderr, "\rimport %s: %lld lines, %lld imported, %lld rejected, %.0f lines/s%s",
            import_kind_name(s->o->kind), (long long)s->st->lines, (long long)s->st->imported,
            (long long)s->st->rejected, rate, final ? "\n" : "");
    fflush(stderr);
}

static bool batch_end(struct stream *s)
{
    if (!db_in_tx(s->db))
        return true;
    enum db_status st = s->o->kind == IMPORT_CUSTOMERS ? store_import_finish_batch(s->db) : DB_OK;
    st = db_finish(s->db, st);
    s->in_batch = 0;
    if (st != DB_OK)
        fprintf(stderr, "connectd import: committing a batch failed: %s\n", db_errmsg(s->db));
    return st == DB_OK;
}

/* One non-blank line, in its own savepoint. False only on a failure the import cannot go past. */
static bool stream_line(struct stream *s, int64_t number, const char *line, size_t len)
{
    char err[512] = "";
    bool db_failed = false;
    if (!db_in_tx(s->db) && db_begin(s->db) != DB_OK)
        return false;
    if (db_unit_begin(s->db) != DB_OK)
        return false;
    bool ok = len <= IMPORT_LINE_MAX;
    if (ok)
        ok = store_import_line(s->db, s->o->kind, s->o->partner, line, len, &s->pool, err, sizeof err, &db_failed);
    else
        snprintf(err, sizeof err, "longer than 1 MiB");
    if ((ok ? db_unit_commit(s->db) : db_unit_rollback(s->db)) != DB_OK)
        return false;
    h2o_mem_clear_pool(&s->pool);
    s->st->lines++;
    if (ok) {
        s->st->imported++;
    } else {
        s->st->rejected++;
        fprintf(s->o->rejected, "line %lld: %s\n", (long long)number, err);
    }
    if (++s->in_batch >= s->o->batch && !batch_end(s))
        return false;
    progress(s, false);
    return true;
}

bool import_stream(struct db *db, const struct import_options *o, FILE *in, struct import_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    struct stream s = {.db = db, .o = o, .st = stats, .started = now_seconds()};
    h2o_mem_init_pool(&s.pool);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int64_t number = 0;
    bool ok = true;
    while (ok && (n = getline(&line, &cap, in)) >= 0) {
        number++; /* blank lines are skipped but keep the file's numbering */
        if (!blank(line, (size_t)n))
            ok = stream_line(&s, number, line, (size_t)n);
    }
    ok = ok && batch_end(&s);
    if (!ok && db_in_tx(db))
        db_rollback(db);
    free(line);
    h2o_mem_clear_pool(&s.pool);
    stats->seconds = now_seconds() - s.started;
    progress(&s, true);
    return ok;
}
