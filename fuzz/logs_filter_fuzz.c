/* libFuzzer target: CloudWatch Logs filter patterns (src/svc/logs/filter.c). The input is
 * parsed as a pattern and, when accepted, matched against fixed messages (text, JSON,
 * space-delimited); it is also used as a message against fixed patterns of each syntax.
 * Seeds: fuzz/corpus/logs_filter_fuzz/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "svc/logs/filter.h"

static const char *const patterns[] = {
    "ERROR -Exiting ?WARN \"a phrase\"",
    "{ ($.a.b = \"x*\" || $.n > 5) && $.c IS NULL && $.d NOT EXISTS && $.l[1] != 2 }",
    "[ip, ..., status = 4* || status = 5*, bytes > 1000, ...]",
};

static const char *const messages[] = {
    "ERROR disk full WARN a phrase",
    "{\"a\":{\"b\":\"xy\"},\"n\":7,\"c\":null,\"l\":[1,3]}",
    "10.0.0.1 - - [10/Oct/2000:13:25:15 -0700] \"GET / HTTP/1.0\" 404 2048",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = 0;
    ferr e = {0};
    logs_filter *f = logs_filter_parse(s, &e);
    if (f) {
        for (size_t i = 0; i < sizeof(messages) / sizeof(messages[0]); i++)
            logs_filter_match(f, messages[i], strlen(messages[i]));
        logs_filter_match(f, s, size);
        logs_filter_free(f);
    }
    for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
        ferr pe = {0};
        logs_filter *p = logs_filter_parse(patterns[i], &pe);
        if (!p) abort(); /* the fixed patterns are valid */
        logs_filter_match(p, (const char *)data, size);
        logs_filter_free(p);
    }
    free(s);
    return 0;
}
