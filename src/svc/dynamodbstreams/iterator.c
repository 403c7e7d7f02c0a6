/* DynamoDB Streams shard iterators (iterator.h). */
#include "iterator.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/enc.h"

char *ddbs_iter_format(arena *a, const char *arn, const ddbs_pos *p)
{
    char raw[96];
    int n = snprintf(raw, sizeof(raw), "%c:%s:%lld", p->mode, p->seq, p->expires);
    if (n < 0 || (size_t)n >= sizeof(raw)) return NULL;
    char *b = enc_b64(a, (const unsigned char *)raw, (size_t)n);
    return b ? arena_printf(a, "%s|1|%s", arn, b) : NULL;
}

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

int ddbs_iter_parse(arena *a, const char *it, const char **arn, ddbs_pos *p)
{
    const char *bar = it ? strstr(it, "|1|") : NULL;
    size_t len = 0;
    unsigned char *raw = bar ? enc_unb64(a, bar + 3, strlen(bar + 3), &len) : NULL;
    char buf[96];
    if (!raw || len >= sizeof(buf) || bar == it) return -1;
    memcpy(buf, raw, len);
    buf[len] = 0;
    if (strlen(buf) != len) return -1; /* a NUL inside */
    char *s1 = strchr(buf, ':'), *s2 = s1 ? strchr(s1 + 1, ':') : NULL;
    if (!s1 || !s2 || s1 != buf + 1 || !strchr("ath", buf[0]) || !buf[0]) return -1;
    size_t sl = (size_t)(s2 - s1 - 1), el = strlen(s2 + 1);
    if (sl >= sizeof(p->seq) || !all_digits(s1 + 1, sl) || (buf[0] != 'h' && !sl) || !el ||
        el > 18 || !all_digits(s2 + 1, el))
        return -1;
    p->mode = buf[0];
    memcpy(p->seq, s1 + 1, sl);
    p->seq[sl] = 0;
    p->expires = atoll(s2 + 1);
    *arn = arena_strndup(a, it, (size_t)(bar - it));
    return *arn ? 0 : -2;
}
