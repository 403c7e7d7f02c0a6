/* Wall-clock helpers and the timestamp formats AWS uses. */
#ifndef FERRY_CLOCK_H
#define FERRY_CLOCK_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>

double clock_now(void);       /* epoch seconds, sub-second precision */
uint64_t clock_mono_ns(void); /* monotonic */
/* The instant `seconds` from now on CLOCK_REALTIME (a pthread_cond_timedwait deadline for
 * a default condition variable), or on CLOCK_MONOTONIC (for one set to that clock). */
struct timespec clock_deadline(double seconds);
struct timespec clock_deadline_mono(double seconds);
/* Test hook: a non-zero offset (seconds) is added to clock_now(). */
void clock_set_offset(double seconds);

/* Epoch seconds of a UTC date and time (month 1-12), as timegm gives them, without its
 * process-wide lock: out-of-range fields count on (February 30 is March 2). */
int64_t clock_utc(int year, int month, int day, int hour, int min, int sec);
/* "2026-11-21T23:41:47Z" (millis=0) or "2026-11-21T23:41:47.123Z" (millis=1). */
void clock_iso8601(double t, int millis, char out[32]);
/* "20261121T234147Z" */
void clock_amz(time_t t, char out[17]);
/* RFC 7231 "Sat, 21 Nov 2026 23:41:47 GMT" */
void clock_http(double t, char out[40]);
/* Parses ISO 8601 (with optional fraction and Z or +hh:mm), the basic
 * "YYYYMMDDTHHMMSSZ" form, RFC 7231 dates, and plain epoch seconds.
 * Returns 0 and sets *t, or -1. */
int clock_parse(const char *s, double *t);

#endif
