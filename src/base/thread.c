#include "thread.h"

#include <pthread.h>

int thread_start_detached(void *(*fn)(void *), void *arg)
{
    pthread_attr_t at;
    if (pthread_attr_init(&at)) return -1;
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_t th;
    int rc = pthread_create(&th, &at, fn, arg);
    pthread_attr_destroy(&at);
    return rc ? -1 : 0;
}
