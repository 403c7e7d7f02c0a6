/* libFuzzer target: the template language. Parses the input as a template (JSON or YAML with
 * short-form tags), runs the static checks, and when they pass, binds parameters from their
 * defaults, evaluates every condition and resolves every resource's properties and every
 * output with made-up resource values, then orders the resources. Nothing may crash, leak
 * or hang. Seeds: fuzz/corpus/template_fuzz/. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine/stacks/template.h"

static int no_import(void *ud, const char *name, char **value, ferr *e)
{
    (void)ud, (void)value, (void)e;
    return name[0] == 'x' ? 0 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > CFN_TEMPLATE_MAX) return 0;
    ferr e = {0};
    json_t *t = cfn_template_parse((const char *)data, size, &e);
    if (!t) return 0;
    json_t *types = cfn_template_types(t);
    json_decref(types);
    int iam, expand;
    char reason[256];
    cfn_template_capabilities(t, &iam, &expand, reason, sizeof(reason));
    if (cfn_template_check(t, &e)) {
        json_decref(t);
        return 0;
    }
    json_t *decl = json_object_get(t, "Parameters");
    json_t *raw = NULL;
    ferr pe = {0};
    json_t *params = json_object();
    if (!cfn_params_bind(decl, NULL, NULL, &raw, &pe)) {
        const char *k;
        json_t *v;
        json_object_foreach(raw, k, v)
            json_object_set_new(params, k,
                                cfn_param_value(json_object_get(decl, k), json_string_value(v)));
    }
    json_decref(raw);
    /* every resource "exists" with a Ref and an Arn attribute */
    json_t *res = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(t, "Resources"), k, v)
        json_object_set_new(res, k,
                            json_pack("{s:s, s:{s:s}}", "Ref", k, "Attributes", "Arn", "arn:x"));
    cfn_ctx x = {.tpl = t,
                 .account = "123456789012",
                 .region = "us-east-1",
                 .stack_name = "s",
                 .stack_id = "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1",
                 .params = params,
                 .conds = json_object(),
                 .res = res,
                 .strict = 1,
                 .import = no_import,
                 .imports = json_array()};
    ferr re = {0};
    cfn_conditions_all(&x, &re);
    json_object_foreach(json_object_get(t, "Resources"), k, v) {
        ferr r1 = {0};
        json_t *p = cfn_resolve(&x, json_object_get(v, "Properties"), &r1);
        json_decref(p);
    }
    json_object_foreach(json_object_get(t, "Outputs"), k, v) {
        ferr r1 = {0};
        json_t *p = cfn_resolve(&x, json_object_get(v, "Value"), &r1);
        json_decref(p);
    }
    json_t *ids = json_array();
    json_object_foreach(json_object_get(t, "Resources"), k, v)
        json_array_append_new(ids, json_string(k));
    ferr oe = {0};
    json_t *order = cfn_order(t, ids, &oe);
    json_decref(order);
    json_decref(ids);
    json_decref(x.conds);
    json_decref(x.imports);
    json_decref(res);
    json_decref(params);
    json_decref(t);
    return 0;
}
