/* Threads that nobody joins (the stack engine's runners and steps, offloaded service
 * routes, API Gateway's invocations). */
#ifndef FERRY_THREAD_H
#define FERRY_THREAD_H

/* Runs fn(arg) on a detached thread: an idle one left by earlier work, or a new one.
 * 0, or -1 when no thread could start (arg is then still the caller's). */
int thread_start_detached(void *(*fn)(void *), void *arg);

#endif
