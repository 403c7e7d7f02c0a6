/* libFuzzer target: base/jdump.c against jansson's own dump. Input: any JSON text; what
 * jansson parses is dumped both ways and must come out the same. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/jdump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (!j) return 0;
    for (int sorted = 0; sorted < 2; sorted++) {
        char *want = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | (sorted ? JSON_SORT_KEYS : 0));
        buf b;
        buf_init(&b, 0);
        int rc = jdump_ex(&b, j, sorted ? JDUMP_SORT_KEYS : 0);
        if ((rc != 0) != (want == NULL) || (want && strcmp(want, buf_str(&b)))) abort();
        buf_dispose(&b);
        free(want);
    }
    json_decref(j);
    return 0;
}
