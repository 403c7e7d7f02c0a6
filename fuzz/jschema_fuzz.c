/* libFuzzer target: JSON Schema draft 4 (src/base/jschema.c), as API Gateway models use it.
 * The input is a schema, then (after a NUL byte) a document; without one, the schema is
 * validated against itself. The check and the validation must end, within their bounds,
 * whatever the schema's $ref cycles, nesting and patterns; a schema refers to other models
 * by name ("#" refs to itself through the resolver too).
 * Seeds: fuzz/corpus/jschema_fuzz/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/jschema.h"

static const json_t *self(void *ud, const char *ref)
{
    (void)ref;
    return ud;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t sl = nul ? (size_t)(nul - data) : size;
    json_t *schema = json_loadb((const char *)data, sl, JSON_DECODE_ANY, NULL);
    if (!schema) return 0;
    json_t *doc = nul ? json_loadb((const char *)nul + 1, size - sl - 1, JSON_DECODE_ANY, NULL)
                      : json_incref(schema);
    char msg[256];
    int ok = jschema_check(schema, self, schema, msg, sizeof(msg)) == 0;
    if (!ok && !msg[0]) abort(); /* a refusal says why */
    if (doc) {
        json_t *errs = json_array();
        int rc = jschema_validate(schema, doc, self, schema, errs);
        if (rc == 0 && json_array_size(errs)) abort();
        if (rc == 1 && !json_array_size(errs)) abort();
        char *s = jschema_errors_string(errs);
        free(s);
        json_decref(errs);
    }
    json_decref(doc);
    json_decref(schema);
    return 0;
}
