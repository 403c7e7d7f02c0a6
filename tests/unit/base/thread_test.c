/* src/base/thread.c: detached work runs on threads kept for the next work, never queued
 * behind work that is still running. */

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <cmocka.h>

#include "base/thread.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int done, started, release;
static _Thread_local int jobs_here; /* how many jobs this thread has run */
static int seen;

static void wait_for(int *what, int n)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    pthread_mutex_lock(&mu);
    while (*what < n)
        if (pthread_cond_timedwait(&cv, &mu, &until)) break;
    int got = *what;
    pthread_mutex_unlock(&mu);
    assert_int_equal(got, n);
}

static void *count(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    seen = ++jobs_here;
    done++;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    return NULL;
}

/* runs first, when the pool has no thread: the second job finds the first's thread idle */
static void test_idle_thread_reused(void **state)
{
    (void)state;
    done = 0;
    assert_int_equal(thread_start_detached(count, NULL), 0);
    wait_for(&done, 1);
    assert_int_equal(seen, 1);
    struct timespec gap = {0, 50 * 1000 * 1000}; /* the thread goes back to waiting */
    nanosleep(&gap, NULL);
    assert_int_equal(thread_start_detached(count, NULL), 0);
    wait_for(&done, 2);
    assert_int_equal(seen, 2);
}

static void test_every_job_runs(void **state)
{
    (void)state;
    done = 0;
    for (int i = 0; i < 300; i++) assert_int_equal(thread_start_detached(count, NULL), 0);
    wait_for(&done, 300);
}

static void *meet(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    started++;
    pthread_cond_broadcast(&cv);
    while (!release) pthread_cond_wait(&cv, &mu);
    done++;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    return NULL;
}

/* jobs that wait for each other all run at once: none waits for a busy thread */
static void test_jobs_run_together(void **state)
{
    (void)state;
    done = started = release = 0;
    for (int i = 0; i < 100; i++) assert_int_equal(thread_start_detached(meet, NULL), 0);
    wait_for(&started, 100);
    pthread_mutex_lock(&mu);
    release = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    wait_for(&done, 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idle_thread_reused),
        cmocka_unit_test(test_every_job_runs),
        cmocka_unit_test(test_jobs_run_together),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
