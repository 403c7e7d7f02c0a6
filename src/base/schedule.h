/* AWS schedule expressions, rate(N unit) and cron(min hour day-of-month month day-of-week
 * year) as Secrets Manager rotation (and EventBridge) write them, always in UTC: parsing and
 * "when does it fire next". Pure: no clock, no I/O, so a test or a fuzzer can drive it.
 *
 * cron fields: numbers, names (JAN-DEC, SUN-SAT with SUN=1), '*', ranges a-b, lists a,b and
 * steps a/n or a-b/n; exactly one of day-of-month and day-of-week is '?'; day-of-month also
 * takes L (the month's last day), day-of-week nL (the month's last weekday n) and n#k (its
 * k-th weekday n). Years 1970-2199. */
#ifndef FERRY_BASE_SCHEDULE_H
#define FERRY_BASE_SCHEDULE_H
#include <stddef.h>
#include <stdint.h>

#define SCHED_YEAR_MIN 1970
#define SCHED_YEAR_MAX 2199

typedef struct sched {
    int cron;       /* 0: rate */
    double rate_s;  /* rate: the interval in seconds */
    int rate_hours; /* rate: 1 when its unit is hours (else days) */
    uint64_t min;   /* cron bitmaps: bit i set when value i matches */
    uint32_t hour, dom, mon, dow;
    uint64_t year[4]; /* bit (y - SCHED_YEAR_MIN) */
    int dom_any;      /* day-of-month is '?' (day-of-week decides) */
    int dom_last;     /* L */
    int dow_nth;      /* n#k: k (1-5), 0 none; the weekday is the one bit of dow */
    int dow_last;     /* nL */
} sched;

/* Parses expr: 0, or -1 with why (a static string). */
int sched_parse(const char *expr, sched *s, const char **why);

/* The first instant strictly after `after` (epoch seconds) when s fires: a rate fires every
 * interval after `after` (the caller passes the last rotation), a cron at the start of each
 * matching minute. -1 when it never fires again. */
double sched_next(const sched *s, double after);

/* A Duration "Nh" (1-24 hours): 0 with *hours, or -1. */
int sched_duration(const char *d, int *hours);

#endif
