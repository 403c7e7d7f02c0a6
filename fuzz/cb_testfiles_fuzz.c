/* libFuzzer target for CodeBuild's test result readers (src/svc/codebuild/testfiles.c): the
 * input's first line names the file-format, the rest is the file. Every case read has a name,
 * a prefix, one of the five statuses and a duration that is not negative. Seeds:
 * fuzz/corpus/cb_testfiles_fuzz/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "svc/codebuild/testfiles.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *nl = memchr(p, '\n', size);
    size_t first = nl ? (size_t)(nl - p) : size;
    char fmt[32];
    if (first >= sizeof(fmt)) return 0;
    memcpy(fmt, p, first);
    fmt[first] = 0;
    const char *rest = nl ? nl + 1 : p + size;
    json_t *cases = json_array();
    if (!cases) return 0;
    ferr e = {0};
    cb_testfile_parse(fmt, rest, size - (size_t)(rest - p), cases, &e);
    size_t i;
    json_t *c;
    static const char *const ok[] = {"SUCCEEDED", "FAILED", "SKIPPED", "ERROR", "UNKNOWN"};
    json_array_foreach(cases, i, c) {
        const char *st = json_string_value(json_object_get(c, "status"));
        int known = 0;
        for (size_t k = 0; st && k < 5; k++) known |= !strcmp(st, ok[k]);
        if (!known || !json_is_string(json_object_get(c, "name")) ||
            !json_is_string(json_object_get(c, "prefix")) ||
            json_integer_value(json_object_get(c, "durationInNanoSeconds")) < 0)
            abort();
    }
    json_decref(cases);
    return 0;
}
