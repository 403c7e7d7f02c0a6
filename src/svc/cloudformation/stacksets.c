/* StackSets with self-managed permissions: the stack set lives in the administrator
 * account and region; operations (CreateStackInstances, UpdateStackSet,
 * DeleteStackInstances) run in the background (engine/stacks/stackset.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "auth/regions.h"
#include "base/clock.h"
#include "base/ids.h"
#include "base/jval.h"
#include "cloudformation_int.h"
#include "engine/stacks/engine.h"
#include "engine/stacks/stackset.h"
#include "engine/stacks/template.h"

static int auth(call *c, const char *action, const char *name)
{
    char act[128];
    snprintf(act, sizeof(act), "cloudformation:%s", action);
    const char *res = name ? arena_printf(c->a, "arn:%s:cloudformation:%s:%s:stackset/%s:*",
                                          arn_partition(c->region), c->region, c->account, name)
                           : "*";
    return call_authorize(c, act, res);
}

static int load_set(call *c, const char *name, json_t **set)
{
    store_key k = {CFN_KIND_STACKSET, c->account, c->region, name ? name : ""};
    int rc = store_get(c->txn, &k, set, c->err);
    if (rc < 0) return -1;
    if (rc == 0 || !strcmp(jstr(*set, "Status"), "DELETED")) {
        if (rc == 1) json_decref(*set);
        return ferr_set(c->err, 404, "StackSetNotFoundException", "StackSet %s not found",
                        name ? name : "");
    }
    return 0;
}

/* NULL with the error in c->err. */
static json_t *list_kind(call *c, const char *kind, const char *prefix)
{
    json_t *arr;
    return cfn_docs_list(c->txn, kind, c->account, c->region, prefix, NULL, &arr, c->err) ? NULL
                                                                                          : arr;
}

/* NULL: out of memory. */
static json_t *view(const json_t *d)
{
    json_t *v = json_object();
    int rc = !v;
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)d, k, x)
        if (k[0] != '_') rc |= json_object_set(v, k, x);
    return jdone(v, rc);
}

static int busy(call *c, const char *name)
{
    char prefix[200];
    snprintf(prefix, sizeof(prefix), "%s/", name);
    json_t *ops = list_kind(c, CFN_KIND_SSOP, prefix);
    if (!ops) return -1;
    size_t i;
    json_t *o;
    int b = 0;
    json_array_foreach(ops, i, o) b |= !strcmp(jstr(o, "Status"), "RUNNING");
    json_decref(ops);
    if (b)
        return ferr_set(c->err, 409, "OperationInProgressException",
                        "Another Operation on StackSet %s is in progress", name);
    return 0;
}

/* Template, parameters and capabilities as CreateStack would take them (no stack yet). */
static int check_template(call *c, const json_t *in, cfn_prep *p)
{
    json_t *probe = json_deep_copy(in);
    json_object_del(probe, "RoleARN");
    /* parameters may be left to the instances' overrides: bind with defaults only when given */
    int rc = cfnsvc_prepare(c, probe, NULL, p);
    json_decref(probe);
    return rc;
}

int cloudformation_op_create_stack_set(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "StackSetName");
    if (cfnsvc_valid_name(c, name, "stackSetName") || auth(c, "CreateStackSet", name)) return -1;
    const char *pm = jstr(in, "PermissionModel");
    if (pm && strcmp(pm, "SELF_MANAGED"))
        return ferr_validation(
            c->err, "PermissionModel %s is not supported by ferry yet; use SELF_MANAGED", pm);
    store_key k = {CFN_KIND_STACKSET, c->account, c->region, name};
    json_t *cur = NULL;
    int rc = store_get(c->txn, &k, &cur, c->err);
    if (rc < 0) return -1;
    if (rc == 1 && strcmp(jstr(cur, "Status"), "DELETED")) {
        json_decref(cur);
        return ferr_set(c->err, 409, "NameAlreadyExistsException", "StackSet %s already exists",
                        name);
    }
    json_decref(cur);
    cfn_prep p;
    if (check_template(c, in, &p)) return -1;
    char uuid[37];
    ids_uuid(uuid);
    char *id = arena_printf(c->a, "%s:%s", name, uuid);
    const char *admin = jstr(in, "AdministrationRoleARN");
    char *dflt_admin =
        arena_printf(c->a, "arn:%s:iam::%s:role/AWSCloudFormationStackSetAdministrationRole",
                     arn_partition(c->region), c->account);
    const char *execn = jstr(in, "ExecutionRoleName");
    json_t *set = json_pack(
        "{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:s, s:s, s:{s:s}}", "StackSetName", name,
        "StackSetId", id, "Status", "ACTIVE", "TemplateBody", p.body, "Parameters",
        json_object_get(in, "Parameters") ? json_deep_copy(json_object_get(in, "Parameters"))
                                          : json_array(),
        "Capabilities",
        json_object_get(in, "Capabilities") ? json_deep_copy(json_object_get(in, "Capabilities"))
                                            : json_array(),
        "Tags",
        json_object_get(in, "Tags") ? json_deep_copy(json_object_get(in, "Tags")) : json_array(),
        "StackSetARN",
        arena_printf(c->a, "arn:%s:cloudformation:%s:%s:stackset/%s", arn_partition(c->region),
                     c->region, c->account, id),
        "AdministrationRoleARN", admin ? admin : dflt_admin, "ExecutionRoleName",
        execn ? execn : "AWSCloudFormationStackSetExecutionRole", "PermissionModel", "SELF_MANAGED",
        "StackSetDriftDetectionDetails", "DriftStatus", "NOT_CHECKED");
    cfnsvc_prep_dispose(&p);
    if (!set || (jstr(in, "Description") &&
                 json_object_set(set, "Description", json_object_get(in, "Description"))))
        rc = ferr_oom(c->err);
    else
        rc = store_put(c->txn, &k, set, c->err);
    json_decref(set);
    if (rc) return -1;
    call_resource(c, "AWS::CloudFormation::StackSet", id);
    *out = svc_out(c, json_pack("{s:s}", "StackSetId", id));
    return 0;
}

int cloudformation_op_describe_stack_set(call *c, json_t *in, json_t **out)
{
    json_t *set = NULL;
    const char *name = jstr(in, "StackSetName");
    if (auth(c, "DescribeStackSet", name) || load_set(c, name, &set)) return -1;
    *out = svc_out(c, json_pack("{s:o}", "StackSet", view(set)));
    json_decref(set);
    return 0;
}

int cloudformation_op_list_stack_sets(call *c, json_t *in, json_t **out)
{
    if (auth(c, "ListStackSets", NULL)) return -1;
    json_t *all = list_kind(c, CFN_KIND_STACKSET, NULL);
    if (!all) return -1;
    const char *status = jstr(in, "Status");
    json_t *sums = json_array();
    int bad = !sums;
    size_t i;
    json_t *d;
    json_array_foreach(all, i, d) {
        if (status && strcmp(status, jstr(d, "Status"))) continue;
        json_t *s = json_pack(
            "{s:O, s:O, s:O, s:O, s:s}", "StackSetName", json_object_get(d, "StackSetName"),
            "StackSetId", json_object_get(d, "StackSetId"), "Status", json_object_get(d, "Status"),
            "PermissionModel", json_object_get(d, "PermissionModel"), "DriftStatus", "NOT_CHECKED");
        if (jstr(d, "Description"))
            bad |= json_object_set(s, "Description", json_object_get(d, "Description"));
        bad |= json_array_append_new(sums, s);
    }
    json_decref(all);
    if (bad) {
        json_decref(sums);
        return ferr_oom(c->err);
    }
    return cfnsvc_page(c, in, sums, jint(in, "MaxResults", 100), "Summaries", "InvalidNextToken",
                       out);
}

static int check_prefs(call *c, const json_t *prefs)
{
    json_t *mc = json_object_get(prefs, "MaxConcurrentCount"),
           *mp = json_object_get(prefs, "MaxConcurrentPercentage");
    json_t *fc = json_object_get(prefs, "FailureToleranceCount"),
           *fp = json_object_get(prefs, "FailureTolerancePercentage");
    if ((mc && mp) || (fc && fp))
        return ferr_validation(c->err, "You can specify either a count or a percentage, not both.");
    if (mc && json_integer_value(mc) < 1)
        return ferr_validation(c->err, "MaxConcurrentCount must be at least 1");
    if (mc && fc && json_integer_value(fc) >= json_integer_value(mc))
        return ferr_validation(c->err,
                               "MaxConcurrentCount must be greater than FailureToleranceCount");
    return 0;
}

/* Starts an operation over targets (accounts x regions). */
static int start_op(call *c, json_t *set, const char *action, json_t *targets, const json_t *in,
                    json_t **out)
{
    const char *name = jstr(set, "StackSetName");
    json_t *prefs = json_object_get(in, "OperationPreferences");
    if (check_prefs(c, prefs) || busy(c, name)) return -1;
    char opid[40];
    const char *given = jstr(in, "OperationId");
    if (given)
        snprintf(opid, sizeof(opid), "%.36s", given);
    else
        ids_uuid(opid);
    char key[256];
    snprintf(key, sizeof(key), "%s/%s", name, opid);
    store_key ok = {CFN_KIND_SSOP, c->account, c->region, key};
    json_t *exist = NULL;
    int rc = store_get(c->txn, &ok, &exist, c->err);
    json_decref(exist);
    if (rc < 0) return -1;
    if (rc == 1)
        return ferr_set(c->err, 409, "OperationIdAlreadyExistsException",
                        "The specified operation ID already exists: %s", opid);
    json_t *results = json_array();
    int bad = !results;
    size_t i;
    json_t *t;
    json_array_foreach(targets, i, t)
        bad |= json_array_append_new(
            results, json_pack("{s:O, s:O, s:s, s:{s:s}}", "Account", json_object_get(t, "Account"),
                               "Region", json_object_get(t, "Region"), "Status", "PENDING",
                               "AccountGateResult", "Status", "SKIPPED"));
    json_t *op = json_pack("{s:s, s:O, s:s, s:s, s:f, s:O, s:O, s:o, s:s}", "OperationId", opid,
                           "StackSetId", json_object_get(set, "StackSetId"), "Action", action,
                           "Status", "RUNNING", "CreationTimestamp", clock_now(),
                           "AdministrationRoleARN", json_object_get(set, "AdministrationRoleARN"),
                           "ExecutionRoleName", json_object_get(set, "ExecutionRoleName"),
                           "_Results", jdone(results, bad), "_StackSetName", name);
    bad = json_object_set_new(op, "OperationPreferences",
                              prefs ? json_deep_copy(prefs) : json_object()) ||
          (!strcmp(action, "DELETE") &&
           json_object_set_new(op, "RetainStacks",
                               json_boolean(json_is_true(json_object_get(in, "RetainStacks")))));
    rc = bad ? ferr_oom(c->err) : store_put(c->txn, &ok, op, c->err);
    json_decref(op);
    if (rc) return -1;
    cfn_stackset_kick(c->env, c->account, c->region, name, opid);
    *out = svc_out(c, json_pack("{s:s}", "OperationId", opid));
    return 0;
}

static json_t *targets_of(call *c, const json_t *in)
{
    json_t *accts = json_object_get(in, "Accounts"), *regions = json_object_get(in, "Regions");
    if (!json_array_size(accts) && json_object_get(in, "DeploymentTargets"))
        accts = json_object_get(json_object_get(in, "DeploymentTargets"), "Accounts");
    if (!json_array_size(accts) || !json_array_size(regions)) {
        ferr_validation(c->err, "Accounts and Regions must be specified");
        return NULL;
    }
    size_t i, j;
    json_t *r, *a;
    /* an instance in a region no request may be signed for could never be reached */
    json_array_foreach(regions, i, r)
        if (!json_is_string(r) || !regions_known(json_string_value(r))) {
            ferr_validation(c->err, "Region %.128s is not a region this endpoint serves",
                            json_is_string(r) ? json_string_value(r) : "");
            return NULL;
        }
    json_t *out = json_array();
    /* AWS deploys region by region */
    json_array_foreach(regions, i, r)
        json_array_foreach(accts, j, a) {
            const char *acct = json_string_value(a);
            if (!acct || strlen(acct) != 12 || strspn(acct, "0123456789") != 12) {
                json_decref(out);
                ferr_validation(c->err,
                                "1 validation error detected: Value '[%s]' at 'accounts' failed to "
                                "satisfy constraint: Member must satisfy regular expression "
                                "pattern: ^[0-9]{12}$",
                                acct ? acct : "");
                return NULL;
            }
            if (json_array_append_new(out, json_pack("{s:O, s:O}", "Account", a, "Region", r))) {
                json_decref(out);
                ferr_oom(c->err);
                return NULL;
            }
        }
    return out;
}

int cloudformation_op_create_stack_instances(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "StackSetName");
    json_t *set = NULL;
    if (auth(c, "CreateStackInstances", name) || load_set(c, name, &set)) return -1;
    json_t *targets = targets_of(c, in);
    int rc = targets ? 0 : -1;
    size_t i;
    json_t *t;
    json_array_foreach(targets, i, t) {
        if (rc) break;
        char id[400];
        snprintf(id, sizeof(id), "%s/%s/%s", name, jstr(t, "Account"), jstr(t, "Region"));
        store_key k = {CFN_KIND_SSINST, c->account, c->region, id};
        json_t *inst = NULL;
        int f = store_get(c->txn, &k, &inst, c->err);
        if (f < 0) {
            rc = -1;
            break;
        }
        if (f == 0)
            inst = json_pack("{s:O, s:O, s:O, s:s, s:s, s:{s:s}, s:s}", "StackSetId",
                             json_object_get(set, "StackSetId"), "Region",
                             json_object_get(t, "Region"), "Account", json_object_get(t, "Account"),
                             "Status", "OUTDATED", "StatusReason", "User Initiated",
                             "StackInstanceStatus", "DetailedStatus", "PENDING", "DriftStatus",
                             "NOT_CHECKED");
        json_t *po = json_object_get(in, "ParameterOverrides");
        if (!inst || (po && json_object_set(inst, "ParameterOverrides", po)))
            rc = ferr_oom(c->err);
        else
            rc = store_put(c->txn, &k, inst, c->err);
        json_decref(inst);
    }
    if (!rc) rc = start_op(c, set, "CREATE", targets, in, out);
    json_decref(targets);
    json_decref(set);
    return rc;
}

int cloudformation_op_delete_stack_instances(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "StackSetName");
    json_t *set = NULL;
    if (auth(c, "DeleteStackInstances", name) || load_set(c, name, &set)) return -1;
    if (!json_object_get(in, "RetainStacks")) {
        json_decref(set);
        return ferr_validation(
            c->err, "1 validation error detected: Value null at 'retainStacks' failed to "
                    "satisfy constraint: Member must not be null");
    }
    json_t *targets = targets_of(c, in);
    int rc = targets ? start_op(c, set, "DELETE", targets, in, out) : -1;
    json_decref(targets);
    json_decref(set);
    return rc;
}

int cloudformation_op_update_stack_set(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "StackSetName");
    json_t *set = NULL;
    if (auth(c, "UpdateStackSet", name) || load_set(c, name, &set)) return -1;
    int rc = busy(c, name);
    if (!rc && !json_is_true(json_object_get(in, "UsePreviousTemplate")) &&
        !jstr(in, "TemplateBody") && !jstr(in, "TemplateURL"))
        rc = ferr_validation(c->err, "Either Template URL or Template Body must be specified.");
    json_t *probe = json_deep_copy(in);
    if (!rc && !probe) rc = ferr_oom(c->err);
    if (!rc && json_is_true(json_object_get(in, "UsePreviousTemplate"))) {
        json_object_del(probe, "UsePreviousTemplate");
        if (json_object_set(probe, "TemplateBody", json_object_get(set, "TemplateBody")))
            rc = ferr_oom(c->err);
    }
    cfn_prep p = {0};
    if (!rc) rc = check_template(c, probe, &p);
    json_decref(probe);
    if (!rc) {
        /* what the request gives replaces what the set had */
        static const char *const given[] = {
            "Parameters",  "Capabilities",          "Tags",
            "Description", "AdministrationRoleARN", "ExecutionRoleName"};
        int bad = json_object_set_new(set, "TemplateBody", json_string(p.body));
        for (size_t g = 0; !bad && g < sizeof(given) / sizeof(given[0]); g++) {
            json_t *v = json_object_get(in, given[g]);
            /* Description and the roles count when they are text */
            if (v && (g < 3 || json_is_string(v))) bad = json_object_set(set, given[g], v);
        }
        store_key k = {CFN_KIND_STACKSET, c->account, c->region, name};
        rc = bad ? ferr_oom(c->err) : store_put(c->txn, &k, set, c->err);
    }
    cfnsvc_prep_dispose(&p);
    /* every instance (or those named) is updated */
    json_t *targets = NULL;
    if (!rc) {
        if (json_object_get(in, "Accounts") || json_object_get(in, "Regions"))
            targets = targets_of(c, in);
        else {
            char prefix[200];
            snprintf(prefix, sizeof(prefix), "%s/", name);
            json_t *insts = list_kind(c, CFN_KIND_SSINST, prefix);
            targets = insts ? json_array() : NULL;
            int bad = 0;
            size_t i;
            json_t *d;
            json_array_foreach(insts, i, d)
                bad |= json_array_append_new(
                    targets, json_pack("{s:O, s:O}", "Account", json_object_get(d, "Account"),
                                       "Region", json_object_get(d, "Region")));
            json_decref(insts);
            targets = jdone(targets, bad);
            if (insts && !targets) ferr_oom(c->err);
        }
        if (!targets) rc = -1;
    }
    if (!rc) rc = start_op(c, set, "UPDATE", targets, in, out);
    json_decref(targets);
    json_decref(set);
    return rc;
}

int cloudformation_op_delete_stack_set(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *name = jstr(in, "StackSetName");
    json_t *set = NULL;
    if (auth(c, "DeleteStackSet", name) || load_set(c, name, &set)) return -1;
    char prefix[200];
    snprintf(prefix, sizeof(prefix), "%s/", name);
    json_t *insts = list_kind(c, CFN_KIND_SSINST, prefix);
    int rc = insts ? 0 : -1;
    if (!rc && json_array_size(insts))
        rc = ferr_set(c->err, 409, "StackSetNotEmptyException",
                      "StackSet %s cannot be deleted while it still has StackInstances", name);
    if (!rc) rc = busy(c, name);
    if (!rc) {
        store_key k = {CFN_KIND_STACKSET, c->account, c->region, name};
        rc = json_object_set_new(set, "Status", json_string("DELETED"))
                 ? ferr_oom(c->err)
                 : store_put(c->txn, &k, set, c->err);
    }
    json_decref(insts);
    json_decref(set);
    return rc;
}

static json_t *inst_view(const json_t *d)
{
    json_t *v = view(d);
    json_object_del(v, "ParameterOverrides");
    return v;
}

int cloudformation_op_list_stack_instances(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "StackSetName");
    json_t *set = NULL;
    if (auth(c, "ListStackInstances", name) || load_set(c, name, &set)) return -1;
    json_decref(set);
    char prefix[200];
    snprintf(prefix, sizeof(prefix), "%s/", name);
    json_t *insts = list_kind(c, CFN_KIND_SSINST, prefix);
    if (!insts) return -1;
    const char *fa = jstr(in, "StackInstanceAccount"), *fr = jstr(in, "StackInstanceRegion");
    json_t *sums = json_array();
    int bad = !sums;
    size_t i;
    json_t *d;
    json_array_foreach(insts, i, d) {
        if ((fa && strcmp(fa, jstr(d, "Account"))) || (fr && strcmp(fr, jstr(d, "Region"))))
            continue;
        bad |= json_array_append_new(sums, inst_view(d));
    }
    json_decref(insts);
    if (bad) {
        json_decref(sums);
        return ferr_oom(c->err);
    }
    return cfnsvc_page(c, in, sums, jint(in, "MaxResults", 100), "Summaries", "InvalidNextToken",
                       out);
}

int cloudformation_op_describe_stack_instance(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "StackSetName");
    const char *a = jstr(in, "StackInstanceAccount"), *r = jstr(in, "StackInstanceRegion");
    json_t *set = NULL;
    if (auth(c, "DescribeStackInstance", name) || load_set(c, name, &set)) return -1;
    json_decref(set);
    char id[400];
    snprintf(id, sizeof(id), "%s/%s/%s", name, a ? a : "", r ? r : "");
    store_key k = {CFN_KIND_SSINST, c->account, c->region, id};
    json_t *d = NULL;
    int rc = store_get(c->txn, &k, &d, c->err);
    if (rc < 0) return -1;
    if (rc == 0)
        return ferr_set(c->err, 404, "StackInstanceNotFoundException",
                        "Stack instance in account %s and region %s not found for StackSet %s",
                        a ? a : "", r ? r : "", name);
    json_t *v = view(d);
    json_decref(d);
    *out = json_pack("{s:o}", "StackInstance", v);
    return 0;
}

/* The stack set operation in's StackSetName and OperationId name, after authorizing
 * action on the set: 0 (*d new reference) or -1. */
static int load_operation(call *c, const json_t *in, const char *action, json_t **d)
{
    const char *name = jstr(in, "StackSetName"), *opid = jstr(in, "OperationId");
    json_t *set = NULL;
    if (auth(c, action, name) || load_set(c, name, &set)) return -1;
    json_decref(set);
    char key[256];
    snprintf(key, sizeof(key), "%s/%s", name, opid ? opid : "");
    store_key k = {CFN_KIND_SSOP, c->account, c->region, key};
    int rc = store_get(c->txn, &k, d, c->err);
    if (rc < 0) return -1;
    if (rc == 0)
        return ferr_set(c->err, 404, "OperationNotFoundException", "Operation %s not found",
                        opid ? opid : "");
    return 0;
}

int cloudformation_op_describe_stack_set_operation(call *c, json_t *in, json_t **out)
{
    json_t *d = NULL;
    if (load_operation(c, in, "DescribeStackSetOperation", &d)) return -1;
    *out = json_pack("{s:o}", "StackSetOperation", view(d));
    json_decref(d);
    return 0;
}

static int by_time_desc(const void *a, const void *b)
{
    double x = json_number_value(json_object_get(*(json_t *const *)a, "CreationTimestamp"));
    double y = json_number_value(json_object_get(*(json_t *const *)b, "CreationTimestamp"));
    return x < y ? 1 : x > y ? -1 : 0;
}

int cloudformation_op_list_stack_set_operations(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "StackSetName");
    json_t *set = NULL;
    if (auth(c, "ListStackSetOperations", name) || load_set(c, name, &set)) return -1;
    json_decref(set);
    char prefix[200];
    snprintf(prefix, sizeof(prefix), "%s/", name);
    json_t *ops = list_kind(c, CFN_KIND_SSOP, prefix);
    if (!ops) return -1;
    size_t n = json_array_size(ops);
    json_t **v = malloc((n + 1) * sizeof(*v));
    json_t *sums = v ? json_array() : NULL;
    int bad = !sums;
    for (size_t i = 0; !bad && i < n; i++) v[i] = json_array_get(ops, i);
    if (!bad) qsort(v, n, sizeof(*v), by_time_desc);
    for (size_t i = 0; !bad && i < n; i++) {
        json_t *s = json_pack(
            "{s:O, s:O, s:O, s:O}", "OperationId", json_object_get(v[i], "OperationId"), "Action",
            json_object_get(v[i], "Action"), "Status", json_object_get(v[i], "Status"),
            "CreationTimestamp", json_object_get(v[i], "CreationTimestamp"));
        if (json_object_get(v[i], "EndTimestamp"))
            bad |= json_object_set(s, "EndTimestamp", json_object_get(v[i], "EndTimestamp"));
        if (json_object_get(v[i], "OperationPreferences"))
            bad |= json_object_set(s, "OperationPreferences",
                                   json_object_get(v[i], "OperationPreferences"));
        bad |= json_array_append_new(sums, s);
    }
    free(v);
    json_decref(ops);
    if (bad) {
        json_decref(sums);
        return ferr_oom(c->err);
    }
    return cfnsvc_page(c, in, sums, jint(in, "MaxResults", 100), "Summaries", "InvalidNextToken",
                       out);
}

int cloudformation_op_list_stack_set_operation_results(call *c, json_t *in, json_t **out)
{
    json_t *d = NULL;
    if (load_operation(c, in, "ListStackSetOperationResults", &d)) return -1;
    json_t *res = json_deep_copy(json_object_get(d, "_Results"));
    json_decref(d);
    return cfnsvc_page(c, in, res, jint(in, "MaxResults", 100), "Summaries", "InvalidNextToken",
                       out);
}
