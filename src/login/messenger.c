/* messenger.c — the sender of the message outbox (see messenger.h). One thread claims one due
 * message at a time (store_message_claim: a lease, so processes sharing the database never send
 * one twice while alive), makes one attempt over its channel, and records the outcome: sent,
 * retried after the configured wait, or given up after MESSENGER_ATTEMPTS attempts or when its
 * code has expired. Nothing here logs a code, a recipient or a credential of the channels. */
#include "login/messenger.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "store/db.h"
#include "store/store.h"
#include "util/crypto.h"
#include "util/log.h"

#define LEASE_MS (60 * 1000)     /* longer than one attempt can take */
#define ATTEMPT_TIMEOUT_S 10L
#define POLL_MS 1000
#define SWEEP_EVERY_MS (60 * 1000)

enum channel { CH_EMAIL, CH_SMS, CH_COUNT };
static const char *const CHANNEL_NAME[CH_COUNT] = {"email", "sms"};

static struct {
    const struct config *cfg;
    bool email, sms;
    pthread_t thread;
    bool running;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool pending; /* under lock: a wake-up arrived */
    atomic_bool stopping;
    atomic_uint_fast64_t sent[CH_COUNT], retried[CH_COUNT], failed[CH_COUNT];
} M = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

/* ---- settings ------------------------------------------------------------------------------ */

static bool host_is_loopback(const char *host)
{
    return !strcasecmp(host, "localhost") || !strncmp(host, "127.", 4) || !strcmp(host, "[::1]") ||
           !strcmp(host, "::1");
}

/* The URL's scheme and host (lower-cased by libcurl); false when it does not parse. */
static bool url_parts(const char *url, char *scheme, size_t scap, char *host, size_t hcap)
{
    CURLU *u = curl_url();
    char *sc = NULL, *h = NULL;
    bool ok = u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_SCHEME, &sc, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK;
    if (ok) {
        snprintf(scheme, scap, "%s", sc);
        snprintf(host, hcap, "%s", h);
    }
    curl_free(sc);
    curl_free(h);
    curl_url_cleanup(u);
    return ok;
}

/* An address for MAIL FROM and the From: header: one @, no spaces or angle brackets. */
static bool plain_address(const char *a)
{
    const char *at = strchr(a, '@');
    return at && at != a && at[1] && !strchr(at + 1, '@') && !strpbrk(a, " \t<>\"(),;:\\[]");
}

bool messenger_check_config(const struct config *cfg, char *err, size_t errlen)
{
    char scheme[16], host[256];
    if (cfg->smtp_url[0]) {
        if (!url_parts(cfg->smtp_url, scheme, sizeof scheme, host, sizeof host) ||
            (strcmp(scheme, "smtp") && strcmp(scheme, "smtps"))) {
            snprintf(err, errlen, "smtp-url: must be smtp://HOST[:PORT] or smtps://HOST[:PORT]");
            return false;
        }
        if (!cfg->smtp_from[0] || !plain_address(cfg->smtp_from)) {
            snprintf(err, errlen, "smtp-from: %s", cfg->smtp_from[0] ? "must be a plain e-mail address (name@domain)"
                                                                   : "is required with smtp-url");
            return false;
        }
    }
    if (cfg->sms_url[0]) {
        if (!url_parts(cfg->sms_url, scheme, sizeof scheme, host, sizeof host) ||
            (strcmp(scheme, "https") && strcmp(scheme, "http"))) {
            snprintf(err, errlen, "sms-url: must be an https:// URL");
            return false;
        }
        if (!strcmp(scheme, "http") && !(cfg->sandbox && host_is_loopback(host))) {
            snprintf(err, errlen, "sms-url: must be https (plain http is allowed only to a loopback address with "
                                  "--sandbox)");
            return false;
        }
    }
    return true;
}

/* ---- one attempt ----------------------------------------------------------------------------- */

struct upload {
    const char *data;
    size_t len, off;
};

static size_t read_upload(char *dst, size_t size, size_t n, void *arg)
{
    struct upload *u = arg;
    size_t want = size * n, left = u->len - u->off;
    size_t k = want < left ? want : left;
    memcpy(dst, u->data + u->off, k);
    u->off += k;
    return k;
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return size * n;
}

/* Aborts a transfer in progress when the server stops. */
static int on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)arg, (void)a, (void)b, (void)c, (void)d;
    return atomic_load(&M.stopping) ? 1 : 0;
}

static CURL *easy_new(const char *url, const char *protocols, char *errbuf)
{
    CURL *c = curl_easy_init();
    if (c == NULL)
        return NULL;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protocols);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, ATTEMPT_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    return c;
}

static void curl_failure(CURLcode rc, const char *errbuf, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
}

/* RFC 2047 encoded-word for a header value that is not plain ASCII. */
static void header_text(struct buf *b, const char *s)
{
    bool ascii = true;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        ascii = ascii && *p >= 0x20 && *p < 0x7f;
    if (ascii) {
        buf_puts(b, s);
        return;
    }
    static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    buf_puts(b, "=?UTF-8?B?");
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        buf_putc(b, B64[v >> 18 & 63]);
        buf_putc(b, B64[v >> 12 & 63]);
        buf_putc(b, i + 1 < n ? B64[v >> 6 & 63] : '=');
        buf_putc(b, i + 2 < n ? B64[v & 63] : '=');
    }
    buf_puts(b, "?=");
}

/* The RFC 5322 message: headers, a blank line, the body with CRLF line ends. */
static void mail_message(struct buf *b, const char *from, const struct message_claim *m)
{
    char date[64], id[33] = "0";
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    random_hex(id, 16);
    buf_printf(b, "Date: %s\r\nFrom: %s\r\nTo: %s\r\nSubject: ", date, from, m->recipient);
    header_text(b, m->subject);
    buf_printf(b, "\r\nMessage-ID: <%s@connectd>\r\nMIME-Version: 1.0\r\n"
                  "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
               id);
    for (const char *p = m->body; *p; p++) {
        if (*p == '\n' && (p == m->body || p[-1] != '\r'))
            buf_putc(b, '\r');
        buf_putc(b, *p);
    }
    buf_puts(b, "\r\n");
}

static bool send_email(const struct message_claim *m, char *err, size_t errlen)
{
    const struct config *cfg = M.cfg;
    if (strpbrk(m->recipient, "\r\n<>") || strpbrk(m->subject, "\r\n")) {
        snprintf(err, errlen, "recipient or subject holds a line break or angle bracket");
        return false;
    }
    char errbuf[CURL_ERROR_SIZE] = "", scheme[16], host[256], rcpt_addr[MESSAGE_RECIPIENT_MAX + 2];
    CURL *c = easy_new(cfg->smtp_url, "smtp,smtps", errbuf);
    if (c == NULL) {
        snprintf(err, errlen, "libcurl: cannot create a handle");
        return false;
    }
    url_parts(cfg->smtp_url, scheme, sizeof scheme, host, sizeof host);
    /* Off loopback a plain smtp:// server must offer STARTTLS: codes never cross a network in
     * clear text. smtps:// is TLS from the first byte. */
    curl_easy_setopt(c, CURLOPT_USE_SSL, host_is_loopback(host) ? (long)CURLUSESSL_TRY : (long)CURLUSESSL_ALL);
    if (cfg->smtp_user[0])
        curl_easy_setopt(c, CURLOPT_USERNAME, cfg->smtp_user);
    if (cfg->smtp_password[0])
        curl_easy_setopt(c, CURLOPT_PASSWORD, cfg->smtp_password);
    char from[sizeof cfg->smtp_from + 2];
    snprintf(from, sizeof from, "<%s>", cfg->smtp_from);
    snprintf(rcpt_addr, sizeof rcpt_addr, "<%s>", m->recipient);
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
    struct curl_slist *rcpt = curl_slist_append(NULL, rcpt_addr);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    struct buf msg = BUF_INIT;
    mail_message(&msg, cfg->smtp_from, m);
    struct upload up = {msg.data, msg.len, 0};
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_upload);
    curl_easy_setopt(c, CURLOPT_READDATA, &up);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
        curl_failure(rc, errbuf, err, errlen);
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(c);
    buf_free(&msg);
    return rc == CURLE_OK;
}

/* POST {"to": "+47...", "message": "..."} to the gateway; any 2xx means accepted. */
static bool send_sms(const struct message_claim *m, char *err, size_t errlen)
{
    const struct config *cfg = M.cfg;
    char errbuf[CURL_ERROR_SIZE] = "";
    CURL *c = easy_new(cfg->sms_url, "http,https", errbuf);
    if (c == NULL) {
        snprintf(err, errlen, "libcurl: cannot create a handle");
        return false;
    }
    json_t *v = json_pack("{s:s,s:s}", "to", m->recipient, "message", m->body);
    char *body = v ? json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(v);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json;charset=UTF-8");
    if (cfg->sms_header[0])
        h = curl_slist_append(h, cfg->sms_header);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "{}");
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    bool ok = false;
    if (rc != CURLE_OK) {
        curl_failure(rc, errbuf, err, errlen);
    } else {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        ok = status >= 200 && status < 300;
        if (!ok)
            snprintf(err, errlen, "the SMS gateway answered HTTP %ld", status);
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    free(body);
    return ok;
}

/* ---- the loop ------------------------------------------------------------------------------ */

/* Records the attempt's outcome; the claim lease covers us if this write fails. */
static void record(struct db *db, const struct message_claim *m, enum channel ch, bool ok, const char *error)
{
    bool keep = M.cfg->sandbox;
    enum db_status s;
    if (ok) {
        s = store_message_sent(db, m->id, keep);
        atomic_fetch_add(&M.sent[ch], 1);
        log_info("messenger: message %lld sent by %s (attempt %lld)", (long long)m->id, CHANNEL_NAME[ch],
                 (long long)m->attempts);
    } else if (m->attempts >= MESSENGER_ATTEMPTS) {
        s = store_message_failed(db, m->id, error, keep);
        atomic_fetch_add(&M.failed[ch], 1);
        log_warn("messenger: message %lld by %s given up after %d attempts: %s", (long long)m->id, CHANNEL_NAME[ch],
                 MESSENGER_ATTEMPTS, error);
    } else {
        int64_t wait = M.cfg->message_retry_ms[m->attempts - 1];
        s = store_message_retry(db, m->id, wait, error);
        atomic_fetch_add(&M.retried[ch], 1);
        log_info("messenger: message %lld by %s failed (attempt %lld), retrying in %lld s: %s", (long long)m->id,
                 CHANNEL_NAME[ch], (long long)m->attempts, (long long)(wait / 1000), error);
    }
    if (s != DB_OK)
        log_error("messenger: cannot record the outcome of message %lld", (long long)m->id);
}

/* One due message, if any: claimed, attempted, recorded. False when none was due. */
static bool deliver_one(struct db *db)
{
    struct message_claim m;
    bool found = false;
    if (store_message_claim(db, M.email, M.sms, LEASE_MS, &found, &m) != DB_OK) {
        if (found) /* a row we cannot hold: give it up rather than claim it forever */
            store_message_failed(db, m.id, "message too large to send", M.cfg->sandbox);
        return found;
    }
    if (!found)
        return false;
    enum channel ch = !strcmp(m.channel, "sms") ? CH_SMS : CH_EMAIL;
    char err[CURL_ERROR_SIZE + 64] = "";
    bool ok = ch == CH_SMS ? send_sms(&m, err, sizeof err) : send_email(&m, err, sizeof err);
    if (!atomic_load(&M.stopping) || ok)
        record(db, &m, ch, ok, err);
    /* Stopping mid-attempt: leave the claim to lapse, so the message is tried again later. */
    return true;
}

static void sweep(struct db *db)
{
    int64_t expired = 0;
    if (store_message_sweep(db, M.email, M.sms, M.cfg->sandbox, &expired) != DB_OK)
        log_error("messenger: sweep failed");
    else if (expired > 0)
        log_warn("messenger: %lld message(s) expired before they could be delivered", (long long)expired);
}

static void wait_for_work(void)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += (long)POLL_MS * 1000000L;
    until.tv_sec += until.tv_nsec / 1000000000L;
    until.tv_nsec %= 1000000000L;
    pthread_mutex_lock(&M.lock);
    while (!M.pending && !atomic_load(&M.stopping))
        if (pthread_cond_timedwait(&M.cond, &M.lock, &until) != 0)
            break;
    M.pending = false;
    pthread_mutex_unlock(&M.lock);
}

static int64_t monotonic_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void *messenger_main(void *arg)
{
    struct db *db = arg;
    int64_t next_sweep = 0;
    while (!atomic_load(&M.stopping)) {
        if (monotonic_ms() >= next_sweep) {
            sweep(db);
            next_sweep = monotonic_ms() + SWEEP_EVERY_MS;
        }
        if (!deliver_one(db))
            wait_for_work();
    }
    db_close(db);
    return NULL;
}

bool messenger_start(const struct config *cfg)
{
    M.cfg = cfg;
    M.email = cfg->smtp_url[0] != '\0';
    M.sms = cfg->sms_url[0] != '\0';
    atomic_store(&M.stopping, false);
    if (!M.email && !M.sms) {
        if (!cfg->sandbox)
            log_warn("messenger: neither --smtp-url nor --sms-url is set: one-time codes are stored but not sent");
        return true;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_error("messenger: libcurl cannot initialise");
        return false;
    }
    char err[512];
    struct db *db = db_open(cfg->db_url, err, sizeof err);
    if (db == NULL || pthread_create(&M.thread, NULL, messenger_main, db) != 0) {
        log_error("messenger: %s", db ? "cannot start its thread" : err);
        if (db)
            db_close(db);
        curl_global_cleanup();
        return false;
    }
    M.running = true;
    log_info("messenger: delivering one-time codes by%s%s", M.email ? " e-mail" : "", M.sms ? " SMS" : "");
    return true;
}

void messenger_wake(void)
{
    if (!M.running)
        return;
    pthread_mutex_lock(&M.lock);
    M.pending = true;
    pthread_cond_signal(&M.cond);
    pthread_mutex_unlock(&M.lock);
}

void messenger_stop(void)
{
    if (!M.running)
        return;
    atomic_store(&M.stopping, true);
    messenger_wake();
    pthread_join(M.thread, NULL);
    M.running = false;
    curl_global_cleanup();
}

void messenger_metrics_render(struct buf *out)
{
    static const char *const NAMES[3] = {"sent", "retried", "failed"};
    atomic_uint_fast64_t *const counters[3] = {M.sent, M.retried, M.failed};
    buf_puts(out, "# HELP connectd_messages_total One-time-code messages by channel and outcome of the attempt.\n"
                  "# TYPE connectd_messages_total counter\n");
    for (int k = 0; k < 3; k++)
        for (int ch = 0; ch < CH_COUNT; ch++)
            buf_printf(out, "connectd_messages_total{channel=\"%s\",outcome=\"%s\"} %llu\n", CHANNEL_NAME[ch],
                       NAMES[k], (unsigned long long)atomic_load(&counters[k][ch]));
}
