#include "blobsweep.h"

#include <pthread.h>
#include <stdlib.h>

#include "base/clock.h"
#include "base/log.h"
#include "svc/lambda/documents.h"
#include "svc/s3/documents.h"

/* The kinds whose documents, keyed by blob id, say a blob is named (S3 objects and parts,
 * Lambda packages; build artifacts to come). */
static const char *const ref_kinds[] = {S3_BLOBREF_KIND, LAMBDA_BLOBREF_KIND};

static int referenced(void *ud, const char *id, int *ref, ferr *e)
{
    ferry_env *env = ud;
    store_txn *t;
    if (store_begin(env->st, 0, &t, e)) return -1;
    *ref = 0;
    for (size_t i = 0; i < sizeof(ref_kinds) / sizeof(ref_kinds[0]) && !*ref; i++) {
        store_key k = {ref_kinds[i], "", "", id};
        json_t *doc = NULL;
        int rc = store_get(t, &k, &doc, e);
        json_decref(doc);
        if (rc < 0) {
            store_rollback(t);
            return -1;
        }
        *ref = rc;
    }
    store_rollback(t);
    return 0;
}

int blobsweep_run(ferry_env *env, double grace, blob_sweep_stats *st, ferr *e)
{
    if (!env->blobs) return 0;
    return blob_sweep(env->blobs, clock_now(), grace, referenced, env, st, e);
}

static struct {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop, running;
    double period, grace;
    ferry_env *env;
} sw = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static double env_seconds(const char *name, double dflt)
{
    const char *v = getenv(name); /* test seams: a short period and grace */
    return v && *v ? atof(v) : dflt;
}

static void *loop(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&sw.mu);
    while (!sw.stop) {
        pthread_mutex_unlock(&sw.mu);
        blob_sweep_stats st = {0};
        ferr e = {0};
        if (blobsweep_run(sw.env, sw.grace, &st, &e))
            log_error("blob sweep: %s", e.message);
        else if (st.temporaries || st.unreferenced)
            log_info("blob sweep: %lld temporaries and %lld unreferenced blobs removed, %lld kept",
                     st.temporaries, st.unreferenced, st.kept);
        pthread_mutex_lock(&sw.mu);
        struct timespec ts = clock_deadline(sw.period);
        while (!sw.stop && pthread_cond_timedwait(&sw.cv, &sw.mu, &ts) == 0) {
        }
    }
    pthread_mutex_unlock(&sw.mu);
    return NULL;
}

static int start(ferry_env *env, ferr *e)
{
    if (!env->blobs) return 0;
    sw.env = env;
    sw.stop = 0;
    sw.period = env_seconds("FERRY_BLOB_SWEEP_SECONDS", 600);
    sw.grace = env_seconds("FERRY_BLOB_SWEEP_GRACE", BLOB_SWEEP_GRACE);
    if (pthread_create(&sw.th, NULL, loop, NULL))
        return ferr_internal(e, "cannot start the blob sweep");
    sw.running = 1;
    return 0;
}

static void stop(ferry_env *env)
{
    (void)env;
    if (!sw.running) return;
    pthread_mutex_lock(&sw.mu);
    sw.stop = 1;
    pthread_cond_broadcast(&sw.cv);
    pthread_mutex_unlock(&sw.mu);
    pthread_join(sw.th, NULL);
    sw.running = 0;
}

const engine_def blobsweep_engine = {"blob sweep", start, stop};
