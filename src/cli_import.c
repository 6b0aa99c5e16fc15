/* cli_import.c — `connectd import customers|subscriptions|products|categories FILE`: an
 * operator loads an existing customer base or catalogue (JSON lines, one record per line, the
 * fields of the API's models; README "Importing data"). Refused lines are listed on stderr
 * with their line numbers and the rest goes in; a progress line is shown when stderr is a
 * terminal. Exit 0 when every line was imported, 1 when some were refused or the database
 * failed, 2 on a usage error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "import.h"
#include "store/store.h"

enum { F_FILE, F_PARTNER, F_BATCH };

const struct cmd_flag IMPORT_FLAGS[] = {
    {"file", "FILE", false, "the JSON-lines file (also the first argument; - reads stdin)"},
    {"partner", "ID", false, "the partner the records belong to (required; created when missing)"},
    {"batch", "N", false, "lines per transaction (default 1000)"},
    {NULL, NULL, false, NULL},
};

static bool options_or_usage(enum import_kind kind, struct cmd_args *a, struct import_options *o)
{
    const char *name = import_kind_name(kind), *batch = cli_arg1(a, F_BATCH);
    *o = (struct import_options){kind, cli_arg1(a, F_PARTNER), IMPORT_BATCH_DEFAULT, isatty(2) == 1, stderr};
    if (cli_arg1(a, F_FILE) == NULL || o->partner == NULL) {
        fprintf(stderr, "connectd import %s: FILE and --partner are required (see --help)\n", name);
        return false;
    }
    if (batch) {
        char *end;
        long n = strtol(batch, &end, 10);
        if (*end || n < 1 || n > 1000000) {
            fprintf(stderr, "connectd import %s: --batch: must be a number from 1 to 1000000\n", name);
            return false;
        }
        o->batch = (int)n;
    }
    return true;
}

static int run_import(enum import_kind kind, struct config *cfg, struct cmd_args *a)
{
    struct import_options o;
    if (!options_or_usage(kind, a, &o))
        return EXIT_USAGE;
    const char *path = cli_arg1(a, F_FILE);
    FILE *in = strcmp(path, "-") ? fopen(path, "r") : stdin;
    if (in == NULL) {
        fprintf(stderr, "connectd import %s: cannot open %s\n", import_kind_name(kind), path);
        return 1;
    }
    struct db *db = cli_open_db(cfg);
    bool ok = db != NULL && store_partner_ensure(db, o.partner) == DB_OK;
    struct import_stats st = {0};
    if (ok)
        ok = import_stream(db, &o, in, &st);
    if (in != stdin)
        fclose(in);
    db_close(db);
    printf("imported %lld %s from %lld lines (%lld refused) in %.1f s, %.0f lines/s\n", (long long)st.imported,
           import_kind_name(kind), (long long)st.lines, (long long)st.rejected, st.seconds,
           st.seconds > 0 ? (double)st.lines / st.seconds : 0.0);
    return ok && st.rejected == 0 ? 0 : 1;
}

int cmd_import_customers(struct config *cfg, struct cmd_args *a)
{
    return run_import(IMPORT_CUSTOMERS, cfg, a);
}

int cmd_import_subscriptions(struct config *cfg, struct cmd_args *a)
{
    return run_import(IMPORT_SUBSCRIPTIONS, cfg, a);
}

int cmd_import_products(struct config *cfg, struct cmd_args *a)
{
    return run_import(IMPORT_PRODUCTS, cfg, a);
}

int cmd_import_categories(struct config *cfg, struct cmd_args *a)
{
    return run_import(IMPORT_CATEGORIES, cfg, a);
}
