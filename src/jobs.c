/* jobs.c — the background thread of jobs.h. */
#include "jobs.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "codec/date.h"
#include "store/customer.h"
#include "util/buf.h"
#include "util/log.h"

#define SETTLE_BATCH 500

struct jobs {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop;
    struct db *db;
};

static void run_once(struct jobs *j)
{
    int settled = 0;
    do {
        if (store_address_settle_due(j->db, date_now_ms(), SETTLE_BATCH, &settled) != DB_OK) {
            log_warn("jobs: settling permanent address changes failed; retrying later");
            return;
        }
        if (settled)
            log_info("jobs: %d permanent address changes took effect", settled);
    } while (settled == SETTLE_BATCH);
}

static void *jobs_main(void *arg)
{
    struct jobs *j = arg;
    pthread_mutex_lock(&j->lock);
    while (!j->stop) {
        pthread_mutex_unlock(&j->lock);
        run_once(j);
        pthread_mutex_lock(&j->lock);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += JOBS_INTERVAL_S;
        while (!j->stop && pthread_cond_timedwait(&j->wake, &j->lock, &until) == 0)
            ;
    }
    pthread_mutex_unlock(&j->lock);
    return NULL;
}

struct jobs *jobs_start(const struct config *cfg)
{
    char err[512];
    struct db *db = db_open(cfg->db_url, err, sizeof err);
    if (db == NULL) {
        log_error("jobs: cannot open the database: %s", err);
        return NULL;
    }
    struct jobs *j = xcalloc(1, sizeof *j);
    j->db = db;
    pthread_mutex_init(&j->lock, NULL);
    pthread_cond_init(&j->wake, NULL);
    if (pthread_create(&j->thread, NULL, jobs_main, j) != 0) {
        log_error("jobs: cannot start the thread");
        db_close(db);
        free(j);
        return NULL;
    }
    return j;
}

void jobs_stop(struct jobs *j)
{
    if (j == NULL)
        return;
    pthread_mutex_lock(&j->lock);
    j->stop = true;
    pthread_cond_signal(&j->wake);
    pthread_mutex_unlock(&j->lock);
    pthread_join(j->thread, NULL);
    pthread_cond_destroy(&j->wake);
    pthread_mutex_destroy(&j->lock);
    db_close(j->db);
    free(j);
}
