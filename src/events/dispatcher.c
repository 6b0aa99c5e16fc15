/* dispatcher.c — the scheduler and sender threads of dispatcher.h.
 * Work moves through a fixed set of slots, one per sender, under one mutex:
 *   EMPTY --scheduler claims a delivery--> QUEUED --a sender takes it--> RUNNING
 *   --the POST ends--> DONE --scheduler records the outcome--> EMPTY
 * The scheduler claims only as many deliveries as there are empty slots, so a claim is posted
 * at once and its lease (the POST timeout plus a margin) cannot run out while it waits. Only the
 * scheduler touches the database, so the dispatcher costs one connection per process. */
#include "events/dispatcher.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <unistd.h>

#include "codec/date.h"
#include "events/envelope.h"
#include "events/subscription.h"
#include "store/store.h"
#include "util/crypto.h"
#include "util/http_post.h"
#include "util/log.h"
#include "util/retry.h"

#define SENDERS 8 /* POSTs in flight per process: a few slow receivers do not hold up the others */
#define POLL_MS 1000       /* the longest the scheduler sleeps: other processes' writes on SQLite */
#define RETRY_IDLE_MS 50   /* something is due but another process holds it: look again soon */
#define LEASE_MS (WEBHOOK_TIMEOUT_MS + 10000)
#define ROUTE_BATCH 200
#define ROUTE_ROUNDS 10    /* batches per wake-up before claiming (keeps deliveries flowing) */

enum slot_state { SLOT_EMPTY, SLOT_QUEUED, SLOT_RUNNING, SLOT_DONE };

struct slot {
    enum slot_state state;
    struct delivery_job job;
    enum delivery_result result;
    int64_t next_at;
    int status;
    char error[HTTP_POST_ERROR_MAX];
};

static struct {
    const struct config *cfg;
    bool started;
    char owner[40];
    int wake_fd;
    atomic_bool wake_pending;
    atomic_bool stop;
    pthread_t scheduler;
    pthread_t senders[SENDERS];
    int live_senders;
    pthread_mutex_t mu;
    pthread_cond_t work;
    struct slot slots[SENDERS];
    atomic_ullong delivered, retried, dropped;
} D = {.wake_fd = -1, .mu = PTHREAD_MUTEX_INITIALIZER, .work = PTHREAD_COND_INITIALIZER};

/* ---- waking ------------------------------------------------------------------------------------ */

/* Called by the store after a commit that appended an event, and by senders when a POST ends.
 * One pending wake-up is enough, so repeated calls cost no system call. */
static void wake(void)
{
    if (atomic_exchange(&D.wake_pending, true))
        return;
    uint64_t one = 1;
    ssize_t n = write(D.wake_fd, &one, sizeof one);
    (void)n;
}

/* Sleeps until woken, a notification arrives on db, or timeout_ms pass. */
static void sleep_until_woken(struct db *db, int timeout_ms)
{
    struct pollfd fds[2] = {{.fd = D.wake_fd, .events = POLLIN}, {.fd = db ? db_notify_fd(db) : -1, .events = POLLIN}};
    int n = poll(fds, fds[1].fd >= 0 ? 2 : 1, timeout_ms);
    if (n > 0 && (fds[0].revents & POLLIN)) {
        uint64_t v;
        ssize_t r = read(D.wake_fd, &v, sizeof v);
        (void)r;
    }
    atomic_store(&D.wake_pending, false);
    if (db && fds[1].fd >= 0)
        db_notify_drain(db);
}

/* ---- sending ----------------------------------------------------------------------------------- */

static char *header_line(const char *name, const char *value)
{
    struct buf b = BUF_INIT;
    buf_printf(&b, "%s: %s", name, value);
    return b.data;
}

/* The body and signature of job; false with s->error set. */
static bool prepare(const struct delivery_job *job, char **body, char signature[EVENT_SIGNATURE_MAX],
                    struct slot *s)
{
    const struct outbox_event *e = &job->event;
    struct event_row row = {.event_id = e->event_id, .detail_type = e->detail_type, .source = e->source,
                            .detail = e->detail, .created_at = e->created_at};
    *body = envelope_build(&row, D.cfg->event_account, D.cfg->event_region);
    unsigned char key[WEBHOOK_SECRET_BYTES];
    bool keyed = webhook_secret_decode(job->secret_hex, key);
    bool signed_ok = *body && keyed && envelope_sign(key, sizeof key, *body, strlen(*body), signature);
    OPENSSL_cleanse(key, sizeof key);
    if (!*body)
        snprintf(s->error, sizeof s->error, "the stored event detail is not a JSON object");
    else if (!signed_ok)
        snprintf(s->error, sizeof s->error, "the subscription's signing secret is malformed");
    return signed_ok;
}

/* POSTs body to the job's URL with its headers: true on a 2xx, else false with s->error set.
 * *given_up when the POST was abandoned because the dispatcher is stopping. */
static bool post(struct http_client *http, const struct delivery_job *job, const char *body, const char *signature,
                 struct slot *s, bool *given_up)
{
    char *url = webhook_target_url(job->base_url, job->path);
    char *auth = header_line(job->auth_header, job->auth_value);
    char *sig = header_line("X-Event-Signature", signature);
    const char *headers[] = {"Content-Type: application/json;charset=UTF-8", auth, sig};
    struct http_post_request rq = {.url = url, .headers = headers, .nheaders = 3, .body = body,
                                   .body_len = strlen(body), .timeout_ms = WEBHOOK_TIMEOUT_MS,
                                   .allow_http = D.cfg->sandbox, .ca_file = D.cfg->webhook_ca_file,
                                   .abort = &D.stop};
    struct http_post_result res;
    bool answered = http_client_post(http, &rq, &res);
    OPENSSL_cleanse(auth, strlen(auth));
    free(url);
    free(auth);
    free(sig);
    *given_up = res.aborted;
    s->status = res.status;
    bool ok = answered && res.status >= 200 && res.status < 300;
    if (!answered)
        snprintf(s->error, sizeof s->error, "%s", res.error);
    else if (!ok)
        snprintf(s->error, sizeof s->error, "HTTP %d", res.status);
    return ok;
}

/* One attempt: fills s->result (and next_at for a retry), status and error. */
static void attempt(struct http_client *http, struct slot *s)
{
    const struct delivery_job *job = &s->job;
    char *body = NULL, signature[EVENT_SIGNATURE_MAX], urlerr[200];
    bool ok = false, given_up = false;
    s->status = 0;
    s->error[0] = '\0';
    if (!webhook_url_check(job->base_url, D.cfg->sandbox, urlerr, sizeof urlerr))
        snprintf(s->error, sizeof s->error, "base URL refused: %s", urlerr);
    else if (prepare(job, &body, signature, s))
        ok = post(http, job, body, signature, s, &given_up);
    free(body);
    int64_t delay = 0;
    if (given_up)
        s->result = DELIVERY_RELEASED;
    else if (ok)
        s->result = DELIVERY_DELIVERED;
    else if (retry_next(&D.cfg->webhook_retry, job->attempts + 1, &delay)) {
        s->result = DELIVERY_RETRY;
        s->next_at = date_now_ms() + delay;
    } else
        s->result = DELIVERY_DROPPED;
}

/* A slot in state QUEUED, now RUNNING, or NULL when stopping. Called with the mutex held. */
static struct slot *take_job(void)
{
    while (!atomic_load(&D.stop)) {
        for (int i = 0; i < SENDERS; i++)
            if (D.slots[i].state == SLOT_QUEUED) {
                D.slots[i].state = SLOT_RUNNING;
                return &D.slots[i];
            }
        pthread_cond_wait(&D.work, &D.mu);
    }
    return NULL;
}

static void *sender_main(void *arg)
{
    (void)arg;
    struct http_client *http = http_client_new();
    pthread_mutex_lock(&D.mu);
    for (struct slot *s; (s = take_job()) != NULL;) {
        pthread_mutex_unlock(&D.mu);
        if (http)
            attempt(http, s);
        else {
            s->result = DELIVERY_RELEASED;
            log_error("dispatcher: libcurl could not be initialised; delivery released");
        }
        pthread_mutex_lock(&D.mu);
        s->state = SLOT_DONE;
        wake();
    }
    D.live_senders--;
    pthread_mutex_unlock(&D.mu);
    wake();
    http_client_free(http);
    return NULL;
}

/* ---- scheduling -------------------------------------------------------------------------------- */

/* Every outcome known (DONE slots, and when stopping also QUEUED ones, released) is recorded. */
static void record_outcomes(struct db *db, bool stopping)
{
    struct delivery_outcome out[SENDERS];
    struct slot *from[SENDERS];
    int n = 0;
    pthread_mutex_lock(&D.mu);
    for (int i = 0; i < SENDERS; i++) {
        struct slot *s = &D.slots[i];
        if (s->state == SLOT_QUEUED && stopping)
            s->result = DELIVERY_RELEASED;
        else if (s->state != SLOT_DONE)
            continue;
        out[n] = (struct delivery_outcome){.id = s->job.id, .outbox_id = s->job.outbox_id, .result = s->result,
                                           .next_at = s->next_at, .status = s->status, .error = s->error};
        from[n++] = s;
    }
    pthread_mutex_unlock(&D.mu);
    if (n == 0)
        return;
    /* On failure the leases run out and another attempt follows: at least once, never lost. */
    if (store_delivery_record(db, D.owner, out, n) == DB_OK)
        for (int i = 0; i < n; i++) {
            const struct slot *s = from[i];
            if (s->result == DELIVERY_DELIVERED)
                atomic_fetch_add(&D.delivered, 1);
            else if (s->result == DELIVERY_RETRY)
                atomic_fetch_add(&D.retried, 1);
            else if (s->result == DELIVERY_DROPPED) {
                atomic_fetch_add(&D.dropped, 1);
                log_warn("webhook: dropped event %s (%s) for subscription %lld after %d attempts: %s",
                         s->job.event.event_id, s->job.event.detail_type, (long long)s->job.webhook_id,
                         s->job.attempts + 1, s->error);
            }
        }
    pthread_mutex_lock(&D.mu);
    for (int i = 0; i < n; i++) {
        delivery_job_free(&from[i]->job);
        from[i]->state = SLOT_EMPTY;
    }
    pthread_mutex_unlock(&D.mu);
}

static void route_new_events(struct db *db)
{
    int routed = ROUTE_BATCH;
    for (int round = 0; round < ROUTE_ROUNDS && routed == ROUTE_BATCH; round++)
        if (store_events_route(db, ROUTE_BATCH, event_route_key_row, &routed) != DB_OK)
            break;
}

/* Claims deliveries for the empty slots; returns how many slots are still empty. */
static int claim_deliveries(struct db *db)
{
    struct slot *empty[SENDERS];
    int free_slots = 0;
    pthread_mutex_lock(&D.mu);
    for (int i = 0; i < SENDERS; i++)
        if (D.slots[i].state == SLOT_EMPTY)
            empty[free_slots++] = &D.slots[i];
    pthread_mutex_unlock(&D.mu);
    if (free_slots == 0)
        return 0;
    struct delivery_job jobs[SENDERS];
    int n = 0;
    if (store_delivery_claim(db, D.owner, LEASE_MS, free_slots, jobs, &n) != DB_OK || n == 0)
        return free_slots;
    pthread_mutex_lock(&D.mu);
    for (int i = 0; i < n; i++) {
        empty[i]->job = jobs[i];
        empty[i]->state = SLOT_QUEUED;
    }
    pthread_cond_broadcast(&D.work);
    pthread_mutex_unlock(&D.mu);
    return free_slots - n;
}

/* How long to sleep: until the next pending delivery is due, at most POLL_MS. */
static int sleep_ms(struct db *db, int free_slots)
{
    if (free_slots == 0)
        return POLL_MS; /* a sender finishing wakes us */
    bool any = false;
    int64_t due = 0;
    if (store_delivery_next_due(db, &any, &due) != DB_OK || !any)
        return POLL_MS;
    int64_t wait = due - date_now_ms();
    return wait <= 0 ? RETRY_IDLE_MS : wait > POLL_MS ? POLL_MS : (int)wait;
}

/* ---- one dispatcher per SQLite file ------------------------------------------------------------- */

/* The lock is an flock on "<database file>-dispatch": the kernel drops it when the process
 * ends in any way, SIGKILL included, so a standby process takes over at its next poll. */
static int try_file_lock(const char *db_url, bool *warned)
{
    char path[1100];
    snprintf(path, sizeof path, "%s-dispatch", db_url + strlen("sqlite:"));
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
        return fd;
    if (!*warned)
        log_info("dispatcher: another connectd process delivers the webhooks of %s; this one stands by (%s)",
                 db_url + strlen("sqlite:"), fd < 0 ? strerror(errno) : "lock held");
    *warned = true;
    if (fd >= 0)
        close(fd);
    return -1;
}

/* PostgreSQL: LISTEN, and every process may dispatch. SQLite: the file lock, then the leases
 * left by an earlier process (it is dead: the lock was free) are given back at once. */
static bool become_dispatcher(struct db *db, int *lock_fd, bool *warned)
{
    if (db_kind(db) == DB_POSTGRES)
        return db_listen_outbox(db) == DB_OK;
    *lock_fd = try_file_lock(D.cfg->db_url, warned);
    if (*lock_fd < 0)
        return false;
    if (*warned)
        log_info("dispatcher: this process now delivers the webhooks");
    store_delivery_release_all(db);
    return true;
}

static bool stopping_done(void)
{
    pthread_mutex_lock(&D.mu);
    bool done = atomic_load(&D.stop) && D.live_senders == 0;
    pthread_mutex_unlock(&D.mu);
    return done;
}

static void *scheduler_main(void *arg)
{
    (void)arg;
    char err[512];
    struct db *db = db_open(D.cfg->db_url, err, sizeof err);
    if (db == NULL)
        log_error("dispatcher: %s; webhooks are not delivered by this process", err);
    else if (db_relax_durability(db) != DB_OK)
        log_warn("dispatcher: commits stay synchronous: %s", db_errmsg(db));
    int lock_fd = -1;
    bool active = false, warned = false;
    while (db && !stopping_done()) {
        bool stop = atomic_load(&D.stop);
        if (!active && !stop)
            active = become_dispatcher(db, &lock_fd, &warned);
        int wait = POLL_MS;
        if (active) {
            record_outcomes(db, false);
            if (!stop) {
                route_new_events(db);
                wait = sleep_ms(db, claim_deliveries(db));
            }
        }
        sleep_until_woken(active ? db : NULL, wait);
    }
    if (db) {
        record_outcomes(db, true);
        db_close(db);
    }
    if (lock_fd >= 0)
        close(lock_fd);
    return NULL;
}

/* ---- start and stop ----------------------------------------------------------------------------- */

/* Threads start with every signal blocked: SIGTERM must reach the main thread's sigwait. */
static bool spawn(pthread_t *t, void *(*fn)(void *))
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    bool ok = pthread_create(t, NULL, fn, NULL) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return ok;
}

bool dispatcher_start(const struct config *cfg)
{
    if (D.started)
        return true;
    if (!strcmp(cfg->db_url, "sqlite::memory:")) {
        log_warn("dispatcher: an in-memory database is private to each connection; webhooks are not delivered");
        return true;
    }
    char rnd[17];
    if (!http_global_init() || !random_hex(rnd, 8)) {
        log_error("dispatcher: cannot initialise libcurl or the random number generator");
        return false;
    }
    D.cfg = cfg;
    snprintf(D.owner, sizeof D.owner, "%d-%s", (int)getpid(), rnd);
    D.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (D.wake_fd < 0) {
        log_error("dispatcher: eventfd: %s", strerror(errno));
        return false;
    }
    atomic_store(&D.stop, false);
    memset(D.slots, 0, sizeof D.slots);
    D.live_senders = 0;
    for (int i = 0; i < SENDERS; i++)
        if (spawn(&D.senders[i], sender_main))
            D.live_senders++;
    if (D.live_senders < SENDERS || !spawn(&D.scheduler, scheduler_main)) {
        log_error("dispatcher: cannot start its threads");
        atomic_store(&D.stop, true);
        pthread_cond_broadcast(&D.work);
        for (int i = 0; i < D.live_senders; i++)
            pthread_join(D.senders[i], NULL);
        close(D.wake_fd);
        return false;
    }
    D.started = true;
    db_set_outbox_hook(wake);
    return true;
}

void dispatcher_stop(void)
{
    if (!D.started)
        return;
    db_set_outbox_hook(NULL);
    pthread_mutex_lock(&D.mu);
    atomic_store(&D.stop, true);
    pthread_cond_broadcast(&D.work);
    pthread_mutex_unlock(&D.mu);
    wake();
    for (int i = 0; i < SENDERS; i++)
        pthread_join(D.senders[i], NULL);
    atomic_store(&D.wake_pending, false);
    wake();
    pthread_join(D.scheduler, NULL);
    close(D.wake_fd);
    D.wake_fd = -1;
    D.started = false;
}

void dispatcher_metrics_render(struct buf *out)
{
    static const struct {
        const char *name, *help;
        atomic_ullong *v;
    } COUNTERS[] = {
        {"connectd_webhook_delivered_total", "Webhook deliveries answered with a 2xx (this process).", &D.delivered},
        {"connectd_webhook_retried_total", "Failed webhook attempts that will be retried (this process).", &D.retried},
        {"connectd_webhook_dropped_total", "Events dropped for a subscription after the last failed attempt "
                                           "(this process).", &D.dropped},
    };
    for (size_t i = 0; i < sizeof COUNTERS / sizeof COUNTERS[0]; i++)
        buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", COUNTERS[i].name, COUNTERS[i].help,
                   COUNTERS[i].name, COUNTERS[i].name, (unsigned long long)atomic_load(COUNTERS[i].v));
}
