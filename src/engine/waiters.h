/* Long-poll waiters: a request with nothing to answer yet parks here (its connection is
 * suspended, no thread held) until svc_notify(key) or its deadline. */
#ifndef FERRY_WAITERS_H
#define FERRY_WAITERS_H
#include <stddef.h>
#include <stdint.h>

typedef struct waiters waiters;
/* Called exactly once per registration: final=0 after a notify, 1 at the deadline.
 * Runs on the notifying thread or the timer thread; must not block. */
typedef void (*waiter_fn)(void *arg, int final);

waiters *waiters_new(void);    /* starts the deadline thread; caller owns */
void waiters_free(waiters *w); /* fires every remaining waiter with final=1, then stops */
/* A counter bumped by every notify: read it before looking for work, pass it to add, and
 * a notify that came in between fires the new waiter at once (no lost wake-ups). */
uint64_t waiters_seq(waiters *w);
int waiters_add(waiters *w, const char *key, double deadline, uint64_t seq, waiter_fn fn,
                void *arg);
/* The same for an engine watching a key (not a parked request: waiters_parked omits it). */
int waiters_watch(waiters *w, const char *key, double deadline, uint64_t seq, waiter_fn fn,
                  void *arg);
void waiters_notify(waiters *w, const char *key);
/* How many requests are parked now (GET /_ferry/health shows it to signed callers; tests
 * use it to know a long poll is waiting before they wake it). */
size_t waiters_parked(waiters *w);
/* Fires every waiter now with final=1 (shutdown: answer the parked long polls). */
void waiters_fire_all(waiters *w);

#endif
