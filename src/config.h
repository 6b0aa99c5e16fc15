/* config.h — the server's settings and where they come from.
 * Every setting has one name used three ways: a flag (--read-timeout 5), an environment
 * variable (CONNECTD_READ_TIMEOUT=5) and a config-file line (read-timeout = 5). Precedence:
 * built-in default < config file < environment < flag. One table (config.c) drives all three
 * and the --help text, so they cannot drift apart. */
#ifndef CONNECTD_CONFIG_H
#define CONNECTD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/negotiate.h"

#define CONFIG_DEFAULT_DB "sqlite:var/connectd.db"
#define CONFIG_MAX_BODY (1024 * 1024)

struct config {
    char listen_host[256];
    uint16_t listen_port;
    char db_url[1024];
    int workers; /* 0 = one per core */
    enum default_format default_format;
    bool demo;
    bool sandbox;
    char access_log[1024]; /* "-" (stdout), "off", or a file path */
    char timezone[64];
    int read_timeout_s;     /* slow clients are dropped after this long without progress */
    int shutdown_timeout_s; /* SIGTERM: how long in-flight connections may take to finish */
    int auth_fail_rate; /* failed authentications per source address per second (burst 2x); 0 = off */
    char log_level[16];
    char config_file[1024];
    /* Login service (identity.md §4.1): the per-address limit of the browser pages, and where
     * the one-time codes go (login/messenger.c). Empty URL: that channel is not delivered. */
    int gui_rate;             /* requests per source address per second (burst 2.5x); 0 = off */
    char smtp_url[1024];      /* smtp://host[:port] (STARTTLS required off loopback) or smtps:// */
    char smtp_from[256];      /* envelope and From: address */
    char smtp_user[256];
    char smtp_password[256];  /* a secret: never logged or shown */
    char sms_url[1024];       /* the gateway: https://..., or http:// on loopback with --sandbox */
    char sms_header[1024];    /* one "Name: value" header sent to the gateway (a secret too) */
    int message_retry_ms[4];  /* waits before attempts 2..5 */
};

/* Which settings a command accepts (a bit per group). */
#define CFG_SERVE 0x1 /* listen, workers, formats, logs, timeouts, demo, sandbox */
#define CFG_DB 0x2    /* db, config, log-level */

struct config_option {
    const char *name; /* flag without "--", config-file key */
    const char *arg;  /* argument placeholder for --help, NULL for a boolean flag */
    unsigned groups;
    const char *help;
};

extern const struct config_option CONFIG_OPTIONS[];

void config_defaults(struct config *c);
/* Sets one setting by name from text. False with a message naming the setting and the rule. */
bool config_set(struct config *c, const char *name, const char *value, char *err, size_t errlen);
/* Reads "name = value" lines ('#' comments, blank lines ignored). */
bool config_load_file(struct config *c, const char *path, char *err, size_t errlen);
/* Applies every CONNECTD_<NAME> variable that is set. */
bool config_load_env(struct config *c, unsigned groups, char *err, size_t errlen);
/* The option named name if it belongs to one of groups, else NULL. */
const struct config_option *config_option_find(const char *name, unsigned groups);
/* Worker count after resolving 0 to the number of cores. */
int config_workers(const struct config *c);

#endif
