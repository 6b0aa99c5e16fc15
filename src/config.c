/* config.c — defaults, parsing and validation of settings (see config.h).
 * The same setter serves flags, environment and config file, so an invalid value gets the
 * same message wherever it came from. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const struct config_option CONFIG_OPTIONS[] = {
    {"listen", "HOST:PORT", CFG_SERVE, "address to listen on (default 127.0.0.1:8080)"},
    {"db", "URL", CFG_DB, "database: sqlite:PATH or postgresql://... (default " CONFIG_DEFAULT_DB ")"},
    {"workers", "N", CFG_SERVE, "worker threads, each with its own event loop and database connection (default: cores)"},
    {"default-format", "FMT", CFG_SERVE, "reply format without Accept: json, xml or legacy (default legacy)"},
    {"demo", NULL, CFG_SERVE, "load demo data (partner, companies, products, customers, client) into an empty database"},
    {"sandbox", NULL, CFG_SERVE, "developer sandbox: /sandbox/... diagnostics, the code mailbox /user/sandbox/messages, http to loopback gateways"},
    {"access-log", "PATH", CFG_SERVE, "access log: a file, - for stdout, off (default -)"},
    {"timezone", "ZONE", CFG_SERVE, "business time zone (default Europe/Oslo)"},
    {"read-timeout", "SECONDS", CFG_SERVE, "drop a client that sends nothing for this long (default 10)"},
    {"shutdown-timeout", "SECONDS", CFG_SERVE, "on SIGTERM, wait this long for open connections (default 5)"},
    {"auth-fail-rate", "N", CFG_SERVE,
     "failed authentications allowed per client address per second, burst twice that (default 10; 0 = no limit)"},
    {"gui-rate", "N", CFG_SERVE,
     "login pages: requests per client address per second, burst 2.5 times that (default 20; 0 = no limit)"},
    {"smtp-url", "URL", CFG_SERVE,
     "mail server for one-time codes: smtp://host:port (STARTTLS required except on loopback) or smtps://"},
    {"smtp-from", "ADDRESS", CFG_SERVE, "sender address of the code e-mails (required with --smtp-url)"},
    {"smtp-user", "NAME", CFG_SERVE, "user name for the mail server (optional)"},
    {"smtp-password", "SECRET", CFG_SERVE,
     "password for the mail server; prefer CONNECTD_SMTP_PASSWORD or the config file to a flag"},
    {"sms-url", "URL", CFG_SERVE,
     "SMS gateway: one-time codes are POSTed there as JSON {\"to\",\"message\"}; https (http only to loopback "
     "with --sandbox)"},
    {"sms-header", "'NAME: VALUE'", CFG_SERVE, "one header sent to the SMS gateway, e.g. 'Authorization: Bearer ...'"},
    {"message-retry-schedule", "LIST", CFG_SERVE,
     "seconds to wait before the 2nd..5th attempt to deliver a code, four numbers (default 5,15,30,60)"},
    {"log-level", "LEVEL", CFG_DB, "debug, info, warn or error (default info)"},
    {"config", "FILE", CFG_DB, "read settings from FILE (lines of name = value)"},
    {NULL, NULL, 0, NULL},
};

void config_defaults(struct config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->listen_host, sizeof c->listen_host, "127.0.0.1");
    c->listen_port = 8080;
    snprintf(c->db_url, sizeof c->db_url, "%s", CONFIG_DEFAULT_DB);
    c->default_format = DEFAULT_LEGACY;
    snprintf(c->access_log, sizeof c->access_log, "-");
    snprintf(c->timezone, sizeof c->timezone, "Europe/Oslo");
    c->read_timeout_s = 10;
    c->shutdown_timeout_s = 5;
    c->auth_fail_rate = 10;
    snprintf(c->log_level, sizeof c->log_level, "info");
    c->gui_rate = 20;
    static const int retry_s[4] = {5, 15, 30, 60};
    for (int i = 0; i < 4; i++)
        c->message_retry_ms[i] = retry_s[i] * 1000;
}

static bool set_text(char *dst, size_t cap, const char *name, const char *value, char *err, size_t errlen)
{
    if (strlen(value) >= cap) {
        snprintf(err, errlen, "%s: must not be longer than %zu characters", name, cap - 1);
        return false;
    }
    memcpy(dst, value, strlen(value) + 1);
    return true;
}

static bool parse_int(const char *name, const char *value, long min, long max, long *out, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || end == value || *end != '\0' || v < min || v > max) {
        snprintf(err, errlen, "%s: must be a whole number from %ld to %ld, got '%s'", name, min, max, value);
        return false;
    }
    *out = v;
    return true;
}

static bool parse_bool(const char *name, const char *value, bool *out, char *err, size_t errlen)
{
    if (!strcmp(value, "") || !strcasecmp(value, "true") || !strcmp(value, "1") || !strcasecmp(value, "yes")) {
        *out = true;
        return true;
    }
    if (!strcasecmp(value, "false") || !strcmp(value, "0") || !strcasecmp(value, "no")) {
        *out = false;
        return true;
    }
    snprintf(err, errlen, "%s: must be true or false, got '%s'", name, value);
    return false;
}

static bool parse_listen(struct config *c, const char *value, char *err, size_t errlen)
{
    const char *colon = strrchr(value, ':');
    long port;
    if (colon == NULL || colon == value) {
        snprintf(err, errlen, "listen: must be HOST:PORT (for example 127.0.0.1:8080), got '%s'", value);
        return false;
    }
    if (!parse_int("listen port", colon + 1, 1, 65535, &port, err, errlen))
        return false;
    size_t hl = (size_t)(colon - value);
    if (hl >= sizeof c->listen_host) {
        snprintf(err, errlen, "listen: host too long");
        return false;
    }
    memcpy(c->listen_host, value, hl);
    c->listen_host[hl] = '\0';
    c->listen_port = (uint16_t)port;
    return true;
}

/* "5,15,30,60": exactly four waits in whole seconds, each 0..3600. */
static bool parse_retry_schedule(struct config *c, const char *value, char *err, size_t errlen)
{
    const char *p = value;
    for (int i = 0; i < 4; i++) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (errno || end == p || v < 0 || v > 3600 || (i < 3 ? *end != ',' : *end != '\0')) {
            snprintf(err, errlen,
                     "message-retry-schedule: must be four whole numbers of seconds (0 to 3600) separated by "
                     "commas, such as 5,15,30,60; got '%s'",
                     value);
            return false;
        }
        c->message_retry_ms[i] = (int)v * 1000;
        p = end + 1;
    }
    return true;
}

/* A value that goes into a protocol line must not carry a line break. */
static bool set_line(char *dst, size_t cap, const char *name, const char *value, char *err, size_t errlen)
{
    if (strpbrk(value, "\r\n")) {
        snprintf(err, errlen, "%s: must not contain a line break", name);
        return false;
    }
    return set_text(dst, cap, name, value, err, errlen);
}

static bool parse_db(struct config *c, const char *value, char *err, size_t errlen)
{
    if (strncmp(value, "sqlite:", 7) && strncmp(value, "postgresql://", 13) && strncmp(value, "postgres://", 11)) {
        snprintf(err, errlen, "db: must start with sqlite: or postgresql://");
        return false;
    }
    if (!strncmp(value, "sqlite:", 7) && value[7] == '\0') {
        snprintf(err, errlen, "db: sqlite: needs a file path, e.g. sqlite:var/connectd.db");
        return false;
    }
    return set_text(c->db_url, sizeof c->db_url, "db", value, err, errlen);
}

bool config_set(struct config *c, const char *name, const char *value, char *err, size_t errlen)
{
    long n;
    if (!strcmp(name, "listen"))
        return parse_listen(c, value, err, errlen);
    if (!strcmp(name, "db"))
        return parse_db(c, value, err, errlen);
    if (!strcmp(name, "workers")) {
        if (!parse_int(name, value, 0, 256, &n, err, errlen))
            return false;
        c->workers = (int)n;
        return true;
    }
    if (!strcmp(name, "default-format")) {
        if (default_format_parse(value, &c->default_format))
            return true;
        snprintf(err, errlen, "default-format: must be one of json, xml, legacy, got '%s'", value);
        return false;
    }
    if (!strcmp(name, "demo"))
        return parse_bool(name, value, &c->demo, err, errlen);
    if (!strcmp(name, "sandbox"))
        return parse_bool(name, value, &c->sandbox, err, errlen);
    if (!strcmp(name, "access-log"))
        return set_text(c->access_log, sizeof c->access_log, name, value, err, errlen);
    if (!strcmp(name, "timezone"))
        return set_text(c->timezone, sizeof c->timezone, name, value, err, errlen);
    if (!strcmp(name, "read-timeout")) {
        if (!parse_int(name, value, 1, 3600, &n, err, errlen))
            return false;
        c->read_timeout_s = (int)n;
        return true;
    }
    if (!strcmp(name, "shutdown-timeout")) {
        if (!parse_int(name, value, 0, 3600, &n, err, errlen))
            return false;
        c->shutdown_timeout_s = (int)n;
        return true;
    }
    if (!strcmp(name, "auth-fail-rate")) {
        if (!parse_int(name, value, 0, 1000000, &n, err, errlen))
            return false;
        c->auth_fail_rate = (int)n;
        return true;
    }
    if (!strcmp(name, "gui-rate")) {
        if (!parse_int(name, value, 0, 1000000, &n, err, errlen))
            return false;
        c->gui_rate = (int)n;
        return true;
    }
    if (!strcmp(name, "smtp-url"))
        return set_line(c->smtp_url, sizeof c->smtp_url, name, value, err, errlen);
    if (!strcmp(name, "smtp-from"))
        return set_line(c->smtp_from, sizeof c->smtp_from, name, value, err, errlen);
    if (!strcmp(name, "smtp-user"))
        return set_line(c->smtp_user, sizeof c->smtp_user, name, value, err, errlen);
    if (!strcmp(name, "smtp-password"))
        return set_line(c->smtp_password, sizeof c->smtp_password, name, value, err, errlen);
    if (!strcmp(name, "sms-url"))
        return set_line(c->sms_url, sizeof c->sms_url, name, value, err, errlen);
    if (!strcmp(name, "sms-header")) {
        const char *colon = strchr(value, ':');
        if (*value && (colon == NULL || colon == value)) {
            snprintf(err, errlen, "sms-header: must be 'Name: value'");
            return false;
        }
        return set_line(c->sms_header, sizeof c->sms_header, name, value, err, errlen);
    }
    if (!strcmp(name, "message-retry-schedule"))
        return parse_retry_schedule(c, value, err, errlen);
    if (!strcmp(name, "log-level")) {
        if (strcmp(value, "debug") && strcmp(value, "info") && strcmp(value, "warn") && strcmp(value, "error")) {
            snprintf(err, errlen, "log-level: must be one of debug, info, warn, error, got '%s'", value);
            return false;
        }
        return set_text(c->log_level, sizeof c->log_level, name, value, err, errlen);
    }
    if (!strcmp(name, "config"))
        return set_text(c->config_file, sizeof c->config_file, name, value, err, errlen);
    snprintf(err, errlen, "unknown setting '%s'", name);
    return false;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

bool config_load_file(struct config *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, errlen, "config: cannot open %s: %s", path, strerror(errno));
        return false;
    }
    char line[2048], msg[512];
    int lineno = 0;
    bool ok = true;
    while (ok && fgets(line, sizeof line, f)) {
        lineno++;
        char *s = trim(line);
        if (*s == '\0' || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (eq == NULL) {
            snprintf(err, errlen, "%s:%d: expected 'name = value'", path, lineno);
            ok = false;
            break;
        }
        *eq = '\0';
        char *name = trim(s), *value = trim(eq + 1);
        if (!strcmp(name, "config") || !config_set(c, name, value, msg, sizeof msg)) {
            if (!strcmp(name, "config"))
                snprintf(msg, sizeof msg, "config: cannot be set inside a config file");
            snprintf(err, errlen, "%s:%d: %s", path, lineno, msg);
            ok = false;
        }
    }
    fclose(f);
    return ok;
}

bool config_load_env(struct config *c, unsigned groups, char *err, size_t errlen)
{
    for (const struct config_option *o = CONFIG_OPTIONS; o->name; o++) {
        if (!(o->groups & groups) || !strcmp(o->name, "config"))
            continue;
        char env[64] = "CONNECTD_";
        size_t n = strlen(env);
        for (const char *p = o->name; *p && n < sizeof env - 1; p++)
            env[n++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
        env[n] = '\0';
        const char *v = getenv(env);
        if (v == NULL)
            continue;
        char msg[512];
        if (!config_set(c, o->name, v, msg, sizeof msg)) {
            snprintf(err, errlen, "%s: %s", env, msg);
            return false;
        }
    }
    return true;
}

const struct config_option *config_option_find(const char *name, unsigned groups)
{
    for (const struct config_option *o = CONFIG_OPTIONS; o->name; o++)
        if ((o->groups & groups) && !strcmp(o->name, name))
            return o;
    return NULL;
}

int config_workers(const struct config *c)
{
    if (c->workers > 0)
        return c->workers;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}
