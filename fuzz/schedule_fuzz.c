/* libFuzzer target: AWS schedule expressions (src/base/schedule.c), as RotateSecret's
 * RotationRules.ScheduleExpression arrives. Whatever parses must give a next firing that is
 * after the instant asked about, on a whole minute for a cron, and never loop. Seeds:
 * fuzz/corpus/schedule_fuzz/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/schedule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char expr[256];
    if (size >= sizeof(expr)) return 0;
    memcpy(expr, data, size);
    expr[size] = 0;
    sched s;
    const char *why = NULL;
    if (sched_parse(expr, &s, &why)) {
        if (!why) abort();
        return 0;
    }
    static const double from[] = {0, 1767225600.0 /* 2026-01-01 */, 4102444799.0};
    for (size_t i = 0; i < sizeof(from) / sizeof(from[0]); i++) {
        double t = sched_next(&s, from[i]);
        if (t < 0) continue;
        if (t <= from[i]) abort();
        if (s.cron && (long long)t % 60) abort();
    }
    int h;
    (void)sched_duration(expr, &h);
    return 0;
}
