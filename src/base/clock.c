#include "clock.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double g_offset;

void clock_set_offset(double s)
{
    g_offset = s;
}

double clock_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9 + g_offset;
}

uint64_t clock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct timespec deadline_on(clockid_t clk, double seconds)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    long ns = ts.tv_nsec + (long)((seconds - (double)(long)seconds) * 1e9);
    ts.tv_sec += (time_t)seconds + ns / 1000000000L;
    ts.tv_nsec = ns % 1000000000L;
    return ts;
}

struct timespec clock_deadline(double seconds)
{
    return deadline_on(CLOCK_REALTIME, seconds);
}

struct timespec clock_deadline_mono(double seconds)
{
    return deadline_on(CLOCK_MONOTONIC, seconds);
}

int64_t clock_utc(int year, int month, int day, int hour, int min, int sec)
{
    /* days from 1970-01-01 of a proleptic Gregorian date, the year counted from March */
    int64_t y = year + (month - 1) / 12 - (month < 1);
    int m = ((month - 1) % 12 + 12) % 12 + 1;
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + day - 1;
    int64_t days = era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
    return days * 86400 + (int64_t)hour * 3600 + (int64_t)min * 60 + sec;
}

void clock_iso8601(double t, int millis, char out[32])
{
    time_t s = (time_t)t;
    if ((double)s > t) s--;
    struct tm tm;
    gmtime_r(&s, &tm);
    if (millis) {
        int ms = (int)((t - (double)s) * 1000.0);
        if (ms > 999) ms = 999;
        if (ms < 0) ms = 0;
        char base[24];
        strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(out, 32, "%.20s.%03dZ", base, ms);
    } else {
        strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
}

void clock_amz(time_t t, char out[17])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

void clock_http(double t, char out[40])
{
    time_t s = (time_t)t;
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(out, 40, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i])) return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int finish(struct tm *tm, double frac, int offset_s, double *t)
{
    if (tm->tm_mon < 0 || tm->tm_mon > 11 || tm->tm_mday < 1 || tm->tm_mday > 31 ||
        tm->tm_hour > 23 || tm->tm_min > 59 || tm->tm_sec > 60)
        return -1;
    int64_t s = clock_utc(tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday, tm->tm_hour, tm->tm_min,
                          tm->tm_sec);
    *t = (double)s + frac - offset_s;
    return 0;
}

int clock_parse(const char *s, double *t)
{
    if (!s || !*s) return -1;
    const char *p = s;
    struct tm tm = {0};
    int y, mo, d, h, mi, se;
    /* plain epoch seconds: digits with an optional fraction, nothing else (strtod would
     * also take "nan", "inf" and hex); an 8-digit run is a basic-format date below */
    size_t nd = strspn(s, "0123456789");
    if (nd && nd != 8 &&
        (s[nd] == 0 ||
         (s[nd] == '.' && s[nd + 1] && strspn(s + nd + 1, "0123456789") == strlen(s + nd + 1)))) {
        *t = strtod(s, NULL);
        return 0;
    }
    if (!digits(&p, 4, &y)) {
        int basic = (*p != '-');
        if (!basic) p++;
        if (digits(&p, 2, &mo)) return -1;
        if (!basic && *p++ != '-') return -1;
        if (digits(&p, 2, &d)) return -1;
        tm.tm_year = y - 1900;
        tm.tm_mon = mo - 1;
        tm.tm_mday = d;
        if (*p == 0) return finish(&tm, 0, 0, t);
        if (*p != 'T' && *p != 't' && *p != ' ') return -1;
        p++;
        if (digits(&p, 2, &h)) return -1;
        if (!basic && *p++ != ':') return -1;
        if (digits(&p, 2, &mi)) return -1;
        if (!basic && *p++ != ':') return -1;
        if (digits(&p, 2, &se)) return -1;
        tm.tm_hour = h;
        tm.tm_min = mi;
        tm.tm_sec = se;
        double frac = 0;
        if (*p == '.') {
            double scale = 0.1;
            p++;
            if (!isdigit((unsigned char)*p)) return -1;
            while (isdigit((unsigned char)*p)) {
                frac += (*p - '0') * scale;
                scale /= 10;
                p++;
            }
        }
        int off = 0;
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p == '-' ? -1 : 1, oh, om;
            p++;
            if (digits(&p, 2, &oh)) return -1;
            if (*p == ':') p++;
            if (digits(&p, 2, &om)) return -1;
            off = sign * (oh * 3600 + om * 60);
        }
        if (*p) return -1;
        return finish(&tm, frac, off, t);
    }
    /* RFC 7231: "Sun, 06 Nov 1994 08:49:37 GMT" */
    memset(&tm, 0, sizeof(tm));
    const char *r = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (r && *r == 0) return finish(&tm, 0, 0, t);
    return -1;
}
