/* cli.h — the command line: serve, migrate, client add|list|show|update|rotate-secret|remove,
 * webhook add|list|remove, events list|replay, import customers|subscriptions|products|categories,
 * routes, version. cli.c parses flags (its own, and the settings of config.c) and dispatches; the
 * client commands live in cli_client.c, the webhook and events commands in cli_events.c, the
 * import commands in cli_import.c, and they share the small vocabulary below. */
#ifndef CONNECTD_CLI_H
#define CONNECTD_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

#define EXIT_USAGE 2 /* exit codes: 0 success, 1 runtime failure, 2 usage error */

/* A command-only flag; values land in cmd_args. */
struct cmd_flag {
    const char *name;
    const char *arg;
    bool repeat;
    const char *help;
};

#define MAX_FLAGS 16 /* per command */
#define MAX_VALUES 16

struct cmd_args {
    const char *values[MAX_FLAGS][MAX_VALUES]; /* per flag index */
    size_t counts[MAX_FLAGS];
};

struct db;

int cli_main(int argc, char **argv);

/* The first value of flag i, or NULL. */
const char *cli_arg1(const struct cmd_args *a, int i);
/* Opens the configured database (creating an SQLite file's directory) and migrates it;
 * NULL after printing why. */
struct db *cli_open_db(const struct config *cfg);

/* cli_client.c */
extern const struct cmd_flag CLIENT_ADD_FLAGS[], CLIENT_UPDATE_FLAGS[], CLIENT_SHOW_FLAGS[], CLIENT_ROTATE_FLAGS[],
    CLIENT_REMOVE_FLAGS[];
int cmd_client_add(struct config *cfg, struct cmd_args *a);
int cmd_client_update(struct config *cfg, struct cmd_args *a);
int cmd_client_show(struct config *cfg, struct cmd_args *a);
int cmd_client_rotate_secret(struct config *cfg, struct cmd_args *a);
int cmd_client_list(struct config *cfg, struct cmd_args *a);
int cmd_client_remove(struct config *cfg, struct cmd_args *a);

/* cli_events.c */
extern const struct cmd_flag WEBHOOK_ADD_FLAGS[], WEBHOOK_LIST_FLAGS[], WEBHOOK_REMOVE_FLAGS[], EVENTS_LIST_FLAGS[],
    EVENTS_REPLAY_FLAGS[];
int cmd_webhook_add(struct config *cfg, struct cmd_args *a);
int cmd_webhook_list(struct config *cfg, struct cmd_args *a);
int cmd_webhook_remove(struct config *cfg, struct cmd_args *a);
int cmd_events_list(struct config *cfg, struct cmd_args *a);
int cmd_events_replay(struct config *cfg, struct cmd_args *a);

/* cli_import.c */
extern const struct cmd_flag IMPORT_FLAGS[];
int cmd_import_customers(struct config *cfg, struct cmd_args *a);
int cmd_import_subscriptions(struct config *cfg, struct cmd_args *a);
int cmd_import_products(struct config *cfg, struct cmd_args *a);
int cmd_import_categories(struct config *cfg, struct cmd_args *a);

#endif
