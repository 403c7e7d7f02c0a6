/* libFuzzer target: IAM Access Analyzer ValidatePolicy (position-tracking JSON parser and
 * the checks). The first byte picks the policy type and whether it is a trust policy. */
#include <stdint.h>
#include <stdlib.h>

#include "svc/accessanalyzer/policycheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    arena *a = arena_new(0);
    if (!a) return 0;
    ferr e = {0};
    json_t *findings = NULL;
    if (!aa_validate_policy(a, (const char *)data + 1, size - 1, data[0] % 4, data[0] & 4,
                            &findings, &e))
        json_decref(findings);
    arena_free(a);
    return 0;
}
