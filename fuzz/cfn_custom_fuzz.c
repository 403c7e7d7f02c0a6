/* libFuzzer target: a custom resource's ResponseURL path and response document
 * (src/engine/stacks/stack_custom.c). The input is parsed as both; nothing may crash, leak
 * or hang; a parsed path has every part, a parsed response a Status of SUCCESS or FAILED
 * and an object as Data. Seeds: fuzz/corpus/cfn_custom_fuzz/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/jval.h"
#include "engine/stacks/stack_custom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192) return 0;
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = 0;
    cfn_custom_ref r;
    if (!cfn_custom_ref_parse(s, &r) &&
        (strlen(r.account) != 12 || !*r.region || !*r.uuid || !*r.logical || !*r.request))
        abort();
    ferr e = {0};
    json_t *out = NULL;
    if (!cfn_custom_response_parse((const char *)data, size, &out, &e)) {
        const char *st = jstr(out, "Status");
        if (!st || (strcmp(st, "SUCCESS") && strcmp(st, "FAILED")) ||
            !json_is_object(json_object_get(out, "Data")))
            abort();
    } else if (out || !ferr_isset(&e)) {
        abort();
    }
    json_decref(out);
    free(s);
    return 0;
}
