/* AWS schedule expressions (see schedule.h). A cron's fields become bitmaps; the next firing
 * is found by walking forward and skipping a whole year, month, day or hour at a time when
 * it cannot match, so even an expression that matches once in two centuries ends quickly. */
#include "schedule.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const MONTHS[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                     "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
static const char *const DAYS[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

typedef struct field {
    int lo, hi, base;         /* values lo..hi, stored as bit (v - base) */
    const char *const *names; /* names[i] is the value lo + i, or NULL */
    size_t nnames;
} field;

static void set_bit(uint64_t *b, int i)
{
    b[i / 64] |= (uint64_t)1 << (i % 64);
}

static int has_bit(const uint64_t *b, int i)
{
    return (int)((b[i / 64] >> (i % 64)) & 1);
}

/* A number or a name of f at *p: 0 with *v, *p moved past it, or -1. */
static int value(const field *f, const char **p, int *v)
{
    const char *s = *p;
    if (*s >= '0' && *s <= '9') {
        long n = 0;
        while (*s >= '0' && *s <= '9' && n < 100000) n = n * 10 + (*s++ - '0');
        if (n < f->lo || n > f->hi) return -1;
        *v = (int)n;
        *p = s;
        return 0;
    }
    for (size_t i = 0; i < f->nnames; i++)
        if (!strncmp(s, f->names[i], 3)) {
            *v = f->lo + (int)i;
            *p = s + 3;
            return 0;
        }
    return -1;
}

/* One field, s[0..n): '*', ranges, lists and steps, into bits. 0 or -1. */
static int parse_field(const field *f, const char *s, size_t n, uint64_t *bits)
{
    char buf[128];
    if (!n || n >= sizeof(buf)) return -1;
    memcpy(buf, s, n);
    buf[n] = 0;
    const char *p = buf;
    for (;;) {
        int a = f->lo, b = f->hi, step = 1;
        if (*p == '*') {
            p++;
        } else {
            if (value(f, &p, &a)) return -1;
            b = a;
            if (*p == '-') {
                p++;
                if (value(f, &p, &b) || b < a) return -1;
            }
        }
        if (*p == '/') {
            p++;
            if (*p < '1' || *p > '9') return -1;
            step = 0;
            while (*p >= '0' && *p <= '9' && step <= f->hi) step = step * 10 + (*p++ - '0');
            if (step > f->hi) return -1;
            if (a == b) b = f->hi; /* a/n: from a on */
        }
        for (int v = a; v <= b; v += step) set_bit(bits, v - f->base);
        if (!*p) return 0;
        if (*p++ != ',') return -1;
    }
}

static int parse_rate(const char *body, size_t n, sched *s, const char **why)
{
    char buf[64];
    if (n >= sizeof(buf)) return *why = "The rate expression is too long.", -1;
    memcpy(buf, body, n);
    buf[n] = 0;
    char *end;
    if (buf[0] < '1' || buf[0] > '9') return *why = "A rate needs a positive whole number.", -1;
    long v = strtol(buf, &end, 10);
    if (*end != ' ') return *why = "A rate is rate(value unit).", -1;
    end++;
    int hours = !strcmp(end, "hours") || !strcmp(end, "hour");
    int days = !strcmp(end, "days") || !strcmp(end, "day");
    if (!hours && !days) return *why = "The unit of a rate must be hours or days.", -1;
    /* AWS: rotation at most every four hours; days up to 1000 as AutomaticallyAfterDays */
    if (hours && (v < 4 || v > 23))
        return *why = "A rate in hours must be between 4 and 23 hours.", -1;
    if (days && (v < 1 || v > 1000))
        return *why = "A rate in days must be between 1 and 1000 days.", -1;
    s->rate_hours = hours;
    s->rate_s = (double)v * (hours ? 3600.0 : 86400.0);
    return 0;
}

/* The cron's day-of-month field. */
static int parse_dom(const char *p, size_t n, sched *s)
{
    static const field f = {1, 31, 0, NULL, 0};
    uint64_t bits[4] = {0};
    if (n == 1 && *p == '?') return s->dom_any = 1, 0;
    if (n == 1 && *p == 'L') return s->dom_last = 1, 0;
    if (parse_field(&f, p, n, bits)) return -1;
    s->dom = (uint32_t)bits[0];
    return 0;
}

/* The cron's day-of-week field (after day-of-month: '?' there means this one decides). */
static int parse_dow(const char *p, size_t n, sched *s)
{
    static const field f = {1, 7, 0, DAYS, 7};
    uint64_t bits[4] = {0};
    if (n == 1 && *p == '?') return s->dom_any ? -1 : 0;
    if (!s->dom_any) return -1;
    const char *hash = memchr(p, '#', n);
    if (n >= 2 && p[n - 1] == 'L') {
        s->dow_last = 1;
        n--;
    } else if (hash) {
        if (hash + 2 != p + n || hash[1] < '1' || hash[1] > '5') return -1;
        s->dow_nth = hash[1] - '0';
        n = (size_t)(hash - p);
    }
    if (parse_field(&f, p, n, bits)) return -1;
    /* nL and n#k name one weekday */
    if ((s->dow_last || s->dow_nth) && (bits[0] & (bits[0] - 1))) return -1;
    s->dow = (uint32_t)bits[0];
    return 0;
}

static int parse_cron(const char *body, size_t n, sched *s, const char **why)
{
    static const field fmin = {0, 59, 0, NULL, 0}, fhour = {0, 23, 0, NULL, 0},
                       fmon = {1, 12, 0, MONTHS, 12},
                       fyear = {SCHED_YEAR_MIN, SCHED_YEAR_MAX, SCHED_YEAR_MIN, NULL, 0};
    const char *f[6];
    size_t len[6];
    size_t k = 0, i = 0;
    while (i < n && k < 6) {
        while (i < n && body[i] == ' ') i++;
        if (i >= n) break;
        f[k] = body + i;
        while (i < n && body[i] != ' ') i++;
        len[k] = (size_t)(body + i - f[k]);
        k++;
    }
    while (i < n && body[i] == ' ') i++;
    if (k != 6 || i != n)
        return *why = "A cron expression has six fields: minutes hours day-of-month month "
                      "day-of-week year.",
               -1;
    uint64_t m[4] = {0}, h[4] = {0}, mo[4] = {0};
    if (parse_field(&fmin, f[0], len[0], m)) return *why = "The minutes field is not valid.", -1;
    if (parse_field(&fhour, f[1], len[1], h)) return *why = "The hours field is not valid.", -1;
    if (parse_dom(f[2], len[2], s)) return *why = "The day-of-month field is not valid.", -1;
    if (parse_field(&fmon, f[3], len[3], mo)) return *why = "The month field is not valid.", -1;
    if (parse_dow(f[4], len[4], s))
        return *why = "The day-of-week field is not valid: one of day-of-month and day-of-week "
                      "must be ?.",
               -1;
    if (parse_field(&fyear, f[5], len[5], s->year))
        return *why = "The year field is not valid.", -1;
    s->min = m[0];
    s->hour = (uint32_t)h[0];
    s->mon = (uint32_t)mo[0];
    s->cron = 1;
    return 0;
}

int sched_parse(const char *expr, sched *s, const char **why)
{
    memset(s, 0, sizeof(*s));
    *why = "A schedule expression is rate(...) or cron(...).";
    if (!expr) return -1;
    size_t n = strlen(expr);
    if (n < 7 || expr[n - 1] != ')') return -1;
    if (!strncmp(expr, "rate(", 5)) return parse_rate(expr + 5, n - 6, s, why);
    if (!strncmp(expr, "cron(", 5)) return parse_cron(expr + 5, n - 6, s, why);
    return -1;
}

static int leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m) /* m 1-12 */
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return d[m - 1] + (m == 2 && leap(y));
}

static int day_matches(const sched *s, const struct tm *tm)
{
    int y = tm->tm_year + 1900, m = tm->tm_mon + 1, d = tm->tm_mday, last = month_days(y, m);
    if (!s->dom_any) return s->dom_last ? d == last : (int)((s->dom >> d) & 1);
    int wd = tm->tm_wday + 1;
    if (!((s->dow >> wd) & 1)) return 0;
    if (s->dow_nth) return (d - 1) / 7 + 1 == s->dow_nth;
    if (s->dow_last) return d + 7 > last;
    return 1;
}

static double at(int y, int mon0, int mday, int hour, int min)
{
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mon0,
                    .tm_mday = mday,
                    .tm_hour = hour,
                    .tm_min = min};
    return (double)timegm(&tm);
}

double sched_next(const sched *s, double after)
{
    if (!s->cron) return s->rate_s > 0 ? after + s->rate_s : -1;
    if (after < 0) after = -60;
    double t = ((double)(long long)(after / 60.0)) * 60.0 + 60.0;
    for (;;) {
        time_t tt = (time_t)t;
        struct tm tm;
        if (!gmtime_r(&tt, &tm)) return -1;
        int y = tm.tm_year + 1900;
        if (y > SCHED_YEAR_MAX) return -1;
        if (y < SCHED_YEAR_MIN || !has_bit(s->year, y - SCHED_YEAR_MIN)) {
            t = at(y + 1, 0, 1, 0, 0);
        } else if (!((s->mon >> (tm.tm_mon + 1)) & 1)) {
            t = at(y, tm.tm_mon + 1, 1, 0, 0);
        } else if (!day_matches(s, &tm)) {
            t = at(y, tm.tm_mon, tm.tm_mday + 1, 0, 0);
        } else if (!((s->hour >> tm.tm_hour) & 1)) {
            t = at(y, tm.tm_mon, tm.tm_mday, tm.tm_hour + 1, 0);
        } else if (!((s->min >> tm.tm_min) & 1)) {
            t += 60;
        } else {
            return t;
        }
    }
}

int sched_duration(const char *d, int *hours)
{
    if (!d || d[0] < '1' || d[0] > '9') return -1;
    char *end;
    long h = strtol(d, &end, 10);
    if (strcmp(end, "h") || h < 1 || h > 24) return -1;
    *hours = (int)h;
    return 0;
}
