#include "thread.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"

/* Threads are kept after their work for the next: starting one per request (an API
 * Gateway stage's call and its function's invocation took two) cost more than the
 * request's own work, mostly in the kernel (the stack's mapping, and on exit its release
 * on every CPU). An idle thread ends after IDLE_S; at most IDLE_MAX wait at once. */
#define IDLE_S   30
#define IDLE_MAX 64

typedef struct job {
    void *(*fn)(void *);
    void *arg;
    struct job *next;
} job;

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    job *head, **tail;
    int idle, queued; /* threads waiting for work; jobs given to them not yet taken */
} P = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, &P.head, 0, 0};

/* Under P.mu: the next job given to the waiting threads, or NULL */
static job *take(void)
{
    job *j = P.head;
    if (!j) return NULL;
    if (!(P.head = j->next)) P.tail = &P.head;
    P.queued--;
    return j;
}

static void *worker(void *arg)
{
    job *j = arg;
    for (;;) {
        j->fn(j->arg);
        free(j);
        pthread_mutex_lock(&P.mu);
        if (P.idle >= IDLE_MAX) {
            pthread_mutex_unlock(&P.mu);
            return NULL;
        }
        P.idle++;
        struct timespec until = clock_deadline(IDLE_S);
        while (!(j = take()))
            if (pthread_cond_timedwait(&P.cv, &P.mu, &until) && !(j = take())) break;
        P.idle--;
        pthread_mutex_unlock(&P.mu);
        if (!j) return NULL;
    }
}

int thread_start_detached(void *(*fn)(void *), void *arg)
{
    job *j = malloc(sizeof(*j));
    if (!j) return -1;
    *j = (job){fn, arg, NULL};
    pthread_mutex_lock(&P.mu);
    if (P.idle > P.queued) { /* a waiting thread takes it: no thread starts */
        *P.tail = j;
        P.tail = &j->next;
        P.queued++;
        pthread_cond_signal(&P.cv);
        pthread_mutex_unlock(&P.mu);
        return 0;
    }
    pthread_mutex_unlock(&P.mu);
    pthread_attr_t at;
    if (pthread_attr_init(&at)) {
        free(j);
        return -1;
    }
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_t th;
    int rc = pthread_create(&th, &at, worker, j);
    pthread_attr_destroy(&at);
    if (rc) free(j);
    return rc ? -1 : 0;
}
