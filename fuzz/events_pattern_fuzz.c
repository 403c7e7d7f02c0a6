/* libFuzzer target: EventBridge event patterns (the shared matcher, src/svc/sns/filter.c in
 * SNS_SCOPE_EVENT) and a target's input (src/svc/events/transform.c). The input is split at
 * its first newline into a pattern and an event: the pattern is parsed and, when accepted,
 * matched against the event and fixed events; the event is matched by fixed patterns and run
 * through fixed InputPath / InputTransformer targets, and the pattern text is tried as an
 * InputPath and as a template. Seeds: fuzz/corpus/events_pattern_fuzz/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "svc/events/events_int.h"
#include "svc/sns/filter.h"

static const char *const patterns[] = {
    "{\"source\":[\"a\",{\"prefix\":\"p\"}],\"detail\":{\"x\":[{\"wildcard\":\"*.png\"},{"
    "\"anything-but\":{\"wildcard\":\"t*\"}}]}}",
    "{\"$or\":[{\"detail\":{\"n\":[{\"numeric\":[\">\",0,\"<\",9]}]}},{\"y\":[{\"exists\":false}]}]"
    "}",
};

static const char *const events[] = {
    "{\"source\":\"a\",\"detail\":{\"x\":\"a.png\",\"n\":3,\"l\":[1,{\"x\":\"q\"}]}}",
    "{\"detail\":{}}",
};

static void run_target(const char *target_json, const json_t *ev)
{
    json_t *t = json_loads(target_json, 0, NULL);
    if (!t) return;
    if (!events_target_check(t)) {
        ferr e = {0};
        free(events_target_input(t, ev, "arn:aws:events:r:1:rule/r", "r", &e));
    }
    json_decref(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = 0;
    char *nl = memchr(s, '\n', size);
    size_t plen = nl ? (size_t)(nl - s) : size;
    const char *etext = nl ? nl + 1 : s;
    json_t *ev = json_loads(etext, 0, NULL);
    ferr e = {0};
    sns_filter *f = sns_filter_parse(s, plen, SNS_SCOPE_EVENT, "", &e);
    if (f) {
        if (ev) sns_filter_match(f, NULL, ev);
        for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
            json_t *x = json_loads(events[i], 0, NULL);
            sns_filter_match(f, NULL, x);
            json_decref(x);
        }
        sns_filter_free(f);
    }
    if (ev) {
        for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
            ferr pe = {0};
            sns_filter *p =
                sns_filter_parse(patterns[i], strlen(patterns[i]), SNS_SCOPE_EVENT, "", &pe);
            if (p) sns_filter_match(p, NULL, ev);
            sns_filter_free(p);
        }
        run_target("{\"InputPath\":\"$.detail.l[1].x\"}", ev);
        run_target(
            "{\"InputTransformer\":{\"InputPathsMap\":{\"a\":\"$.detail\",\"b\":\"$.source\"},"
            "\"InputTemplate\":\"{\\\"a\\\": <a>, \\\"s\\\": \\\"<b> <a>\\\"}\"}}",
            ev);
    }
    /* the first line as a path and as a template */
    json_t *t1 = json_pack("{s:s%}", "InputPath", s, plen);
    json_t *t2 = json_pack("{s:{s:{s:s}, s:s%}}", "InputTransformer", "InputPathsMap", "a",
                           "$.detail", "InputTemplate", s, plen);
    json_t *fixed = json_loads(events[0], 0, NULL);
    const json_t *ts[] = {t1, t2};
    for (int i = 0; i < 2; i++) {
        if (ts[i] && !events_target_check(ts[i])) {
            ferr te = {0};
            free(events_target_input(ts[i], fixed, "arn", "r", &te));
        }
    }
    json_decref(t1);
    json_decref(t2);
    json_decref(fixed);
    json_decref(ev);
    free(s);
    return 0;
}
