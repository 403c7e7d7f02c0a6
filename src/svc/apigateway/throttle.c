/* Token buckets for API Gateway throttling (throttle.h). At most MAX_BUCKETS are kept: past
 * that the table starts over (every bucket full again), which errs on letting requests
 * through, as a restart does. */
#include <pthread.h>
#include <stdlib.h>

#include "base/clock.h"
#include "base/hmap.h"
#include "throttle.h"

#define MAX_BUCKETS 65536

typedef struct bucket {
    double tokens, at;
} bucket;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static hmap buckets;

int apigw_throttle_take(const char *key, double rate, long long burst)
{
    double now = clock_now();
    int ok = 1;
    pthread_mutex_lock(&mu);
    bucket *b = hmap_get(&buckets, key);
    if (!b) {
        if (hmap_count(&buckets) >= MAX_BUCKETS) hmap_clear(&buckets, free);
        if ((b = malloc(sizeof(*b)))) {
            b->tokens = (double)burst;
            b->at = now;
            if (hmap_put(&buckets, key, b, NULL)) free(b), b = NULL;
        }
    }
    if (b) { /* out of memory: the request passes */
        b->tokens += (now - b->at) * rate;
        if (b->tokens > (double)burst) b->tokens = (double)burst;
        b->at = now;
        if (b->tokens >= 1.0)
            b->tokens -= 1.0;
        else
            ok = 0;
    }
    pthread_mutex_unlock(&mu);
    return ok;
}
