/* Threads that nobody joins (the stack engine's runners and steps). */
#ifndef FERRY_THREAD_H
#define FERRY_THREAD_H

/* Starts fn(arg) on a detached thread. 0, or -1 when no thread could start (arg is then
 * still the caller's). */
int thread_start_detached(void *(*fn)(void *), void *arg);

#endif
