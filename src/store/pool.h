/* What the SQL backends (sqlite.c, postgres.c) share: the statements they prepare, a free
 * list of idle connections, and the background thread that enforces audit retention (and
 * the backend's own upkeep) on a tick. */
#ifndef FERRY_STORE_POOL_H
#define FERRY_STORE_POOL_H
#include <pthread.h>

#include "store.h"

/* The statements both backends prepare, each in its own SQL (a backend numbers its own
 * from ST_SHARED on). */
enum {
    ST_GET,
    ST_PUT,
    ST_INSERT,
    ST_DEL,
    ST_AUDIT,
    ST_MQ_PUT,
    ST_MQ_GET,
    ST_MQ_UPDATE,
    ST_MQ_DEL,
    ST_MQ_SCAN,
    ST_MQ_SCAN_GROUPS,
    ST_MQ_COUNT,
    ST_MQ_NEXT,
    ST_MQ_PURGE,
    ST_MQ_PURGE_KEYS,
    ST_MQ_KEY_GET,
    ST_MQ_KEY_PUT,
    ST_MQ_KEY_EXPIRE,
    ST_SHARED
};

/* Idle connections, last in first out (the warmest first). Thread-safe. */
typedef struct store_pool {
    pthread_mutex_t mu;
    void **v;
    size_t n, cap;
} store_pool;

void store_pool_init(store_pool *p);
/* An idle connection (the caller's now), or NULL: open one. */
void *store_pool_take(store_pool *p);
/* Gives c back; when it cannot be kept (out of memory) it is freed with conn_free. */
void store_pool_give(store_pool *p, void *c, void (*conn_free)(void *));
/* Frees every idle connection and the list. */
void store_pool_dispose(store_pool *p, void (*conn_free)(void *));

/* tick(ud, retention) runs every period seconds on the ticker's thread. */
typedef struct store_ticker {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop, running;
    store_retention retention; /* under mu */
    double period;
    void (*tick)(void *ud, const store_retention *r);
    void *ud;
} store_ticker;

/* 0, or -1 when the thread could not start (then nothing runs: the backend says so). */
int store_ticker_start(store_ticker *t, double period,
                       void (*tick)(void *ud, const store_retention *r), void *ud);
void store_ticker_stop(store_ticker *t); /* waits for the tick in progress */
void store_ticker_retention(store_ticker *t, const store_retention *r);
/* 1 once stop was asked: a long tick ends early. */
int store_ticker_stopping(store_ticker *t);

#endif
