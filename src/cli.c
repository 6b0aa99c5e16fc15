/* cli.c — connectd's commands and their flags.
 * Settings shared with the config file and environment go through config.c (one table);
 * command-only flags (client add's --id, --grants ...) are declared per command here. Exit
 * codes: 0 success, 1 runtime failure (database, socket, unknown client), 2 usage error. */
#include "cli.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "codec/date.h"
#include "config.h"
#include "events/dispatcher.h"
#include "http/server.h"
#include "jobs.h"
#include "login/gui.h"
#include "login/messenger.h"
#include "oauth/oauth.h"
#include "routes.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/crypto.h"
#include "util/http_post.h"
#include "util/log.h"

struct command {
    const char *name;
    const char *summary;
    unsigned groups; /* which config settings apply */
    const struct cmd_flag *flags;
    int (*run)(struct config *cfg, struct cmd_args *args);
};

/* ---- usage ----------------------------------------------------------------------------- */

static void print_option(const char *name, const char *arg, const char *help)
{
    char left[64];
    snprintf(left, sizeof left, "--%s%s%s", name, arg ? " " : "", arg ? arg : "");
    if (strlen(left) > 28) /* a long flag gets its own line, the text aligned below */
        printf("  %s\n  %-28s %s\n", left, "", help);
    else
        printf("  %-28s %s\n", left, help);
}

static void print_command_help(const char *prog, const struct command *c)
{
    printf("usage: %s %s [options]\n\n%s\n\noptions:\n", prog, c->name, c->summary);
    for (const struct cmd_flag *f = c->flags; f && f->name; f++)
        print_option(f->name, f->arg, f->help);
    for (const struct config_option *o = CONFIG_OPTIONS; o->name; o++)
        if (o->groups & c->groups)
            print_option(o->name, o->arg, o->help);
    print_option("help", NULL, "show this help");
    printf("\nEvery setting can also come from the environment (CONNECTD_<NAME>, e.g. CONNECTD_DB)\n"
           "or a config file (--config FILE, lines of 'name = value'). Flags win over the\n"
           "environment, which wins over the file.\n");
}

/* ---- argument parsing ------------------------------------------------------------------ */

static int flag_index(const struct cmd_flag *flags, const char *name)
{
    for (int i = 0; flags && flags[i].name; i++)
        if (!strcmp(flags[i].name, name))
            return i;
    return -1;
}

/* Splits "--name=value" / "--name value" / "--bool". Returns the number of argv items used,
 * 0 on error (message printed). */
static int take_flag(int argc, char **argv, int i, bool wants_arg, const char **name, char namebuf[64],
                     const char **value)
{
    const char *a = argv[i] + 2;
    const char *eq = strchr(a, '=');
    if (eq) {
        snprintf(namebuf, 64, "%.*s", (int)(eq - a), a);
        *name = namebuf;
        *value = eq + 1;
        return 1;
    }
    *name = a;
    if (!wants_arg) {
        *value = "true";
        return 1;
    }
    if (i + 1 >= argc) {
        fprintf(stderr, "connectd: --%s needs a value\n", a);
        return 0;
    }
    *value = argv[i + 1];
    return 2;
}

/* Pass 1 finds --config so the file can be applied before environment and flags. */
static const char *find_config_flag(int argc, char **argv)
{
    const char *path = getenv("CONNECTD_CONFIG");
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            path = argv[i + 1];
        else if (!strncmp(argv[i], "--config=", 9))
            path = argv[i] + 9;
    }
    return path;
}

static int parse_args(const char *prog, const struct command *c, int argc, char **argv, struct config *cfg,
                      struct cmd_args *args)
{
    char err[1024];
    config_defaults(cfg);
    memset(args, 0, sizeof *args);
    const char *file = find_config_flag(argc, argv);
    if (file && !config_load_file(cfg, file, err, sizeof err)) {
        fprintf(stderr, "connectd: %s\n", err);
        return EXIT_USAGE;
    }
    if (!config_load_env(cfg, c->groups, err, sizeof err)) {
        fprintf(stderr, "connectd: %s\n", err);
        return EXIT_USAGE;
    }
    for (int i = 0; i < argc;) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            print_command_help(prog, c);
            return -1;
        }
        int file = flag_index(c->flags, "file");
        if (strncmp(argv[i], "--", 2) != 0 && file >= 0 && args->counts[file] == 0) {
            args->values[file][args->counts[file]++] = argv[i++]; /* `import customers FILE` */
            continue;
        }
        if (strncmp(argv[i], "--", 2) != 0) {
            /* A command whose first flag is --id takes its value bare too: `events replay ID`. */
            if (c->flags && c->flags[0].name && !strcmp(c->flags[0].name, "id") && args->counts[0] == 0) {
                args->values[0][args->counts[0]++] = argv[i++];
                continue;
            }
            fprintf(stderr, "connectd %s: unexpected argument '%s' (see --help)\n", c->name, argv[i]);
            return EXIT_USAGE;
        }
        char namebuf[64];
        const char *bare = argv[i] + 2, *name, *value;
        size_t blen = strcspn(bare, "=");
        snprintf(namebuf, sizeof namebuf, "%.*s", (int)blen, bare);
        int fi = flag_index(c->flags, namebuf);
        const struct config_option *o = fi < 0 ? config_option_find(namebuf, c->groups) : NULL;
        if (fi < 0 && o == NULL) {
            fprintf(stderr, "connectd %s: unknown option --%s (see --help)\n", c->name, namebuf);
            return EXIT_USAGE;
        }
        bool wants_arg = fi >= 0 ? c->flags[fi].arg != NULL : o->arg != NULL;
        int used = take_flag(argc, argv, i, wants_arg, &name, namebuf, &value);
        if (used == 0)
            return EXIT_USAGE;
        i += used;
        if (fi >= 0) {
            if (args->counts[fi] > 0 && !c->flags[fi].repeat) {
                fprintf(stderr, "connectd %s: --%s given twice\n", c->name, c->flags[fi].name);
                return EXIT_USAGE;
            }
            if (args->counts[fi] == MAX_VALUES) {
                fprintf(stderr, "connectd %s: too many --%s\n", c->name, c->flags[fi].name);
                return EXIT_USAGE;
            }
            args->values[fi][args->counts[fi]++] = value;
        } else if (!config_set(cfg, o->name, value, err, sizeof err)) {
            fprintf(stderr, "connectd: %s\n", err);
            return EXIT_USAGE;
        }
    }
    if (!strcmp(cfg->log_level, "debug"))
        log_set_level(LOG_DEBUG);
    else if (!strcmp(cfg->log_level, "warn"))
        log_set_level(LOG_WARN);
    else if (!strcmp(cfg->log_level, "error"))
        log_set_level(LOG_ERROR);
    return 0;
}

const char *cli_arg1(const struct cmd_args *a, int i)
{
    return a->counts[i] ? a->values[i][0] : NULL;
}

/* ---- database helpers ------------------------------------------------------------------ */

/* For sqlite:PATH, creates PATH's directory (like mkdir -p) so a fresh checkout just works. */
static void make_sqlite_dir(const char *url)
{
    if (strncmp(url, "sqlite:", 7) || !strcmp(url + 7, ":memory:"))
        return;
    char path[1024];
    snprintf(path, sizeof path, "%s", url + 7);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        mkdir(path, 0750);
        *p = '/';
    }
}

struct db *cli_open_db(const struct config *cfg)
{
    char err[512];
    make_sqlite_dir(cfg->db_url);
    struct db *db = db_open(cfg->db_url, err, sizeof err);
    if (db == NULL) {
        fprintf(stderr, "connectd: cannot open database: %s\n", err);
        return NULL;
    }
    if (!store_migrate(db, err, sizeof err)) {
        fprintf(stderr, "connectd: migration failed: %s\n", err);
        db_close(db);
        return NULL;
    }
    return db;
}

/* ---- serve ----------------------------------------------------------------------------- */

static void print_demo_banner(const struct config *cfg, const char *secret)
{
    printf("\nDemo data loaded. A client allowed client_credentials (and extid_code, refresh_token):\n"
           "  client_id:     %s\n"
           "  client_secret: %s\n"
           "(shown once; only its hash is stored)\n\n"
           "Get a token:\n"
           "  curl -s -u '%s:%s' -d grant_type=client_credentials http://%s:%u/user/oauth/token\n\n",
           DEMO_CLIENT_ID, secret, DEMO_CLIENT_ID, secret, cfg->listen_host, cfg->listen_port);
    fflush(stdout);
}

static bool load_demo(struct db *db, const struct config *cfg)
{
    char secret[128];
    bool loaded = false;
    if (store_demo_load(db, &loaded, secret, sizeof secret) != DB_OK) {
        fprintf(stderr, "connectd: loading demo data failed\n");
        return false;
    }
    if (loaded)
        print_demo_banner(cfg, secret);
    else
        printf("Demo data already present (client %s; its secret was printed when it was created).\n",
               DEMO_CLIENT_ID);
    fflush(stdout);
    return true;
}

static int cmd_serve(struct config *cfg, struct cmd_args *args)
{
    (void)args;
    if (!date_set_timezone(cfg->timezone)) {
        fprintf(stderr, "connectd: timezone: unknown zone '%s'\n", cfg->timezone);
        return EXIT_USAGE;
    }
    struct db *db = cli_open_db(cfg);
    if (db == NULL)
        return 1;
    bool ok = !cfg->demo || load_demo(db, cfg);
    db_close(db);
    if (!ok)
        return 1;
    char err[512];
    if (!messenger_check_config(cfg, err, sizeof err)) {
        fprintf(stderr, "connectd: %s\n", err);
        return EXIT_USAGE;
    }
    struct router *router = routes_build(cfg);
    if (router == NULL)
        return 1;
    oauth_init(cfg);
    gui_init(cfg);
    /* The background threads (code messages, webhooks, due address moves) run beside the
     * workers; each stops safely whether or not it started. */
    int rc = 1;
    struct jobs *jobs = NULL;
    if (messenger_start(cfg) && dispatcher_start(cfg) && (jobs = jobs_start(cfg)) != NULL)
        rc = server_run(cfg, router);
    jobs_stop(jobs);
    dispatcher_stop();
    messenger_stop();
    gui_shutdown();
    http_global_cleanup();
    oauth_shutdown();
    router_free(router);
    return rc;
}

/* ---- migrate --------------------------------------------------------------------------- */

static int cmd_migrate(struct config *cfg, struct cmd_args *args)
{
    (void)args;
    struct db *db = cli_open_db(cfg);
    if (db == NULL)
        return 1;
    printf("database at schema version %d\n", store_schema_version(db));
    db_close(db);
    return 0;
}

/* ---- routes ---------------------------------------------------------------------------- */

static const char *const MODE_NAMES[] = {"none", "client", "user"};

/* Every route the server registers with these settings (docs/openapi.yaml is checked against
 * it): "METHOD PATH MODE" per line. */
static int cmd_routes(struct config *cfg, struct cmd_args *args)
{
    (void)args;
    struct router *router = routes_build(cfg);
    if (router == NULL)
        return 1;
    for (size_t i = 0; i < router_count(router); i++) {
        const struct route *r = router_route(router, i);
        printf("%s %s %s\n", http_method_name(r->method), r->path, MODE_NAMES[r->mode]);
    }
    router_free(router);
    return 0;
}

static int cmd_version(struct config *cfg, struct cmd_args *a)
{
    (void)cfg;
    (void)a;
    printf("connectd %s\n", CONNECTD_VERSION);
    return 0;
}

/* ---- dispatch -------------------------------------------------------------------------- */

static const struct command COMMANDS[] = {
    {"serve", "Run the server (migrates the database first).", CFG_SERVE | CFG_DB, NULL, cmd_serve},
    {"migrate", "Apply pending database migrations and exit.", CFG_DB, NULL, cmd_migrate},
    {"client add", "Register an OAuth client; prints its secret once.", CFG_DB, CLIENT_ADD_FLAGS, cmd_client_add},
    {"client list", "List the registered clients.", CFG_DB, NULL, cmd_client_list},
    {"client show", "Show a client's settings (never its secret).", CFG_DB, CLIENT_SHOW_FLAGS, cmd_client_show},
    {"client update", "Change some of a client's settings.", CFG_DB, CLIENT_UPDATE_FLAGS, cmd_client_update},
    {"client rotate-secret", "Replace a client's secret; prints the new one once.", CFG_DB, CLIENT_ROTATE_FLAGS,
     cmd_client_rotate_secret},
    {"client remove", "Remove a client and revoke its tokens.", CFG_DB, CLIENT_REMOVE_FLAGS, cmd_client_remove},
    {"webhook add", "Subscribe a partner's URL to events; prints its signing secret once.", CFG_DB | CFG_WEBHOOK,
     WEBHOOK_ADD_FLAGS, cmd_webhook_add},
    {"webhook list", "List the webhook subscriptions (never their secrets).", CFG_DB, WEBHOOK_LIST_FLAGS,
     cmd_webhook_list},
    {"webhook remove", "Remove a webhook subscription.", CFG_DB, WEBHOOK_REMOVE_FLAGS, cmd_webhook_remove},
    {"events list", "List events and their deliveries, newest first.", CFG_DB, EVENTS_LIST_FLAGS, cmd_events_list},
    {"events replay", "Deliver an event again, with the same id.", CFG_DB, EVENTS_REPLAY_FLAGS, cmd_events_replay},
    {"import customers", "Load customers from JSON lines (FILE or - for stdin).", CFG_DB, IMPORT_FLAGS,
     cmd_import_customers},
    {"import subscriptions", "Load subscriptions from JSON lines.", CFG_DB, IMPORT_FLAGS, cmd_import_subscriptions},
    {"import products", "Load products from JSON lines.", CFG_DB, IMPORT_FLAGS, cmd_import_products},
    {"import categories", "Load category descriptions from JSON lines.", CFG_DB, IMPORT_FLAGS,
     cmd_import_categories},
    {"routes", "List the routes the server registers (METHOD PATH MODE).", CFG_SERVE, NULL, cmd_routes},
    {"version", "Print the version.", 0, NULL, cmd_version},
};
#define NCOMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

static void print_usage(const char *prog, FILE *out)
{
    fprintf(out, "connectd — a self-hostable, wire-compatible Connect/ConnectID server\n\n"
                 "usage: %s <command> [options]\n\ncommands:\n", prog);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-22s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(out, "\nRun '%s <command> --help' for a command's options.\n", prog);
}

/* Matches "serve" or the two words "client add". Returns argv items used. */
static int match_command(int argc, char **argv, const struct command **out)
{
    for (size_t i = 0; i < NCOMMANDS; i++) {
        const char *name = COMMANDS[i].name, *sp = strchr(name, ' ');
        if (sp == NULL && !strcmp(argv[0], name)) {
            *out = &COMMANDS[i];
            return 1;
        }
        if (sp && argc >= 2 && !strncmp(argv[0], name, (size_t)(sp - name)) && argv[0][sp - name] == '\0' &&
            !strcmp(argv[1], sp + 1)) {
            *out = &COMMANDS[i];
            return 2;
        }
    }
    return 0;
}

int cli_main(int argc, char **argv)
{
    const char *prog = "connectd";
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        print_usage(prog, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    if (!strcmp(argv[1], "--version"))
        return cmd_version(NULL, NULL);
    const struct command *c = NULL;
    int used = match_command(argc - 1, argv + 1, &c);
    if (used == 0) {
        if (!strcmp(argv[1], "import"))
            fprintf(stderr, "connectd import: expected customers, subscriptions, products or categories "
                            "(see 'connectd --help')\n");
        else if (!strcmp(argv[1], "client"))
            fprintf(stderr, "connectd client: expected add, list, show, update, rotate-secret or remove "
                            "(see 'connectd --help')\n");
        else if (!strcmp(argv[1], "webhook") || !strcmp(argv[1], "events"))
            fprintf(stderr, "connectd %s: expected %s (see 'connectd --help')\n", argv[1],
                    !strcmp(argv[1], "webhook") ? "add, list or remove" : "list or replay");
        else
            fprintf(stderr, "connectd: unknown command '%s' (see 'connectd --help')\n", argv[1]);
        return EXIT_USAGE;
    }
    struct config cfg;
    struct cmd_args args;
    int rc = parse_args(prog, c, argc - 1 - used, argv + 1 + used, &cfg, &args);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    return c->run(&cfg, &args);
}
