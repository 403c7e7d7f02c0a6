/* libFuzzer target: CloudFormation dynamic references (src/engine/stacks/dynref.c). The
 * input is parsed as one reference, substituted inside a string (every kind resolved to a
 * fixed value) and checked for ssm-secure placement as a resource property. Nothing may
 * crash, leak or hang; a parsed reference has a name. Seeds: fuzz/corpus/dynref_fuzz/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/stacks/dynref.h"

static int fixed(void *ud, const cfn_dynref *r, char **value, ferr *e)
{
    (void)ud;
    if (!r->name || !*r->name) abort();
    *value = strdup(r->kind == CFN_DYN_SECRETS ? "secret" : "value");
    return *value ? 0 : ferr_oom(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) return 0;
    ferr e = {0};
    cfn_dynref r;
    if (cfn_dynref_parse((const char *)data, size, &r, &e) == 1) {
        if (!r.name || !*r.name || r.version < 0) abort();
        cfn_dynref_dispose(&r);
    }
    json_t *s = json_stringn_nocheck((const char *)data, size);
    json_t *props = s ? json_pack("{s:o, s:[O]}", "Value", s, "List", s) : NULL;
    json_t *tpl = props ? json_pack("{s:{s:{s:s, s:O}}}", "Resources", "R", "Type",
                                    "AWS::IAM::User", "Properties", props)
                        : NULL;
    json_t *out = props ? cfn_dynref_subst(props, CFN_DYN_ALL, fixed, NULL, &e) : NULL;
    if (tpl) cfn_dynref_check(tpl, &e);
    json_decref(out);
    json_decref(tpl);
    json_decref(props);
    return 0;
}
