/* libFuzzer target: the SAM transform. Parses the input as a template (JSON or YAML), expands
 * it as SAM (whatever its Transform says), and when that succeeds runs the static checks on
 * the processed template and dumps it, as CreateStack would store it. Nothing may crash,
 * leak or hang. Seeds: fuzz/corpus/sam_fuzz/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "engine/stacks/sam.h"
#include "engine/stacks/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > CFN_TEMPLATE_MAX) return 0;
    ferr e = {0};
    json_t *t = cfn_template_parse((const char *)data, size, &e);
    if (!t) return 0;
    ferr xe = {0};
    json_t *x = sam_expand(t, NULL, &xe);
    if (x) {
        ferr ce = {0};
        cfn_template_check(x, &ce);
        free(json_dumps(x, JSON_COMPACT));
        json_decref(x);
    }
    ferr te = {0};
    if (sam_transform(&t, NULL, &te) == 1) cfn_template_check(t, &te);
    json_decref(t);
    return 0;
}
