/* AWS::CloudFormation::Stack: a nested stack, created, updated and deleted through the same
 * CloudFormation API clients use (svc_invoke as the parent's acting identity), then waited
 * for. AWS: Ref is the nested stack's id; GetAtt Outputs.NAME is its output NAME; a nested
 * stack that fails makes the resource fail with "Embedded stack ARN was not successfully
 * created: REASON". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "svc/cloudformation/cloudformation.h"

#define NESTED_WAIT (12 * 3600.0)

static int ncall(cfn_pctx *p, const char *op, json_t *in, json_t **out)
{
    return svc_invoke(p->env, p->as, p->region, "cloudformation", op, in, out, NULL, p->e);
}

/* NULL: out of memory. */
static json_t *params_list(const json_t *props)
{
    json_t *l = json_array();
    int rc = !l;
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(props, "Parameters"), k, v) {
        char num[64];
        const char *s = json_string_value(v);
        if (json_is_integer(v))
            snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v)), s = num;
        else if (json_is_boolean(v))
            s = json_is_true(v) ? "true" : "false";
        if (json_is_array(v)) {
            /* a list parameter given as a list: comma-joined as AWS does */
            char buf[8192] = "";
            size_t i, n = 0;
            json_t *x;
            json_array_foreach(v, i, x)
                n += (size_t)snprintf(buf + n, n < sizeof(buf) ? sizeof(buf) - n : 0, "%s%s",
                                      i ? "," : "",
                                      json_string_value(x) ? json_string_value(x) : "");
            rc |= json_array_append_new(
                l, json_pack("{s:s, s:s}", "ParameterKey", k, "ParameterValue", buf));
            continue;
        }
        rc |= json_array_append_new(
            l, json_pack("{s:s, s:s}", "ParameterKey", k, "ParameterValue", s ? s : ""));
    }
    return jdone(l, rc);
}

/* NULL: out of memory. */

static json_t *request(cfn_pctx *p, const json_t *props, const char *name_or_id)
{
    json_t *in = json_pack("{s:s, s:o, s:[sss]}", "StackName", name_or_id, "Parameters",
                           params_list(props), "Capabilities", "CAPABILITY_IAM",
                           "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND");
    int rc = !in;
    static const char *const copied[] = {"TemplateURL", "TimeoutInMinutes", "NotificationARNs"};
    for (size_t c = 0; !rc && c < sizeof(copied) / sizeof(copied[0]); c++)
        if (json_object_get(props, copied[c]))
            rc |= json_object_set(in, copied[c], json_object_get(props, copied[c]));
    /* AWS: stack-level tags propagate to nested stacks, the resource's Tags add to them */
    json_t *tags = json_array();
    size_t i;
    json_t *t;
    if (p->tags)
        json_array_foreach(p->tags, i, t) rc |= json_array_append(tags, t);
    json_array_foreach(json_object_get(props, "Tags"), i, t) rc |= json_array_append(tags, t);
    rc |= json_object_set_new(in, "Tags", tags);
    return jdone(in, rc);
}

/* Result for the provider from the nested stack's description. */
static int describe(cfn_pctx *p, const char *id, const char *want, const char *verb,
                    json_t **result)
{
    char status[64] = "";
    if (cfn_engine_wait(p->env, p->account, p->region, id, NESTED_WAIT, status, sizeof(status)))
        return ferr_internal(p->e, "cannot read the nested stack %s", id);
    json_t *in = json_pack("{s:s}", "StackName", id), *out = NULL;
    if (!in) return ferr_oom(p->e);
    int rc = ncall(p, "DescribeStacks", in, &out);
    json_decref(in);
    if (rc) return -1;
    json_t *s = json_array_get(json_object_get(out, "Stacks"), 0);
    const char *st = json_string_value(json_object_get(s, "StackStatus"));
    if (!st || strcmp(st, want)) {
        const char *why = json_string_value(json_object_get(s, "StackStatusReason"));
        ferr_set(p->e, 400, "ValidationError", "Embedded stack %s was not successfully %s: %s", id,
                 verb, why ? why : (st ? st : "unknown status"));
        json_decref(out);
        return -1;
    }
    if (result) {
        json_t *attrs = json_object();
        int bad = !attrs;
        size_t i;
        json_t *o;
        json_array_foreach(json_object_get(s, "Outputs"), i, o) {
            char k[300];
            snprintf(k, sizeof(k), "Outputs.%s",
                     json_string_value(json_object_get(o, "OutputKey")));
            bad |= json_object_set(attrs, k, json_object_get(o, "OutputValue"));
        }
        *result =
            json_pack("{s:s, s:o}", "PhysicalResourceId", id, "Attributes", jdone(attrs, bad));
        if (!*result) {
            json_decref(out);
            return ferr_oom(p->e);
        }
    }
    json_decref(out);
    return 0;
}

static int n_create(cfn_pctx *p, const json_t *props, json_t **result)
{
    if (!json_is_string(json_object_get(props, "TemplateURL")))
        return ferr_validation(p->e, "Property TemplateURL cannot be empty.");
    /* AWS: nested stack names are PARENT-LOGICAL-RANDOM, at most 128 characters */
    char *name = cfn_physical_name(p, 128, 0);
    if (name && cfn_intent(p, name)) { /* n_del takes the name */
        free(name);
        return -1;
    }
    json_t *in = name ? request(p, props, name) : NULL, *out = NULL;
    free(name);
    if (!in) return ferr_oom(p->e);
    int rc = cfn_create_nested_stack(p->env, p->as, p->region, p->stack_id, in, &out, p->e);
    json_decref(in);
    if (rc) return -1;
    char id[512];
    snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(out, "StackId")));
    json_decref(out);
    return describe(p, id, "CREATE_COMPLETE", "created", result);
}

static int n_update(cfn_pctx *p, const char *physical_id, const json_t *old_props,
                    const json_t *new_props, json_t **result)
{
    (void)old_props;
    json_t *in = request(p, new_props, physical_id), *out = NULL;
    if (!in) return ferr_oom(p->e);
    int rc = ncall(p, "UpdateStack", in, &out);
    json_decref(in);
    json_decref(out);
    if (rc) {
        /* AWS: an update the nested stack does not need is not a failure */
        if (strstr(p->e->message, "No updates are to be performed")) {
            ferr_clear(p->e);
            return describe(p, physical_id, "CREATE_COMPLETE", "updated", result) == 0
                       ? 0
                       : (ferr_clear(p->e),
                          describe(p, physical_id, "UPDATE_COMPLETE", "updated", result));
        }
        return -1;
    }
    return describe(p, physical_id, "UPDATE_COMPLETE", "updated", result);
}

static int n_del(cfn_pctx *p, const char *physical_id, const json_t *props)
{
    (void)props;
    char status[64] = "";
    /* a nested stack a crash interrupted is busy rolling back after the restart: it can be
     * deleted once it has settled */
    if (cfn_engine_wait(p->env, p->account, p->region, physical_id, NESTED_WAIT, status,
                        sizeof(status)))
        return ferr_internal(p->e, "cannot read the nested stack %s", physical_id);
    json_t *in = json_pack("{s:s}", "StackName", physical_id), *out = NULL;
    if (!in) return ferr_oom(p->e);
    int rc = ncall(p, "DeleteStack", in, &out);
    json_decref(in);
    json_decref(out);
    if (rc) return -1;
    if (cfn_engine_wait(p->env, p->account, p->region, physical_id, NESTED_WAIT, status,
                        sizeof(status)))
        return ferr_internal(p->e, "cannot read the nested stack %s", physical_id);
    if (*status && strcmp(status, "DELETE_COMPLETE"))
        return ferr_set(p->e, 400, "ValidationError",
                        "Embedded stack %s was not successfully deleted: %s", physical_id, status);
    return 0;
}

const cfn_provider cfn_provider_cfn_stack = {
    .type = "AWS::CloudFormation::Stack",
    .create = n_create,
    .update = n_update,
    .del = n_del,
};
