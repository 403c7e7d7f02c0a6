/* AWS CloudFormation: the Stack API. Handlers check and record; the stack engine
 * (engine/stacks/) does the work in the background, so CreateStack answers at once with
 * the StackId and the stack in CREATE_IN_PROGRESS, as AWS does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/ids.h"
#include "base/jval.h"
#include "cloudformation_int.h"
#include "cloudformation.h"
#include "engine/stacks/engine.h"
#include "engine/stacks/sam.h"
#include "engine/stacks/stack_custom.h"
#include "engine/stacks/template.h"
#include "svc/iam/iam.h"
#include "svc/session.h"

#define TEMPLATE_URL_MAX (1024 * 1024) /* AWS: a template from a URL is at most 1 MB */
#define DESCRIBE_WAIT    10.0          /* see cloudformation_op_describe_stacks */

int cfnsvc_valid_name(call *c, const char *name, const char *member)
{
    /* AWS: [a-zA-Z][-a-zA-Z0-9]*, at most 128 characters */
    size_t n = name ? strlen(name) : 0;
    int ok = n >= 1 && n <= 128 &&
             ((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z'));
    for (size_t i = 1; ok && i < n; i++)
        ok = name[i] == '-' || (name[i] >= 'a' && name[i] <= 'z') ||
             (name[i] >= 'A' && name[i] <= 'Z') || (name[i] >= '0' && name[i] <= '9');
    if (ok) return 0;
    return ferr_validation(c->err,
                           "1 validation error detected: Value '%s' at '%s' failed to "
                           "satisfy constraint: Member must satisfy regular expression "
                           "pattern: [a-zA-Z][-a-zA-Z0-9]*",
                           name ? name : "", member);
}

static char *stack_arn(call *c, const char *name, const char *uuid)
{
    return arena_printf(c->a, "arn:%s:cloudformation:%s:%s:stack/%s/%s", arn_partition(c->region),
                        c->region, c->account, name, uuid ? uuid : "*");
}

int cfnsvc_auth(call *c, const char *action, const char *stack_name, const char *stack_id)
{
    const char *res = "*";
    if (stack_id && !strncmp(stack_id, "arn:", 4))
        res = stack_id;
    else if (stack_name)
        res = stack_arn(c, stack_name, NULL);
    char act[128];
    snprintf(act, sizeof(act), "cloudformation:%s", action);
    return call_authorize(c, act, res);
}

int cfnsvc_page(call *c, const json_t *in, json_t *all, long long max, const char *key,
                const char *bad_token_code, json_t **out)
{
    *out = svc_out(c, json_object());
    int rc = svc_page(c, all, jstr(in, "NextToken"), max, *out, key, "NextToken", bad_token_code);
    json_decref(all);
    return rc;
}

int cfnsvc_load_stack(call *c, const char *name, json_t **stack)
{
    if (!name || !*name)
        return ferr_validation(c->err, "1 validation error detected: Value null at 'stackName' "
                                       "failed to satisfy constraint: Member must not be null");
    int rc = cfn_stack_find(c->txn, c->account, c->region, name, stack, c->err);
    if (rc < 0) return -1;
    if (rc == 0) return ferr_validation(c->err, "Stack with id %s does not exist", name);
    return 0;
}

/* The stack as DescribeStacks shows it: no engine state, NoEcho parameters masked. NULL:
 * out of memory. */
json_t *cfnsvc_stack_view(const json_t *stack)
{
    json_t *v = json_object();
    int rc = !v;
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)stack, k, x)
        if (k[0] != '_') rc |= json_object_set_new(v, k, json_deep_copy(x));
    json_t *noecho = json_object_get(stack, "_noecho");
    size_t i, j;
    json_t *p, *n;
    json_array_foreach(json_object_get(v, "Parameters"), i, p) {
        json_array_foreach(noecho, j, n)
            if (!strcmp(json_string_value(n), jstr(p, "ParameterKey")))
                rc |= json_object_set_new(p, "ParameterValue", json_string("****"));
    }
    return jdone(v, rc);
}

void cfnsvc_prep_dispose(cfn_prep *p)
{
    free(p->body);
    free(p->processed);
    json_decref(p->tpl);
    json_decref(p->raw);
    json_decref(p->plist);
    json_decref(p->noecho);
    memset(p, 0, sizeof(*p));
}

/* TemplateURL (and StackPolicyURL): http(s) only, at most 1 MB, a few seconds; fetched
 * outside the transaction (call_fetch). NULL with c->err set; else the caller frees. */
static char *fetch_url(call *c, const char *url)
{
    if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) {
        ferr_validation(c->err, "TemplateURL must be a supported URL.");
        return NULL;
    }
    const char *body = NULL;
    size_t len = 0;
    int rc = call_fetch(c, url, TEMPLATE_URL_MAX, &body, &len);
    if (rc < 0) return NULL;
    if (rc == 1) {
        ferr_validation(c->err,
                        "Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 "
                        "Error Message: The template at %s could not be read",
                        url);
        return NULL;
    }
    char *copy = strdup(body);
    if (!copy) ferr_oom(c->err);
    return copy;
}

static int has_cap(const json_t *caps, const char *cap)
{
    size_t i;
    json_t *v;
    json_array_foreach(caps, i, v)
        if (json_string_value(v) && !strcmp(json_string_value(v), cap)) return 1;
    return 0;
}

/* RoleARN: the caller must be allowed iam:PassRole on it, and CloudFormation assumes it
 * (its trust policy must name cloudformation.amazonaws.com) through the one path every
 * role assumption takes; the stack then acts as that session, held by CloudFormation. */
static int role_session(call *c, const char *role_arn, principal *as)
{
    char acct[13], name[160];
    if (iamsvc_role_from_arn(role_arn, acct, sizeof(acct), name, sizeof(name)))
        return ferr_validation(c->err,
                               "1 validation error detected: Value '%s' at 'roleARN' "
                               "failed to satisfy constraint: Member must satisfy regular "
                               "expression pattern: arn:.+:iam::[0-9]{12}:role/.+",
                               role_arn);
    if (call_authorize(c, "iam:PassRole", role_arn)) return -1;
    principal cfn;
    session_service_principal(&cfn, "cloudformation.amazonaws.com", acct);
    session_req r = {.role_arn = role_arn, .session_name = "AWSCloudFormation"};
    session s;
    ferr se = {0};
    if (session_assume_as(c->env, c->txn, c->a, &cfn, c->region, &r, &s, &se)) {
        if (se.status >= 500) {
            *c->err = se;
            return -1;
        }
        return ferr_validation(c->err, "Role %s is invalid or cannot be assumed", role_arn);
    }
    *as = s.key.who;
    return 0;
}

int cfnsvc_prepare(call *c, const json_t *in, const json_t *stack, cfn_prep *p)
{
    memset(p, 0, sizeof(*p)); /* Capabilities' values: the model's enum (proto/validate.c) */
    const char *body = jstr(in, "TemplateBody"), *url = jstr(in, "TemplateURL");
    int prev = json_is_true(json_object_get(in, "UsePreviousTemplate"));
    if ((body != NULL) + (url != NULL) + prev > 1)
        return ferr_validation(c->err, "You cannot specify both usePreviousTemplate and Template "
                                       "Body/Template URL");
    if (prev) {
        if (!stack) return ferr_validation(c->err, "UsePreviousTemplate is only valid for updates");
        /* the template as sent: its Transform runs again */
        p->body = cfn_template_original(c->txn, stack, "cur", c->err);
        if (!p->body) return -1;
    } else if (body) {
        if (strlen(body) > CFN_TEMPLATE_MAX)
            return ferr_validation(c->err,
                                   "1 validation error detected: Value '%.40s...' at "
                                   "'templateBody' failed to satisfy constraint: Member "
                                   "must have length less than or equal to 51200",
                                   body);
        p->body = strdup(body);
    } else if (url) {
        p->body = fetch_url(c, url);
        if (!p->body) return -1;
    } else {
        return ferr_validation(c->err, "Either Template URL or Template Body must be specified.");
    }
    p->tpl = cfn_template_parse(p->body, strlen(p->body), c->err);
    if (!p->tpl) goto fail;
    /* the Transform first: the checks and the engine see the processed template */
    int tr = sam_transform(&p->tpl, json_object_get(in, "Parameters"), c->err);
    if (tr < 0) goto fail;
    if (tr && !(p->processed = json_dumps(p->tpl, JSON_COMPACT))) {
        ferr_oom(c->err);
        goto fail;
    }
    if (cfn_template_check(p->tpl, c->err)) goto fail;
    /* AWS: types that do not exist are refused before anything is created */
    json_t *types = cfn_template_types(p->tpl);
    buf bad;
    buf_init(&bad, 8192);
    size_t i;
    json_t *t;
    json_array_foreach(types, i, t)
        if (!cfn_find_provider(json_string_value(t)))
            buf_printf(&bad, "%s%s", bad.len ? ", " : "", json_string_value(t));
    json_decref(types);
    if (bad.len) {
        ferr_validation(c->err, "Template format error: Unrecognized resource types: [%s]",
                        buf_str(&bad));
        buf_dispose(&bad);
        goto fail;
    }
    buf_dispose(&bad);
    json_t *decl = json_object_get(p->tpl, "Parameters");
    if (cfn_params_bind(decl, json_object_get(in, "Parameters"), json_object_get(stack, "_raw"),
                        &p->raw, c->err))
        goto fail;
    p->plist = json_array();
    p->noecho = json_array();
    int oom = !p->plist || !p->noecho;
    const char *k;
    json_t *pd;
    int ssm = 0;
    json_object_foreach(decl, k, pd) {
        oom |= json_array_append_new(p->plist, json_pack("{s:s, s:s}", "ParameterKey", k,
                                                         "ParameterValue", jstr(p->raw, k)));
        json_t *ne = json_object_get(pd, "NoEcho");
        if (json_is_true(ne) || (json_is_string(ne) && !strcasecmp(json_string_value(ne), "true")))
            oom |= json_array_append_new(p->noecho, json_string(k));
        ssm |= cfn_param_is_ssm(pd);
    }
    if (oom) {
        ferr_oom(c->err);
        goto fail;
    }
    /* AWS: SSM parameter types name parameters that must exist when the stack is asked for
     * (the engine reads their values when it runs) */
    json_object_foreach(decl, k, pd) {
        if (!ssm || !cfn_param_is_ssm(pd)) continue;
        json_t *in = json_pack("{s:s}", "Name", jstr(p->raw, k)), *found = NULL;
        ferr se = {0};
        int bad = !in || svc_invoke_in(c->txn, c->a, c->env, c->who, c->region, "ssm",
                                       "GetParameter", in, &found, NULL, &se);
        const char *type = jstr(json_object_get(found, "Parameter"), "Type");
        int secure = !bad && type && !strcmp(type, "SecureString");
        json_decref(in);
        json_decref(found);
        if (!bad && !secure) continue;
        if (secure)
            ferr_validation(c->err,
                            "Parameters [%s] referenced by template have types not supported by "
                            "CloudFormation.",
                            jstr(p->raw, k));
        else
            ferr_validation(c->err,
                            "Unable to fetch parameters [%s] from parameter store for this "
                            "account.",
                            jstr(p->raw, k));
        goto fail;
    }
    /* AWS: "Requires capabilities : [CAPABILITY_IAM]" */
    p->caps = json_object_get(in, "Capabilities");
    int iam = 0, expand = 0;
    char reason[512];
    cfn_template_capabilities(p->tpl, &iam, &expand, reason, sizeof(reason));
    if (iam == 2 && !has_cap(p->caps, "CAPABILITY_NAMED_IAM")) {
        ferr_set(c->err, 400, "InsufficientCapabilitiesException",
                 "Requires capabilities : [CAPABILITY_NAMED_IAM]");
        goto fail;
    }
    if (iam == 1 && !has_cap(p->caps, "CAPABILITY_IAM") &&
        !has_cap(p->caps, "CAPABILITY_NAMED_IAM")) {
        ferr_set(c->err, 400, "InsufficientCapabilitiesException",
                 "Requires capabilities : [CAPABILITY_IAM]");
        goto fail;
    }
    /* the acting identity: a session of RoleARN, the previous role on update, or the caller */
    p->role_arn = jstr(in, "RoleARN");
    if (!p->role_arn && stack) p->role_arn = jstr(stack, "RoleARN");
    if (p->role_arn) {
        if (role_session(c, p->role_arn, &p->as)) goto fail;
    } else {
        p->as = *c->who;
    }
    return 0;
fail:
    cfnsvc_prep_dispose(p);
    return -1;
}

int cfnsvc_store_template(call *c, const json_t *stack, const char *which, const cfn_prep *p)
{
    return cfn_template_store_orig(c->txn, stack, which, p->processed ? p->processed : p->body,
                                   p->processed ? p->body : NULL, c->err);
}

/* AWS: a stack made or updated directly from a template with a Transform needs
 * CAPABILITY_AUTO_EXPAND; through a change set it does not (the changes were shown). */
static int auto_expand_ok(call *c, const cfn_prep *p)
{
    if (!p->processed || has_cap(p->caps, "CAPABILITY_AUTO_EXPAND")) return 0;
    return ferr_set(c->err, 400, "InsufficientCapabilitiesException",
                    "Requires capabilities : [CAPABILITY_AUTO_EXPAND]");
}

static json_t *tags_of(call *c, const json_t *in, int *bad)
{
    json_t *tags = json_object_get(in, "Tags");
    *bad = 0; /* at most 50: the model's */
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t) {
        const char *k = jstr(t, "Key");
        if (k && !strncmp(k, "aws:", 4)) {
            *bad = 1;
            ferr_validation(c->err, "Invalid tag key: aws: prefix is reserved");
            return NULL;
        }
    }
    return tags ? json_deep_copy(tags) : json_array();
}

int cfnsvc_new_stack(call *c, const char *name, json_t **stack)
{
    char uuid[37];
    ids_uuid(uuid);
    *stack = json_pack("{s:s, s:s, s:f, s:s, s:s, s:s, s:s, s:{s:s}, s:o, s:b, s:[], s:[], s:[]}",
                       "StackId", stack_arn(c, name, uuid), "StackName", name, "CreationTime",
                       clock_now(), "StackStatus", "REVIEW_IN_PROGRESS", "_uuid", uuid, "_account",
                       c->account, "_region", c->region, "DriftInformation", "StackDriftStatus",
                       "NOT_CHECKED", "_exports", json_object(), "EnableTerminationProtection", 0,
                       "NotificationARNs", "Tags", "_imports");
    if (!*stack) return ferr_oom(c->err);
    store_key nk = {CFN_KIND_NAME, c->account, c->region, name};
    json_t *nd = json_pack("{s:s}", "Id", uuid);
    int rc = nd ? store_put(c->txn, &nk, nd, c->err) : ferr_oom(c->err);
    json_decref(nd);
    return rc;
}

/* Hands the stack to the engine in status ("User Initiated"): the stack and its event are
 * written in the caller's transaction; the engine takes it once that commits. */
static int start_engine(call *c, json_t *stack, const char *status)
{
    if (json_object_set_new(stack, "StackStatus", json_string(status)) ||
        json_object_set_new(stack, "StackStatusReason", json_string("User Initiated")) ||
        cfn_engine_own(c->env, stack))
        return ferr_oom(c->err);
    if (cfn_stack_put(c->txn, stack, c->err)) return -1;
    json_t *ev =
        cfn_event_add(c->txn, stack, NULL, NULL, NULL, status, "User Initiated", NULL, c->err);
    if (!ev) return -1;
    json_decref(ev);
    call_resource(c, "AWS::CloudFormation::Stack", jstr(stack, "StackId"));
    cfn_engine_kick(c->env, c->account, c->region, jstr(stack, "_uuid"));
    return 0;
}

/* 0 or -1 (out of memory) */
static int set_or_del(json_t *o, const char *k, json_t *v)
{
    if (v) return json_object_set(o, k, v);
    json_object_del(o, k);
    return 0;
}

int cfnsvc_start_create(call *c, json_t *stack, cfn_prep *p, const json_t *in,
                        const char *changeset_uuid)
{
    int bad = 0;
    json_t *tags = tags_of(c, in, &bad);
    if (bad) return -1;
    json_t *na = json_object_get(in, "NotificationARNs");
    json_t *to = json_object_get(in, "TimeoutInMinutes");
    int oom =
        json_object_set_new(stack, "Tags", tags) ||
        json_object_set(stack, "Parameters", p->plist) || json_object_set(stack, "_raw", p->raw) ||
        json_object_set(stack, "_noecho", p->noecho) ||
        set_or_del(stack, "Description", json_object_get(p->tpl, "Description")) ||
        json_object_set_new(stack, "Capabilities",
                            p->caps ? json_deep_copy(p->caps) : json_array()) ||
        json_object_set_new(stack, "NotificationARNs", na ? json_deep_copy(na) : json_array()) ||
        (p->role_arn && json_object_set_new(stack, "RoleARN", json_string(p->role_arn))) ||
        (json_is_integer(to) && json_object_set(stack, "TimeoutInMinutes", to));
    if (oom) return ferr_oom(c->err);
    const char *onf = jstr(in, "OnFailure");
    json_t *dr = json_object_get(in, "DisableRollback");
    if (onf && dr)
        return ferr_validation(c->err, "You cannot specify both DisableRollback and OnFailure.");
    int disable = json_is_true(dr) || (onf && !strcmp(onf, "DO_NOTHING"));
    char tok[40];
    ids_uuid(tok);
    const char *ctok = jstr(in, "ClientRequestToken");
    json_t *opd = json_pack("{s:s, s:s}", "Token", ctok ? ctok : tok, "OnFailure",
                            onf       ? onf
                            : disable ? "DO_NOTHING"
                                      : "ROLLBACK");
    if (opd && changeset_uuid &&
        json_object_set_new(opd, "ChangeSetUuid", json_string(changeset_uuid))) {
        json_decref(opd);
        opd = NULL;
    }
    if (json_object_set_new(stack, "_op", opd) ||
        json_object_set_new(stack, "DisableRollback", json_boolean(disable)) ||
        (json_is_true(json_object_get(in, "EnableTerminationProtection")) &&
         json_object_set_new(stack, "EnableTerminationProtection", json_true())) ||
        json_object_set_new(stack, "_as", cfn_principal_json(&p->as)))
        return ferr_oom(c->err);
    if (cfnsvc_store_template(c, stack, "cur", p)) return -1;
    return start_engine(c, stack, "CREATE_IN_PROGRESS");
}

/* CreateStack; parent_id is the parent's stack id for a nested stack, else NULL. */
static int create_stack(call *c, json_t *in, json_t **out, const char *parent_id)
{
    const char *name = jstr(in, "StackName");
    if (cfnsvc_valid_name(c, name, "stackName") || cfnsvc_auth(c, "CreateStack", name, NULL))
        return -1;
    json_t *cur = NULL;
    int rc = cfn_stack_find(c->txn, c->account, c->region, name, &cur, c->err);
    if (rc < 0) return -1;
    json_decref(cur);
    if (rc == 1)
        return ferr_set(c->err, 400, "AlreadyExistsException", "Stack [%s] already exists", name);
    cfn_prep p;
    if (cfnsvc_prepare(c, in, NULL, &p)) return -1;
    if (auto_expand_ok(c, &p)) {
        cfnsvc_prep_dispose(&p);
        return -1;
    }
    json_t *stack = NULL;
    rc = cfnsvc_new_stack(c, name, &stack);
    if (!rc && parent_id) {
        /* AWS: a nested stack names its parent and the root of its tree */
        json_t *ps = NULL;
        int found = cfn_stack_find(c->txn, c->account, c->region, parent_id, &ps, c->err);
        json_t *root = found == 1 ? json_object_get(ps, "RootId") : NULL;
        if (found == 1 && !root) root = json_object_get(ps, "StackId");
        if (found < 0 || json_object_set_new(stack, "ParentId", json_string(parent_id)) ||
            (root && json_object_set(stack, "RootId", root)))
            rc = ferr_isset(c->err) ? -1 : ferr_oom(c->err);
        json_decref(ps);
    }
    if (!rc) rc = cfnsvc_start_create(c, stack, &p, in, NULL);
    cfnsvc_prep_dispose(&p);
    if (!rc) *out = svc_out(c, json_pack("{s:O}", "StackId", json_object_get(stack, "StackId")));
    json_decref(stack);
    return rc;
}

int cloudformation_op_create_stack(call *c, json_t *in, json_t **out)
{
    return create_stack(c, in, out, NULL);
}

/* cfn_create_nested_stack's handler: c->arg is the parent's stack id, set only there. */
static int op_create_nested_stack(call *c, json_t *in, json_t **out)
{
    return create_stack(c, in, out, c->arg);
}

int cfn_create_nested_stack(ferry_env *env, const principal *as, const char *region,
                            const char *parent_id, const json_t *in, json_t **out, ferr *e)
{
    static const svc_op op = {"CreateStack", op_create_nested_stack, 0};
    return svc_invoke_fn(env, as, region, "cloudformation", &op, parent_id, in, out, e);
}

int cfnsvc_updatable(call *c, const json_t *stack)
{
    static const char *const ok[] = {"CREATE_COMPLETE",          "UPDATE_COMPLETE",
                                     "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE",
                                     "IMPORT_ROLLBACK_COMPLETE", NULL};
    const char *st = jstr(stack, "StackStatus");
    for (const char *const *s = ok; *s; s++)
        if (!strcmp(*s, st)) return 0;
    return ferr_validation(c->err, "Stack:%s is in %s state and can not be updated.",
                           jstr(stack, "StackId"), st);
}

int cfnsvc_start_update(call *c, json_t *stack, cfn_prep *p, const json_t *in,
                        const char *changeset_uuid)
{
    int bad = 0;
    json_t *tags = json_object_get(in, "Tags") ? tags_of(c, in, &bad)
                                               : json_deep_copy(json_object_get(stack, "Tags"));
    if (bad) return -1;
    json_t *na = json_object_get(in, "NotificationARNs");
    json_t *nw = json_pack("{s:O, s:O, s:o, s:o, s:o}", "_raw", p->raw, "Parameters", p->plist,
                           "Capabilities", p->caps ? json_deep_copy(p->caps) : json_array(), "Tags",
                           tags, "_as", cfn_principal_json(&p->as));
    int rc = !nw;
    rc = rc ||
         json_object_set(nw, "Description",
                         json_object_get(p->tpl, "Description")
                             ? json_object_get(p->tpl, "Description")
                             : json_null()) ||
         json_object_set_new(nw, "NotificationARNs",
                             na ? json_deep_copy(na)
                                : json_deep_copy(json_object_get(stack, "NotificationARNs"))) ||
         (p->role_arn && json_object_set_new(nw, "RoleARN", json_string(p->role_arn))) ||
         (json_is_true(json_object_get(in, "DisableRollback")) &&
          json_object_set_new(nw, "DisableRollback", json_true()));
    nw = jdone(nw, rc);
    char tok[40];
    ids_uuid(tok);
    const char *ctok = jstr(in, "ClientRequestToken");
    json_t *opd = nw ? json_pack("{s:s, s:o}", "Token", ctok ? ctok : tok, "New", nw) : NULL;
    rc = !opd ||
         (changeset_uuid && json_object_set_new(opd, "ChangeSetUuid", json_string(changeset_uuid)));
    if (json_object_set_new(stack, "_op", jdone(opd, rc)) ||
        json_object_set(stack, "_noecho", p->noecho) ||
        json_object_set_new(stack, "LastUpdatedTime", json_real(clock_now())))
        return ferr_oom(c->err);
    if (cfnsvc_store_template(c, stack, "new", p)) return -1;
    return start_engine(c, stack, "UPDATE_IN_PROGRESS");
}

/* Nothing to do: same template, same parameters, same tags, notifications and role. */
static int no_change(call *c, const json_t *stack, const cfn_prep *p, const json_t *in)
{
    char *cur = cfn_template_body(c->txn, stack, "cur", c->err);
    if (!cur) return -1;
    ferr e = {0};
    json_t *ct = cfn_template_parse(cur, strlen(cur), &e);
    free(cur);
    int same = ct && json_equal(ct, p->tpl) && json_equal(json_object_get(stack, "_raw"), p->raw);
    json_decref(ct);
    if (same && json_object_get(in, "Tags"))
        same = json_equal(json_object_get(in, "Tags"), json_object_get(stack, "Tags"));
    if (same && json_object_get(in, "NotificationARNs"))
        same = json_equal(json_object_get(in, "NotificationARNs"),
                          json_object_get(stack, "NotificationARNs"));
    if (same && jstr(in, "RoleARN"))
        same = jstr(stack, "RoleARN") && !strcmp(jstr(in, "RoleARN"), jstr(stack, "RoleARN"));
    return same;
}

int cloudformation_op_update_stack(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "StackName");
    json_t *stack = NULL;
    if (cfnsvc_auth(c, "UpdateStack", name, name) || cfnsvc_load_stack(c, name, &stack)) return -1;
    cfn_prep p = {0};
    int rc = cfnsvc_updatable(c, stack);
    if (!rc) rc = cfnsvc_prepare(c, in, stack, &p);
    if (!rc) rc = auto_expand_ok(c, &p);
    if (!rc) {
        int same = no_change(c, stack, &p, in);
        if (same < 0)
            rc = -1;
        else if (same)
            rc = ferr_validation(c->err, "No updates are to be performed.");
    }
    if (!rc) rc = cfnsvc_start_update(c, stack, &p, in, NULL);
    if (!rc) *out = svc_out(c, json_pack("{s:O}", "StackId", json_object_get(stack, "StackId")));
    cfnsvc_prep_dispose(&p);
    json_decref(stack);
    return rc;
}

/* The documents of kind under prefix (NULL: all) in key order, those of stack want only
 * when want is not NULL: a new array in *arr. */
static int collect_list(call *c, const char *kind, const char *prefix, const char *want,
                        json_t **arr)
{
    return cfn_docs_list(c->txn, kind, c->account, c->region, prefix, want, arr, c->err);
}

static int delete_changesets(call *c, const char *stack_uuid, const char *keep)
{
    json_t *all = NULL;
    if (collect_list(c, CFN_KIND_CHANGESET, NULL, stack_uuid, &all)) return -1;
    size_t i;
    json_t *d;
    int rc = 0;
    json_array_foreach(all, i, d) {
        if (keep && !strcmp(jstr(d, "_uuid"), keep)) continue;
        store_key k = {CFN_KIND_CHANGESET, c->account, c->region, jstr(d, "_uuid")};
        if (store_del(c->txn, &k, c->err) < 0) rc = -1;
    }
    json_decref(all);
    return rc;
}

int cloudformation_op_delete_stack(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *name = jstr(in, "StackName");
    json_t *stack = NULL;
    if (cfnsvc_auth(c, "DeleteStack", name, name)) return -1;
    int rc = cfn_stack_find(c->txn, c->account, c->region, name, &stack, c->err);
    if (rc <= 0) return rc; /* AWS: deleting a stack that does not exist succeeds */
    const char *st = jstr(stack, "StackStatus");
    rc = 0;
    if (!strcmp(st, "DELETE_COMPLETE") || !strcmp(st, "DELETE_IN_PROGRESS")) goto done;
    if (json_is_true(json_object_get(stack, "EnableTerminationProtection"))) {
        rc = ferr_validation(c->err,
                             "Stack [%s] cannot be deleted while TerminationProtection is "
                             "enabled",
                             jstr(stack, "StackName"));
        goto done;
    }
    if (cfn_status_busy(st)) {
        rc = ferr_validation(c->err, "Stack [%s] is in %s state and can not be deleted",
                             jstr(stack, "StackName"), st);
        goto done;
    }
    /* AWS: RetainResources only for a stack in DELETE_FAILED */
    json_t *retain = json_object_get(in, "RetainResources");
    if (json_array_size(retain)) {
        if (strcmp(st, "DELETE_FAILED")) {
            rc = ferr_validation(c->err,
                                 "Invalid operation on stack [%s]. RetainResources can only "
                                 "be specified when the stack is in the DELETE_FAILED state",
                                 jstr(stack, "StackId"));
            goto done;
        }
        size_t i;
        json_t *r;
        json_array_foreach(retain, i, r) {
            char id[600];
            snprintf(id, sizeof(id), "%s/%s", jstr(stack, "_uuid"), json_string_value(r));
            store_key k = {CFN_KIND_RES, c->account, c->region, id};
            json_t *d = NULL;
            if (store_get(c->txn, &k, &d, c->err) == 1) {
                rc = json_object_set_new(d, "DeletionPolicy", json_string("Retain"))
                         ? ferr_oom(c->err)
                         : store_put(c->txn, &k, d, c->err);
                json_decref(d);
                if (rc) goto done;
            }
        }
    }
    if (!strcmp(st, "REVIEW_IN_PROGRESS")) {
        /* nothing was created: the stack is gone at once */
        store_key nk = {CFN_KIND_NAME, c->account, c->region, jstr(stack, "StackName")};
        if (json_object_set_new(stack, "StackStatus", json_string("DELETE_COMPLETE")) ||
            json_object_set_new(stack, "DeletionTime", json_real(clock_now()))) {
            rc = ferr_oom(c->err);
            goto done;
        }
        if (store_del(c->txn, &nk, c->err) < 0 ||
            delete_changesets(c, jstr(stack, "_uuid"), NULL) ||
            cfn_stack_put(c->txn, stack, c->err)) {
            rc = -1;
            goto done;
        }
        json_t *ev =
            cfn_event_add(c->txn, stack, NULL, NULL, NULL, "DELETE_COMPLETE", NULL, NULL, c->err);
        rc = ev ? 0 : -1;
        json_decref(ev);
        goto done;
    }
    char tok[40];
    ids_uuid(tok);
    const char *ctok = jstr(in, "ClientRequestToken");
    json_t *opd = json_pack("{s:s}", "Token", ctok ? ctok : tok);
    if (json_object_get(in, "RoleARN")) {
        cfn_prep p = {0};
        p.role_arn = jstr(in, "RoleARN");
        if (role_session(c, p.role_arn, &p.as)) {
            json_decref(opd);
            rc = -1;
            goto done;
        }
        if (json_object_set_new(stack, "_as", cfn_principal_json(&p.as)) ||
            json_object_set_new(stack, "RoleARN", json_string(p.role_arn))) {
            json_decref(opd);
            rc = ferr_oom(c->err);
            goto done;
        }
    }
    if (json_object_set_new(stack, "_op", opd)) {
        rc = ferr_oom(c->err);
        goto done;
    }
    rc = delete_changesets(c, jstr(stack, "_uuid"), NULL) ||
                 start_engine(c, stack, "DELETE_IN_PROGRESS")
             ? -1
             : 0;
done:
    json_decref(stack);
    return rc;
}

static int by_creation_desc(const void *a, const void *b)
{
    double x = json_number_value(json_object_get(*(json_t *const *)a, "CreationTime"));
    double y = json_number_value(json_object_get(*(json_t *const *)b, "CreationTime"));
    return x < y ? 1 : x > y ? -1 : 0;
}

/* 0 or -1 (out of memory, arr unchanged) */
static int sort_stacks(json_t *arr)
{
    size_t n = json_array_size(arr);
    json_t **v = malloc((n + 1) * sizeof(*v));
    if (!v) return -1;
    for (size_t i = 0; i < n; i++) v[i] = json_incref(json_array_get(arr, i));
    qsort(v, n, sizeof(*v), by_creation_desc);
    json_array_clear(arr);
    int rc = 0; /* the array keeps its room: appending n again cannot fail */
    for (size_t i = 0; i < n; i++) rc |= json_array_append_new(arr, v[i]);
    free(v);
    return rc;
}

/* The stacks, newest first, a new array in *arr. */
static int sorted_stacks(call *c, json_t **arr)
{
    if (collect_list(c, CFN_KIND_STACK, NULL, NULL, arr)) return -1;
    if (!sort_stacks(*arr)) return 0;
    json_decref(*arr);
    return ferr_oom(c->err);
}

int cloudformation_op_describe_stacks(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "StackName");
    if (cfnsvc_auth(c, "DescribeStacks", name, name)) return -1;
    json_t *all = json_array();
    int oom = !all;
    if (name) {
        json_t *s = NULL;
        if (cfnsvc_load_stack(c, name, &s)) {
            json_decref(all);
            return -1;
        }
        /* ferry: DescribeStacks of one stack still in progress waits (connection parked, no
         * thread held) up to DESCRIBE_WAIT seconds for it to settle, so SDK waiters, which
         * poll every 30 s, finish when the stack does. The states seen are AWS's. A wake
         * can be early (any notification racing the park fires it), so a resumed call
         * parks again until its own deadline. */
        call_wait *w = c->wait;
        if (w && cfn_status_busy(jstr(s, "StackStatus")) && !w->final &&
            (!w->resumed || clock_now() < w->until)) {
            if (!w->resumed) w->until = clock_now() + DESCRIBE_WAIT;
            int rc = call_park(c, arena_printf(c->a, CFN_SETTLED_KEY "%s", jstr(s, "StackId")),
                               w->until);
            json_decref(s);
            json_decref(all);
            return rc;
        }
        oom |= json_array_append_new(all, cfnsvc_stack_view(s));
        json_decref(s);
    } else {
        json_t *docs = NULL;
        if (sorted_stacks(c, &docs)) {
            json_decref(all);
            return -1;
        }
        size_t i;
        json_t *d;
        json_array_foreach(docs, i, d)
            if (strcmp(jstr(d, "StackStatus"), "DELETE_COMPLETE"))
                oom |= json_array_append_new(all, cfnsvc_stack_view(d));
        json_decref(docs);
    }
    if (!(all = jdone(all, oom))) return ferr_oom(c->err);
    return cfnsvc_page(c, in, all, 100, "Stacks", "ValidationError", out);
}

int cloudformation_op_list_stacks(call *c, json_t *in, json_t **out)
{
    if (cfnsvc_auth(c, "ListStacks", NULL, NULL)) return -1;
    json_t *docs = NULL;
    if (sorted_stacks(c, &docs)) return -1;
    json_t *filter = json_object_get(in, "StackStatusFilter");
    json_t *all = json_array();
    int oom = !all;
    size_t i, j;
    json_t *d, *f;
    json_array_foreach(docs, i, d) {
        const char *st = jstr(d, "StackStatus");
        if (!strcmp(st, "REVIEW_IN_PROGRESS") && !json_array_size(filter)) {
            /* AWS lists them too */
        }
        if (json_array_size(filter)) {
            int ok = 0;
            json_array_foreach(filter, j, f) ok |= !strcmp(json_string_value(f), st);
            if (!ok) continue;
        }
        json_t *s = json_object();
        int rc = !s;
        const char *keys[] = {"StackId",           "StackName",    "CreationTime",
                              "LastUpdatedTime",   "DeletionTime", "StackStatus",
                              "StackStatusReason", "ParentId",     "RootId",
                              "DriftInformation"};
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
            if (json_object_get(d, keys[k]))
                rc |= json_object_set(s, keys[k], json_object_get(d, keys[k]));
        if (json_object_get(d, "Description"))
            rc |= json_object_set(s, "TemplateDescription", json_object_get(d, "Description"));
        oom |= json_array_append_new(all, jdone(s, rc));
    }
    json_decref(docs);
    if (!(all = jdone(all, oom))) return ferr_oom(c->err);
    return cfnsvc_page(c, in, all, 100, "StackSummaries", "ValidationError", out);
}

int cloudformation_op_describe_stack_events(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "StackName");
    json_t *stack = NULL;
    if (cfnsvc_auth(c, "DescribeStackEvents", name, name) || cfnsvc_load_stack(c, name, &stack))
        return -1;
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "%s/", jstr(stack, "_uuid"));
    json_decref(stack);
    json_t *all = NULL;
    if (collect_list(c, CFN_KIND_EVENT, prefix, NULL, &all)) return -1;
    /* newest first */
    json_t *rev = json_array();
    int rc = !rev;
    for (size_t i = json_array_size(all); i-- > 0;)
        rc |= json_array_append(rev, json_array_get(all, i));
    json_decref(all);
    if (!(rev = jdone(rev, rc))) return ferr_oom(c->err);
    return cfnsvc_page(c, in, rev, 100, "StackEvents", "ValidationError", out);
}

/* NULL: out of memory. */
static json_t *resource_view(const json_t *stack, const json_t *d, int detail, int summary)
{
    json_t *r =
        json_pack("{s:O, s:O, s:O}", "LogicalResourceId", json_object_get(d, "LogicalResourceId"),
                  "ResourceType", json_object_get(d, "ResourceType"), "ResourceStatus",
                  json_object_get(d, "ResourceStatus"));
    int rc = !r;
    const char *pid = jstr(d, "PhysicalResourceId");
    if (pid && *pid) rc |= json_object_set_new(r, "PhysicalResourceId", json_string(pid));
    if (jstr(d, "ResourceStatusReason"))
        rc |=
            json_object_set(r, "ResourceStatusReason", json_object_get(d, "ResourceStatusReason"));
    json_t *ts = json_object_get(d, "Timestamp");
    if (!ts) ts = json_object_get(stack, "CreationTime");
    rc |= json_object_set(r, summary || detail ? "LastUpdatedTimestamp" : "Timestamp", ts);
    if (!summary) {
        rc |= json_object_set(r, "StackName", json_object_get(stack, "StackName")) ||
              json_object_set(r, "StackId", json_object_get(stack, "StackId")) ||
              (jstr(d, "Description") &&
               json_object_set(r, "Description", json_object_get(d, "Description")));
    }
    rc |= json_object_set_new(r, "DriftInformation",
                              json_pack("{s:s}", "StackResourceDriftStatus", "NOT_CHECKED"));
    if (detail && json_object_get(d, "Metadata")) {
        char *m = json_dumps(json_object_get(d, "Metadata"), JSON_COMPACT);
        rc |= !m || json_object_set_new(r, "Metadata", json_string(m));
        free(m);
    }
    return jdone(r, rc);
}

/* The views of the stack's resources (logical: that one only; summary: the form
 * ListStackResources gives), a new array in *arr. Consumes stack. */
static int resource_views(call *c, json_t *stack, const char *logical, int summary, json_t **arr)
{
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "%s/", jstr(stack, "_uuid"));
    json_t *all = NULL;
    int rc = collect_list(c, CFN_KIND_RES, prefix, NULL, &all);
    if (!rc) {
        json_t *v = json_array();
        int oom = !v;
        size_t i;
        json_t *d;
        json_array_foreach(all, i, d) {
            if (logical && strcmp(logical, jstr(d, "LogicalResourceId"))) continue;
            oom |= json_array_append_new(v, resource_view(stack, d, 0, summary));
        }
        if (!(*arr = jdone(v, oom))) rc = ferr_oom(c->err);
    }
    json_decref(all);
    json_decref(stack);
    return rc < 0 ? -1 : 0;
}

int cloudformation_op_describe_stack_resource(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "StackName"), *logical = jstr(in, "LogicalResourceId");
    json_t *stack = NULL;
    if (cfnsvc_auth(c, "DescribeStackResource", name, name) || cfnsvc_load_stack(c, name, &stack))
        return -1;
    char id[600];
    snprintf(id, sizeof(id), "%s/%s", jstr(stack, "_uuid"), logical ? logical : "");
    store_key k = {CFN_KIND_RES, c->account, c->region, id};
    json_t *d = NULL;
    int rc = store_get(c->txn, &k, &d, c->err);
    if (rc == 1)
        *out = svc_out(c, json_pack("{s:o}", "StackResourceDetail", resource_view(stack, d, 1, 0)));
    else if (rc == 0)
        rc = ferr_validation(c->err, "Resource %s does not exist for stack %s",
                             logical ? logical : "", name);
    json_decref(d);
    json_decref(stack);
    return rc < 0 ? -1 : 0;
}

typedef struct phys_find {
    const char *phys;
    char uuid[64];
} phys_find;

static int phys_cb(void *ud, const store_key *k, json_t *doc)
{
    phys_find *f = ud;
    if (jstr(doc, "PhysicalResourceId") && !strcmp(jstr(doc, "PhysicalResourceId"), f->phys) &&
        strcmp(jstr(doc, "ResourceStatus"), "DELETE_COMPLETE")) {
        snprintf(f->uuid, sizeof(f->uuid), "%.*s", (int)strcspn(k->id, "/"), k->id);
        return 1;
    }
    return 0;
}

int cloudformation_op_describe_stack_resources(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "StackName"), *phys = jstr(in, "PhysicalResourceId");
    const char *logical = jstr(in, "LogicalResourceId");
    json_t *stack = NULL;
    if (cfnsvc_auth(c, "DescribeStackResources", name, name)) return -1;
    if (!name && !phys)
        return ferr_validation(c->err, "Either StackName or PhysicalResourceId must be specified.");
    if (!name) {
        /* the resource document's id starts with its stack's uuid */
        phys_find f = {phys, ""};
        if (store_list(c->txn, CFN_KIND_RES, c->account, c->region, NULL, NULL, 0, phys_cb, &f,
                       c->err) < 0)
            return -1;
        store_key sk = {CFN_KIND_STACK, c->account, c->region, f.uuid};
        int rc = f.uuid[0] ? store_get(c->txn, &sk, &stack, c->err) : 0;
        if (rc < 0) return -1;
        if (rc == 0) return ferr_validation(c->err, "Stack for %s does not exist", phys);
    } else if (cfnsvc_load_stack(c, name, &stack))
        return -1;
    json_t *arr = NULL;
    if (resource_views(c, stack, logical, 0, &arr)) return -1;
    *out = svc_out(c, json_pack("{s:o}", "StackResources", arr));
    return 0;
}

int cloudformation_op_list_stack_resources(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "StackName");
    json_t *stack = NULL, *arr = NULL;
    if (cfnsvc_auth(c, "ListStackResources", name, name) || cfnsvc_load_stack(c, name, &stack) ||
        resource_views(c, stack, NULL, 1, &arr))
        return -1;
    return cfnsvc_page(c, in, arr, 100, "StackResourceSummaries", "ValidationError", out);
}

int cloudformation_op_get_template(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "StackName"), *cs = jstr(in, "ChangeSetName");
    json_t *stack = NULL;
    if (cfnsvc_auth(c, "GetTemplate", name, name)) return -1;
    /* AWS: Original (the default) as sent, Processed after the Transform */
    const char *stage = jstr(in, "TemplateStage");
    int processed = stage && !strcmp(stage, "Processed");
    if (cs) {
        extern int cfnsvc_changeset_body(call * c, const char *name, const char *stack,
                                         int processed, char **body);
        char *body = NULL;
        if (cfnsvc_changeset_body(c, cs, name, processed, &body)) return -1;
        *out = svc_out(c, json_pack("{s:s, s:[ss]}", "TemplateBody", body, "StagesAvailable",
                                    "Original", "Processed"));
        free(body);
        return 0;
    }
    if (cfnsvc_load_stack(c, name, &stack)) return -1;
    char *body = processed ? cfn_template_body(c->txn, stack, "cur", c->err)
                           : cfn_template_original(c->txn, stack, "cur", c->err);
    json_decref(stack);
    if (!body) return -1;
    *out = svc_out(c, json_pack("{s:s, s:[ss]}", "TemplateBody", body, "StagesAvailable",
                                "Original", "Processed"));
    free(body);
    return 0;
}

/* Template from TemplateBody / TemplateURL, or a stack's (as sent); *tpl as given, checked
 * after its Transform. */
static int template_of(call *c, json_t *in, char **body, json_t **tpl)
{
    const char *b = jstr(in, "TemplateBody"), *url = jstr(in, "TemplateURL"),
               *name = jstr(in, "StackName");
    if ((b != NULL) + (url != NULL) + (name != NULL) != 1)
        return ferr_validation(c->err,
                               b || url || name
                                   ? "Specify only one of TemplateBody, TemplateURL, or StackName."
                                   : "Either Template URL or Template Body must be specified.");
    if (b) {
        if (strlen(b) > CFN_TEMPLATE_MAX)
            return ferr_validation(c->err, "1 validation error detected: Value at 'templateBody' "
                                           "failed to satisfy constraint: Member must have length "
                                           "less than or equal to 51200");
        *body = strdup(b);
    } else if (url) {
        *body = fetch_url(c, url);
    } else {
        json_t *stack = NULL;
        if (cfnsvc_load_stack(c, name, &stack)) return -1;
        *body = cfn_template_original(c->txn, stack, "cur", c->err);
        json_decref(stack);
    }
    if (!*body) return ferr_isset(c->err) ? -1 : ferr_oom(c->err);
    *tpl = cfn_template_parse(*body, strlen(*body), c->err);
    json_t *x = *tpl ? json_incref(*tpl) : NULL;
    int bad = !x || sam_transform(&x, json_object_get(in, "Parameters"), c->err) < 0 ||
              cfn_template_check(x, c->err);
    json_decref(x);
    if (bad) {
        free(*body);
        *body = NULL;
        json_decref(*tpl);
        *tpl = NULL;
        return -1;
    }
    return 0;
}

/* A Default or AllowedValues item as the text the template API shows. */
static json_t *scalar_str(const json_t *v)
{
    char *t = cfn_param_text(v);
    json_t *s = t ? json_string(t) : NULL;
    free(t);
    return s;
}

/* 0 or -1 (out of memory) */
static int summary_common(const json_t *tpl, json_t *out)
{
    int iam = 0, expand = 0;
    char reason[512];
    /* the IAM capabilities are those of what the Transform makes (a SAM function's role) */
    json_t *x = json_incref((json_t *)tpl);
    ferr te = {0};
    if (sam_transform(&x, NULL, &te) < 0) {
        json_decref(x);
        x = json_incref((json_t *)tpl);
    }
    cfn_template_capabilities(x, &iam, &expand, reason, sizeof(reason));
    json_decref(x);
    expand = json_object_get(tpl, "Transform") != NULL;
    json_t *caps = json_array();
    int rc = !caps;
    if (iam == 1) rc |= json_array_append_new(caps, json_string("CAPABILITY_IAM"));
    if (iam == 2) rc |= json_array_append_new(caps, json_string("CAPABILITY_NAMED_IAM"));
    if (expand) rc |= json_array_append_new(caps, json_string("CAPABILITY_AUTO_EXPAND"));
    json_t *tr = json_object_get(tpl, "Transform");
    json_t *decl = json_is_string(tr)  ? json_pack("[O]", tr)
                   : json_is_array(tr) ? json_incref(tr)
                                       : json_array();
    return json_object_set_new(out, "Capabilities", jdone(caps, rc)) ||
           (reason[0] && json_object_set_new(out, "CapabilitiesReason", json_string(reason))) ||
           (json_object_get(tpl, "Description") &&
            json_object_set(out, "Description", json_object_get(tpl, "Description"))) ||
           json_object_set_new(out, "DeclaredTransforms", decl);
}

/* NULL: out of memory. */
static json_t *param_entry(const char *k, const json_t *pd, int summary)
{
    json_t *p = json_pack("{s:s}", "ParameterKey", k);
    int rc = !p;
    json_t *d = json_object_get(pd, "Default");
    if (d) {
        json_t *s = scalar_str(d);
        if (s) rc |= json_object_set_new(p, "DefaultValue", s);
    }
    json_t *ne = json_object_get(pd, "NoEcho");
    rc |= json_object_set_new(
        p, "NoEcho",
        json_boolean(json_is_true(ne) ||
                     (json_is_string(ne) && !strcasecmp(json_string_value(ne), "true"))));
    if (json_object_get(pd, "Description"))
        rc |= json_object_set(p, "Description", json_object_get(pd, "Description"));
    if (summary) {
        rc |= json_object_set(p, "ParameterType", json_object_get(pd, "Type"));
        json_t *av = json_object_get(pd, "AllowedValues");
        json_t *cons = json_object();
        int crc = !cons;
        if (json_is_array(av)) {
            json_t *l = json_array();
            int lrc = !l;
            size_t i;
            json_t *x;
            json_array_foreach(av, i, x) {
                json_t *s = scalar_str(x);
                if (s) lrc |= json_array_append_new(l, s);
            }
            crc |= json_object_set_new(cons, "AllowedValues", jdone(l, lrc));
        }
        rc |= json_object_set_new(p, "ParameterConstraints", jdone(cons, crc));
    }
    return jdone(p, rc);
}

/* What ValidateTemplate (summary 0) and GetTemplateSummary (1: also the resource types,
 * version and metadata) say of the template in, or of the stack's. */
static int describe_template(call *c, json_t *in, int summary, json_t **out)
{
    char *body = NULL;
    json_t *tpl = NULL;
    if (template_of(c, in, &body, &tpl)) return -1;
    free(body);
    json_t *v = json_object();
    json_t *ps = json_array();
    int rc = !v || !ps;
    const char *k;
    json_t *pd;
    json_object_foreach(json_object_get(tpl, "Parameters"), k, pd)
        rc |= json_array_append_new(ps, param_entry(k, pd, summary));
    rc |= json_object_set_new(v, "Parameters", jdone(ps, rc)) || summary_common(tpl, v);
    if (summary)
        rc |= json_object_set_new(v, "ResourceTypes", cfn_template_types(tpl)) ||
              json_object_set_new(v, "Version", json_string("2010-09-09"));
    if (summary && json_object_get(tpl, "Metadata")) {
        char *m = json_dumps(json_object_get(tpl, "Metadata"), JSON_COMPACT);
        rc |= !m || json_object_set_new(v, "Metadata", json_string(m));
        free(m);
    }
    json_decref(tpl);
    *out = svc_out(c, jdone(v, rc));
    return 0;
}

int cloudformation_op_validate_template(call *c, json_t *in, json_t **out)
{
    if (cfnsvc_auth(c, "ValidateTemplate", NULL, NULL)) return -1;
    if (jstr(in, "StackName")) json_object_del(in, "StackName");
    return describe_template(c, in, 0, out);
}

int cloudformation_op_get_template_summary(call *c, json_t *in, json_t **out)
{
    if (cfnsvc_auth(c, "GetTemplateSummary", jstr(in, "StackName"), jstr(in, "StackName")))
        return -1;
    if (jstr(in, "StackSetName"))
        return ferr_validation(c->err,
                               "GetTemplateSummary by StackSetName is not supported by ferry yet");
    return describe_template(c, in, 1, out);
}

int cloudformation_op_list_exports(call *c, json_t *in, json_t **out)
{
    if (cfnsvc_auth(c, "ListExports", NULL, NULL)) return -1;
    json_t *all = NULL;
    if (collect_list(c, CFN_KIND_EXPORT, NULL, NULL, &all)) return -1;
    return cfnsvc_page(c, in, all, 100, "Exports", "ValidationError", out);
}

int cloudformation_op_list_imports(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "ExportName");
    if (cfnsvc_auth(c, "ListImports", NULL, NULL)) return -1;
    char prefix[600];
    snprintf(prefix, sizeof(prefix), "%s\t", name ? name : "");
    json_t *all = NULL;
    if (collect_list(c, CFN_KIND_IMPORT, prefix, NULL, &all)) return -1;
    json_t *names = json_array();
    int oom = !names;
    size_t i;
    json_t *d;
    json_array_foreach(all, i, d) oom |= json_array_append(names, json_object_get(d, "StackName"));
    json_decref(all);
    if (!(names = jdone(names, oom))) return ferr_oom(c->err);
    if (!json_array_size(names)) {
        json_decref(names);
        return ferr_validation(c->err, "Export '%s' is not imported by any stack.",
                               name ? name : "");
    }
    return cfnsvc_page(c, in, names, 100, "Imports", "ValidationError", out);
}

int cloudformation_op_update_termination_protection(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "StackName");
    json_t *stack = NULL;
    if (cfnsvc_auth(c, "UpdateTerminationProtection", name, name) ||
        cfnsvc_load_stack(c, name, &stack))
        return -1;
    int rc = 0;
    if (jstr(stack, "ParentId"))
        rc = ferr_validation(c->err,
                             "You can't update termination protection for nested stacks. "
                             "Update the root stack [%s] instead.",
                             jstr(stack, "RootId") ? jstr(stack, "RootId")
                                                   : jstr(stack, "ParentId"));
    if (!rc) {
        rc = json_object_set_new(
                 stack, "EnableTerminationProtection",
                 json_boolean(json_is_true(json_object_get(in, "EnableTerminationProtection"))))
                 ? ferr_oom(c->err)
                 : cfn_stack_put(c->txn, stack, c->err);
    }
    if (!rc) *out = svc_out(c, json_pack("{s:O}", "StackId", json_object_get(stack, "StackId")));
    json_decref(stack);
    return rc;
}

int cloudformation_op_set_stack_policy(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *name = jstr(in, "StackName"), *body = jstr(in, "StackPolicyBody");
    json_t *stack = NULL;
    if (cfnsvc_auth(c, "SetStackPolicy", name, name) || cfnsvc_load_stack(c, name, &stack))
        return -1;
    char *fetched = NULL;
    if (!body && jstr(in, "StackPolicyURL"))
        body = fetched = fetch_url(c, jstr(in, "StackPolicyURL"));
    int rc = 0;
    json_error_t je;
    json_t *doc = body ? json_loads(body, 0, &je) : NULL;
    if (!body && !ferr_isset(c->err))
        rc = ferr_validation(c->err, "Specify either StackPolicyBody or StackPolicyURL");
    else if (!body)
        rc = -1;
    else if (!json_is_object(doc) || !json_is_array(json_object_get(doc, "Statement")))
        rc = ferr_validation(c->err, "Error validating stack policy: Invalid stack policy");
    if (!rc) {
        rc = json_object_set_new(stack, "_policy", json_string(body))
                 ? ferr_oom(c->err)
                 : cfn_stack_put(c->txn, stack, c->err);
    }
    json_decref(doc);
    free(fetched);
    json_decref(stack);
    return rc;
}

int cloudformation_op_get_stack_policy(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "StackName");
    json_t *stack = NULL;
    if (cfnsvc_auth(c, "GetStackPolicy", name, name) || cfnsvc_load_stack(c, name, &stack))
        return -1;
    json_t *v = json_object();
    int rc = !v || (jstr(stack, "_policy") &&
                    json_object_set(v, "StackPolicyBody", json_object_get(stack, "_policy")));
    *out = svc_out(c, jdone(v, rc));
    json_decref(stack);
    return 0;
}

int cloudformation_op_cancel_update_stack(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *name = jstr(in, "StackName");
    json_t *stack = NULL;
    if (cfnsvc_auth(c, "CancelUpdateStack", name, name) || cfnsvc_load_stack(c, name, &stack))
        return -1;
    int rc = 0;
    if (strcmp(jstr(stack, "StackStatus"), "UPDATE_IN_PROGRESS"))
        rc =
            ferr_validation(c->err, "CancelUpdateStack cannot be called from current stack status");
    else {
        /* the engine notices between steps and rolls the update back */
        rc = json_object_set_new(stack, "_cancel", json_true())
                 ? ferr_oom(c->err)
                 : cfn_stack_put(c->txn, stack, c->err);
    }
    json_decref(stack);
    return rc;
}

int cloudformation_op_continue_update_rollback(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *name = jstr(in, "StackName");
    json_t *stack = NULL;
    if (cfnsvc_auth(c, "ContinueUpdateRollback", name, name) || cfnsvc_load_stack(c, name, &stack))
        return -1;
    int rc = 0;
    if (strcmp(jstr(stack, "StackStatus"), "UPDATE_ROLLBACK_FAILED")) {
        rc = ferr_validation(c->err, "Stack %s is in %s state and can not continue update rollback",
                             jstr(stack, "StackName"), jstr(stack, "StackStatus"));
        goto done;
    }
    /* ResourcesToSkip: marked as rolled back without acting on them */
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(in, "ResourcesToSkip"), i, r) {
        char id[600];
        snprintf(id, sizeof(id), "%s/%s", jstr(stack, "_uuid"), json_string_value(r));
        store_key k = {CFN_KIND_RES, c->account, c->region, id};
        json_t *d = NULL;
        rc = store_get(c->txn, &k, &d, c->err);
        if (rc == 1) {
            rc = json_object_set_new(d, "Restored", json_true()) ||
                         json_object_set_new(d, "ResourceStatus", json_string("UPDATE_COMPLETE"))
                     ? ferr_oom(c->err)
                     : store_put(c->txn, &k, d, c->err);
        }
        json_decref(d);
        if (rc < 0) goto done;
    }
    rc = start_engine(c, stack, "UPDATE_ROLLBACK_IN_PROGRESS");
done:
    json_decref(stack);
    return rc;
}

int cloudformation_op_signal_resource(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *name = jstr(in, "StackName"), *logical = jstr(in, "LogicalResourceId");
    const char *uid = jstr(in, "UniqueId"), *status = jstr(in, "Status");
    json_t *stack = NULL;
    if (cfnsvc_auth(c, "SignalResource", name, name) || cfnsvc_load_stack(c, name, &stack))
        return -1;
    int rc = 0; /* status is SUCCESS or FAILURE: the model's required enum */
    char id[600];
    snprintf(id, sizeof(id), "%s/%s", jstr(stack, "_uuid"), logical ? logical : "");
    store_key rk = {CFN_KIND_RES, c->account, c->region, id};
    json_t *d = NULL;
    if (!rc) {
        int f = store_get(c->txn, &rk, &d, c->err);
        if (f < 0)
            rc = -1;
        else if (f == 0 || strcmp(jstr(d, "ResourceStatus"), "CREATE_IN_PROGRESS"))
            rc = ferr_validation(c->err, "Resource %s is in %s state and can not be signaled",
                                 logical ? logical : "",
                                 d ? jstr(d, "ResourceStatus") : "NOT_FOUND");
    }
    json_decref(d);
    if (!rc) {
        char sid[800];
        snprintf(sid, sizeof(sid), "%s/%s/%s", jstr(stack, "_uuid"), logical, uid ? uid : "");
        store_key sk = {CFN_KIND_SIGNAL, c->account, c->region, sid};
        json_t *sig = json_pack("{s:s, s:s}", "Status", status, "UniqueId", uid ? uid : "");
        rc = sig ? store_put(c->txn, &sk, sig, c->err) : ferr_oom(c->err);
        json_decref(sig);
    }
    json_decref(stack);
    return rc;
}

/* custom resources' ResponseURL (engine/stacks/stack_custom.h) */
static const svc_route routes[] = {
    {"PUT", NULL, "/_ferry/cloudformation/custom/", cfn_custom_serve}};

const svc_def svc_cloudformation = {.name = "cloudformation",
                                    .event_source = "cloudformation.amazonaws.com",
                                    .routes = routes,
                                    .nroutes = sizeof(routes) / sizeof(routes[0])};
