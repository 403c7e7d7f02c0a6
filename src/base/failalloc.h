/* Allocation-failure injection for tests, as curl's torture tests and SQLite's OOM tests do
 * it: a test arms the calling thread to fail its Nth allocation, runs a request, and checks
 * the request failed cleanly; then N+1, until a run makes fewer than N allocations.
 *
 * Counted allocations: the arena's chunks, buf growth, and jansson's values once
 * failalloc_hook_jansson() is called (jansson's allocator hooks are process-wide; the
 * counter is per thread, so background threads are never failed and a walk is
 * deterministic). Disarmed, the cost is one thread-local read per counted allocation. */
#ifndef FERRY_FAILALLOC_H
#define FERRY_FAILALLOC_H
#include <stddef.h>

/* Arms this thread: its nth counted allocation from now fails (n >= 1), once; n = 0 only
 * counts. */
void failalloc_arm(long n);
/* Disarms this thread; returns the number of counted allocations made since the arm. */
long failalloc_disarm(void);
/* 1 when the armed allocation was failed since the last arm. */
int failalloc_fired(void);

/* Suspends counting on this thread (around code that cannot survive a failed allocation,
 * such as jansson's parser); failalloc_release(held) resumes it. Nests. */
long failalloc_hold(void);
void failalloc_release(long held);

/* For allocators: counts one allocation on this thread; 1 means fail it. */
int failalloc_should_fail(void);
/* malloc through the counter (NULL when this is the armed allocation). */
void *failalloc_malloc(size_t n);
/* Routes jansson's allocations through failalloc_malloc. Call before any JSON value exists
 * (values made with one allocator are freed with the same free(), so it is safe anyway). */
void failalloc_hook_jansson(void);

#endif
