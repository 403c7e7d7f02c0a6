/* Change sets: CreateChangeSet computes the changes at once (the stack's current resources
 * against the new template), so the change set is CREATE_COMPLETE (or FAILED when empty)
 * by the time anyone asks; ExecuteChangeSet starts the stack operation it describes.
 *
 * AWS: an empty change set FAILS with "The submitted information didn't contain changes.
 * Submit different information to create a change set." (`aws cloudformation deploy` matches
 * that text for --no-fail-on-empty-changeset). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "base/clock.h"
#include "base/ids.h"
#include "base/jval.h"
#include "cloudformation_int.h"
#include "engine/stacks/engine.h"
#include "engine/stacks/template.h"

static const char *const empty_reason =
    "The submitted information didn't contain changes. Submit different information to create a "
    "change set.";

static int stack_changesets(call *c, const char *stack_uuid, json_t **arr)
{
    return cfn_docs_list(c->txn, CFN_KIND_CHANGESET, c->account, c->region, NULL, stack_uuid, arr,
                         c->err);
}

/* Finds a change set by ARN, or by name within StackName. */
static int find_changeset(call *c, const char *name, const char *stack_name, json_t **cs)
{
    if (!name)
        return ferr_validation(c->err, "1 validation error detected: Value null at "
                                       "'changeSetName' failed to satisfy constraint: Member "
                                       "must not be null");
    if (!strncmp(name, "arn:", 4)) {
        const char *uuid = strrchr(name, '/');
        store_key k = {CFN_KIND_CHANGESET, c->account, c->region, uuid ? uuid + 1 : ""};
        int rc = store_get(c->txn, &k, cs, c->err);
        if (rc < 0) return -1;
        if (rc == 1 && !strcmp(jstr(*cs, "ChangeSetId"), name)) return 0;
        if (rc == 1) json_decref(*cs);
        return ferr_set(c->err, 404, "ChangeSetNotFound", "ChangeSet [%s] does not exist", name);
    }
    if (!stack_name)
        return ferr_validation(c->err, "StackName must be specified if ChangeSetName is not "
                                       "specified as an ARN.");
    json_t *stack = NULL;
    int rc = cfn_stack_find(c->txn, c->account, c->region, stack_name, &stack, c->err);
    if (rc < 0) return -1;
    if (rc == 0)
        return ferr_set(c->err, 404, "ChangeSetNotFound", "ChangeSet [%s] does not exist", name);
    json_t *arr = NULL;
    rc = stack_changesets(c, jstr(stack, "_uuid"), &arr);
    json_decref(stack);
    if (rc) return -1;
    size_t i;
    json_t *d;
    *cs = NULL;
    json_array_foreach(arr, i, d)
        if (!strcmp(jstr(d, "ChangeSetName"), name)) *cs = json_incref(d);
    json_decref(arr);
    if (!*cs)
        return ferr_set(c->err, 404, "ChangeSetNotFound", "ChangeSet [%s] does not exist", name);
    return 0;
}

int cfnsvc_changeset_body(call *c, const char *name, const char *stack, int processed, char **body)
{
    json_t *cs = NULL;
    if (find_changeset(c, name, stack, &cs)) return -1;
    const char *b =
        processed && jstr(cs, "_processed") ? jstr(cs, "_processed") : jstr(cs, "_body");
    *body = strdup(b ? b : "");
    json_decref(cs);
    return 0;
}

/* ---- the diff */

static json_t *detail(const char *name, const char *recreate, const char *eval, const char *source)
{
    json_t *d =
        json_pack("{s:{s:s, s:s, s:s}, s:s, s:s}", "Target", "Attribute", "Properties", "Name",
                  name, "RequiresRecreation", recreate, "Evaluation", eval, "ChangeSource", source);
    return d;
}

static int replaces_on(const cfn_provider *pv, const char *prop)
{
    if (!pv || !cfn_provider_can_update(pv)) return 1;
    for (const char *const *r = pv->replace_on; r && *r; r++)
        if (!strcmp(*r, prop)) return 1;
    return 0;
}

static int mentions_params(const json_t *node, const json_t *decl)
{
    if (json_is_object(node)) {
        json_t *ref = json_object_get(node, "Ref");
        if (json_object_size(node) == 1 && json_is_string(ref) &&
            json_object_get(decl, json_string_value(ref)))
            return 1;
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)node, k, v)
            if (mentions_params(v, decl)) return 1;
    } else if (json_is_array(node)) {
        size_t i;
        json_t *v;
        json_array_foreach(node, i, v)
            if (mentions_params(v, decl)) return 1;
    }
    return 0;
}

/* An export as it is now: AWS resolves Fn::ImportValue when it computes a change set, so an
 * import whose value did not change is no change. */
static int import_now(void *ud, const char *name, char **value, ferr *e)
{
    call *c = ud;
    return cfn_export_value(c->txn, c->account, c->region, name, value, e);
}

/* Changes of a stack update (or create when docs is empty). */
static json_t *compute_changes(call *c, const json_t *stack, const cfn_prep *p, const json_t *docs,
                               ferr *e)
{
    json_t *params = json_object(), *resv = json_object(), *live = json_object();
    int bad = !params || !resv || !live;
    json_t *decl = json_object_get(p->tpl, "Parameters");
    const char *k;
    json_t *v;
    json_object_foreach(p->raw, k, v) {
        json_t *pd = json_object_get(decl, k);
        /* SSM values are known only when the change set runs */
        bad |=
            json_object_set_new(params, k,
                                cfn_param_is_ssm(pd) ? json_string("\x01?")
                                                     : cfn_param_value(pd, json_string_value(v)));
    }
    size_t i;
    json_t *d;
    json_array_foreach(docs, i, d) {
        const char *st = jstr(d, "ResourceStatus");
        if (!st || !strcmp(st, "DELETE_COMPLETE") || !strcmp(st, "DELETE_SKIPPED")) continue;
        bad |= json_object_set(live, jstr(d, "LogicalResourceId"), d);
        json_t *ref = json_object_get(d, "Ref");
        bad |= json_object_set_new(resv, jstr(d, "LogicalResourceId"),
                                   json_pack("{s:o, s:o}", "Ref",
                                             ref ? json_incref(ref) : json_string(""), "Attributes",
                                             json_object_get(d, "Attributes")
                                                 ? json_incref(json_object_get(d, "Attributes"))
                                                 : json_object()));
    }
    cfn_ctx x = {.tpl = p->tpl,
                 .account = c->account,
                 .region = c->region,
                 .stack_name = jstr(stack, "StackName"),
                 .stack_id = jstr(stack, "StackId"),
                 .params = params,
                 .conds = json_object(),
                 .res = resv,
                 .import = import_now,
                 .ud = c,
                 .strict = 0};
    json_t *changes = NULL;
    if (bad || !x.conds) {
        ferr_oom(e);
        goto done;
    }
    if (cfn_conditions_all(&x, e)) goto done;
    json_t *res = json_object_get(p->tpl, "Resources");
    json_t *out = json_array();
    if (!out) {
        ferr_oom(e);
        goto done;
    }
    json_t *old_decl = NULL;
    (void)old_decl;
    /* two passes: a resource that is replaced gets a new Ref, so its dependents change too */
    for (int pass = 0; pass < 2; pass++) {
        json_array_clear(out);
        json_object_foreach(res, k, v) {
            const char *cond = jstr(v, "Condition");
            if (cond && cfn_condition(&x, cond, e) == 0) continue;
            const char *type = jstr(v, "Type");
            json_t *doc = json_object_get(live, k);
            if (!doc) {
                bad |= json_array_append_new(
                    out, json_pack("{s:s, s:{s:s, s:s, s:s, s:[], s:[]}}", "Type", "Resource",
                                   "ResourceChange", "Action", "Add", "LogicalResourceId", k,
                                   "ResourceType", type, "Scope", "Details"));
                continue;
            }
            const cfn_provider *pv = cfn_find_provider(type);
            json_t *pr = json_object_get(v, "Properties");
            json_t *np = pr && !json_is_null(pr) ? cfn_resolve(&x, pr, e) : json_object();
            if (!np) {
                json_decref(out);
                goto done;
            }
            if (pv && pv->name_property && !json_object_get(np, pv->name_property) &&
                jstr(doc, "GenName"))
                bad |= json_object_set(np, pv->name_property, json_object_get(doc, "GenName"));
            json_t *op = json_object_get(doc, "Props");
            int type_changed = strcmp(type, jstr(doc, "ResourceType"));
            json_t *details = json_array();
            int always = type_changed, cond_r = 0;
            json_t *keys = json_object();
            const char *kk;
            json_object_foreach(np, kk, d) bad |= json_object_set_new(keys, kk, json_true());
            json_object_foreach(op, kk, d) bad |= json_object_set_new(keys, kk, json_true());
            json_object_foreach(keys, kk, d) {
                json_t *a = json_object_get(op, kk), *b = json_object_get(np, kk);
                if (a && b && json_equal(a, b)) continue;
                int dyn;
                char *bs = b ? json_dumps(b, JSON_ENCODE_ANY) : NULL;
                dyn = bs && strstr(bs, "\\u0001?") != NULL;
                free(bs);
                int rep = type_changed || replaces_on(pv, kk);
                const char *rr = rep ? (dyn ? "Conditionally" : "Always") : "Never";
                if (rep && dyn)
                    cond_r = 1;
                else if (rep)
                    always = 1;
                const char *src = dyn ? "ResourceAttribute"
                                  : mentions_params(json_object_get(pr, kk), decl)
                                      ? "ParameterReference"
                                      : "DirectModification";
                bad |=
                    json_array_append_new(details, detail(kk, rr, dyn ? "Dynamic" : "Static", src));
            }
            json_decref(keys);
            json_t *meta_new = json_object_get(v, "Metadata");
            int meta_changed = 0;
            if (meta_new || json_object_get(doc, "Metadata")) {
                json_t *mr = meta_new ? cfn_resolve(&x, meta_new, e) : json_null();
                if (!mr) mr = json_null();
                meta_changed = !json_equal(mr, json_object_get(doc, "Metadata")
                                                   ? json_object_get(doc, "Metadata")
                                                   : json_null());
                json_decref(mr);
            }
            json_decref(np);
            if (!json_array_size(details) && !meta_changed && !type_changed) {
                json_decref(details);
                continue;
            }
            const char *repl = always ? "True" : cond_r ? "Conditional" : "False";
            json_t *scope = json_array();
            if (json_array_size(details) || type_changed)
                bad |= json_array_append_new(scope, json_string("Properties"));
            if (meta_changed) bad |= json_array_append_new(scope, json_string("Metadata"));
            bad |= json_array_append_new(
                out, json_pack("{s:s, s:{s:s, s:s, s:O, s:s, s:s, s:o, s:o}}", "Type", "Resource",
                               "ResourceChange", "Action", "Modify", "LogicalResourceId", k,
                               "PhysicalResourceId", json_object_get(doc, "PhysicalResourceId"),
                               "ResourceType", type, "Replacement", repl, "Scope", scope, "Details",
                               details));
            if (pass == 0 && (always || cond_r))
                bad |= json_object_set_new(resv, k,
                                           json_pack("{s:s, s:{}}", "Ref", "\x01?", "Attributes"));
        }
        if (pass == 0) {
            /* replaced resources' attributes are unknown too */
            size_t n;
            json_t *ch;
            json_array_foreach(out, n, ch) {
                json_t *rc = json_object_get(ch, "ResourceChange");
                if (!strcmp(jstr(rc, "Action"), "Modify") &&
                    strcmp(jstr(rc, "Replacement"), "False"))
                    bad |=
                        json_object_set_new(resv, jstr(rc, "LogicalResourceId"),
                                            json_pack("{s:s, s:{}}", "Ref", "\x01?", "Attributes"));
            }
        }
    }
    json_object_foreach(live, k, d) {
        json_t *def = json_object_get(res, k);
        const char *cond = jstr(def, "Condition");
        int stays = def && !(cond && cfn_condition(&x, cond, e) == 0);
        if (stays) continue;
        bad |= json_array_append_new(
            out, json_pack("{s:s, s:{s:s, s:s, s:O, s:O, s:[], s:[]}}", "Type", "Resource",
                           "ResourceChange", "Action", "Remove", "LogicalResourceId", k,
                           "PhysicalResourceId", json_object_get(d, "PhysicalResourceId"),
                           "ResourceType", json_object_get(d, "ResourceType"), "Scope", "Details"));
    }
    if (bad) {
        /* a list of changes with some missing is not shown */
        json_decref(out);
        ferr_oom(e);
        goto done;
    }
    /* unknown values are not shown */
    changes = out;
done:
    json_decref(params);
    json_decref(resv);
    json_decref(live);
    json_decref(x.conds);
    return changes;
}

/* AWS: a template its Transform refuses still makes a change set, FAILED with the
 * transform's words as its StatusReason (what `aws cloudformation deploy` prints). */
static int failed_changeset(call *c, const json_t *in, json_t *stack, int created,
                            const char *csname, const char *type, json_t **out)
{
    char reason[sizeof(c->err->message)];
    snprintf(reason, sizeof(reason), "%s", c->err->message);
    memset(c->err, 0, sizeof(*c->err));
    char uuid[37];
    ids_uuid(uuid);
    char *csid = arena_printf(c->a, "arn:%s:cloudformation:%s:%s:changeSet/%s/%s",
                              arn_partition(c->region), c->region, c->account, csname, uuid);
    json_t *cs = json_pack(
        "{s:s, s:s, s:O, s:O, s:[], s:f, s:s, s:s, s:s, s:[], s:o, s:[], s:b, s:[], s:s, s:s, "
        "s:s}",
        "ChangeSetName", csname, "ChangeSetId", csid, "StackId", json_object_get(stack, "StackId"),
        "StackName", json_object_get(stack, "StackName"), "Parameters", "CreationTime", clock_now(),
        "ExecutionStatus", "UNAVAILABLE", "Status", "FAILED", "StatusReason", reason, "Changes",
        "Capabilities",
        json_object_get(in, "Capabilities") ? json_deep_copy(json_object_get(in, "Capabilities"))
                                            : json_array(),
        "NotificationARNs", "IncludeNestedStacks", 0, "Tags", "_uuid", uuid, "_stack_uuid",
        jstr(stack, "_uuid"), "_type", type);
    store_key k = {CFN_KIND_CHANGESET, c->account, c->region, uuid};
    int rc = !cs ? ferr_oom(c->err) : store_put(c->txn, &k, cs, c->err);
    json_decref(cs);
    if (!rc && created) rc = cfn_stack_put(c->txn, stack, c->err);
    if (!rc) {
        call_resource(c, "AWS::CloudFormation::ChangeSet", csid);
        *out = json_pack("{s:s, s:O}", "Id", csid, "StackId", json_object_get(stack, "StackId"));
    }
    return rc;
}

int cloudformation_op_create_change_set(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "StackName"), *csname = jstr(in, "ChangeSetName");
    const char *type = jstr(in, "ChangeSetType");
    if (!type) type = "UPDATE";
    /* the change set's name and type are the model's pattern and enum (proto/validate.c) */
    if (cfnsvc_auth(c, "CreateChangeSet", name, name)) return -1;
    if (!strcmp(type, "IMPORT"))
        return ferr_validation(c->err, "ChangeSetType IMPORT is not supported by ferry yet");
    json_t *stack = NULL;
    int rc = cfn_stack_find(c->txn, c->account, c->region, name, &stack, c->err);
    if (rc < 0) return -1;
    int created = 0;
    if (!strcmp(type, "CREATE")) {
        if (rc == 1 && strcmp(jstr(stack, "StackStatus"), "REVIEW_IN_PROGRESS")) {
            json_decref(stack);
            return ferr_validation(c->err,
                                   "Stack [%s] already exists and cannot be created again with "
                                   "the changeSet [%s].",
                                   name, csname);
        }
        if (rc == 0) {
            if (cfnsvc_valid_name(c, name, "stackName") || cfnsvc_new_stack(c, name, &stack))
                return -1;
            created = 1;
        }
    } else {
        if (rc == 0) return ferr_validation(c->err, "Stack [%s] does not exist", name);
        if (cfnsvc_updatable(c, stack)) {
            json_decref(stack);
            return -1;
        }
    }
    json_t *existing = NULL;
    if (stack_changesets(c, jstr(stack, "_uuid"), &existing)) goto fail_stack;
    size_t i;
    json_t *d;
    json_array_foreach(existing, i, d) {
        if (!strcmp(jstr(d, "ChangeSetName"), csname)) {
            /* AWS keeps an executed change set until the stack's next update, which this
             * request begins. `aws cloudformation deploy` names change sets after the current
             * second, and ferry finishes a deploy within one: let the executed one go rather
             * than refuse a name AWS would never see twice. */
            const char *es = jstr(d, "ExecutionStatus"), *st = jstr(d, "Status");
            /* the same for the failed empty change sets the CLI leaves behind with
             * --no-fail-on-empty-changeset, under its generated name */
            int cli_failed = st && !strcmp(st, "FAILED") &&
                             !strncmp(csname, "awscli-cloudformation-package-deploy-", 37);
            if ((es && !strcmp(es, "EXECUTE_COMPLETE")) || cli_failed) {
                store_key k = {CFN_KIND_CHANGESET, c->account, c->region, jstr(d, "_uuid")};
                if (store_del(c->txn, &k, c->err) < 0) {
                    json_decref(existing);
                    goto fail_stack;
                }
                continue;
            }
            json_decref(existing);
            ferr_set(c->err, 400, "AlreadyExistsException", "ChangeSet [%s] already exists",
                     csname);
            goto fail_stack;
        }
    }
    json_decref(existing);
    cfn_prep p;
    if (cfnsvc_prepare(c, in, created || !strcmp(type, "CREATE") ? NULL : stack, &p)) {
        if (c->err->status == 400 && !strncmp(c->err->message, "Transform ", 10)) {
            rc = failed_changeset(c, in, stack, created, csname, type, out);
            json_decref(stack);
            return rc;
        }
        goto fail_stack;
    }
    /* an update compares with the stack's resources; a new stack has none */
    json_t *docs = NULL;
    int listed;
    if (!strcmp(type, "UPDATE")) {
        char prefix[64];
        snprintf(prefix, sizeof(prefix), "%s/", jstr(stack, "_uuid"));
        listed =
            cfn_docs_list(c->txn, CFN_KIND_RES, c->account, c->region, prefix, NULL, &docs, c->err);
    } else
        listed = (docs = json_array()) ? 0 : ferr_oom(c->err);
    if (listed) {
        cfnsvc_prep_dispose(&p);
        goto fail_stack;
    }
    json_t *changes = compute_changes(c, stack, &p, docs, c->err);
    json_decref(docs);
    if (!changes) {
        cfnsvc_prep_dispose(&p);
        goto fail_stack;
    }
    char uuid[37];
    ids_uuid(uuid);
    char *csid = arena_printf(c->a, "arn:%s:cloudformation:%s:%s:changeSet/%s/%s",
                              arn_partition(c->region), c->region, c->account, csname, uuid);
    int empty = 0;
    if (!strcmp(type, "UPDATE") && !json_array_size(changes)) {
        /* AWS: outputs, parameters or tags that change without a resource change are still a
         * change; the same template, parameters and tags are not */
        char *cur = cfn_template_body(c->txn, stack, "cur", c->err);
        ferr pe = {0};
        json_t *ct = cur ? cfn_template_parse(cur, strlen(cur), &pe) : NULL;
        free(cur);
        int tags_same = !json_object_get(in, "Tags") ||
                        json_equal(json_object_get(in, "Tags"), json_object_get(stack, "Tags"));
        json_t *o1 = json_object_get(ct, "Outputs"), *o2 = json_object_get(p.tpl, "Outputs");
        empty = ct && ((!o1 && !o2) || (o1 && o2 && json_equal(o1, o2))) &&
                json_equal(json_object_get(stack, "_raw"), p.raw) && tags_same;
        json_decref(ct);
    }
    json_t *tags = json_object_get(in, "Tags") ? json_deep_copy(json_object_get(in, "Tags"))
                                               : json_deep_copy(json_object_get(stack, "Tags"));
    json_t *na = json_object_get(in, "NotificationARNs");
    json_t *cs = json_pack(
        "{s:s, s:s, s:O, s:O, s:O, s:f, s:s, s:s, s:o, s:o, s:o, s:b, s:o}", "ChangeSetName",
        csname, "ChangeSetId", csid, "StackId", json_object_get(stack, "StackId"), "StackName",
        json_object_get(stack, "StackName"), "Parameters", p.plist, "CreationTime", clock_now(),
        "ExecutionStatus", empty ? "UNAVAILABLE" : "AVAILABLE", "Status",
        empty ? "FAILED" : "CREATE_COMPLETE", "Changes", changes, "Capabilities",
        p.caps ? json_deep_copy(p.caps) : json_array(), "NotificationARNs",
        na ? json_deep_copy(na) : json_deep_copy(json_object_get(stack, "NotificationARNs")),
        "IncludeNestedStacks", 0, "Tags", tags ? tags : json_array());
    int bad = !cs ||
              (empty && json_object_set_new(cs, "StatusReason", json_string(empty_reason))) ||
              (jstr(in, "Description") &&
               json_object_set(cs, "Description", json_object_get(in, "Description"))) ||
              (p.role_arn && json_object_set_new(cs, "RoleARN", json_string(p.role_arn))) ||
              json_object_set_new(cs, "_uuid", json_string(uuid)) ||
              json_object_set_new(cs, "_stack_uuid", json_string(jstr(stack, "_uuid"))) ||
              json_object_set_new(cs, "_type", json_string(type)) ||
              json_object_set_new(cs, "_body", json_string(p.body)) ||
              (p.processed && json_object_set_new(cs, "_processed", json_string(p.processed)));
    /* the request as given: ExecuteChangeSet prepares it again against the stack then */
    json_t *req = json_deep_copy(in);
    json_object_del(req, "TemplateBody");
    json_object_del(req, "TemplateURL");
    json_object_del(req, "UsePreviousTemplate");
    bad |= json_object_set_new(cs, "_req", req);
    cfnsvc_prep_dispose(&p);
    store_key k = {CFN_KIND_CHANGESET, c->account, c->region, uuid};
    rc = bad ? ferr_oom(c->err) : store_put(c->txn, &k, cs, c->err);
    if (!rc && created) rc = cfn_stack_put(c->txn, stack, c->err);
    if (!rc) {
        call_resource(c, "AWS::CloudFormation::ChangeSet", csid);
        *out = json_pack("{s:s, s:O}", "Id", csid, "StackId", json_object_get(stack, "StackId"));
    }
    json_decref(cs);
    json_decref(stack);
    return rc;
fail_stack:
    json_decref(stack);
    return -1;
}

/* NULL: out of memory. */
static json_t *cs_view(const json_t *cs)
{
    json_t *v = json_object();
    int rc = !v;
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)cs, k, x)
        if (k[0] != '_') rc |= json_object_set(v, k, x);
    return jdone(v, rc);
}

int cloudformation_op_describe_change_set(call *c, json_t *in, json_t **out)
{
    json_t *cs = NULL;
    if (cfnsvc_auth(c, "DescribeChangeSet", jstr(in, "StackName"), jstr(in, "StackName")) ||
        find_changeset(c, jstr(in, "ChangeSetName"), jstr(in, "StackName"), &cs))
        return -1;
    json_t *v = cs_view(cs);
    json_decref(cs);
    if (!v) return ferr_oom(c->err);
    json_t *changes = json_incref(json_object_get(v, "Changes"));
    json_object_del(v, "Changes");
    int rc = svc_page(c, changes, jstr(in, "NextToken"), 1000, v, "Changes", "NextToken",
                      "ValidationError");
    json_decref(changes);
    *out = v;
    return rc;
}

int cloudformation_op_list_change_sets(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "StackName");
    json_t *stack = NULL, *arr = NULL;
    if (cfnsvc_auth(c, "ListChangeSets", name, name) || cfnsvc_load_stack(c, name, &stack))
        return -1;
    int rc = stack_changesets(c, jstr(stack, "_uuid"), &arr);
    json_decref(stack);
    if (rc) return -1;
    json_t *sums = json_array();
    int bad = !sums;
    size_t i;
    json_t *d;
    json_array_foreach(arr, i, d) {
        json_t *s = json_object();
        const char *keys[] = {
            "StackId", "StackName",    "ChangeSetId",  "ChangeSetName", "ExecutionStatus",
            "Status",  "StatusReason", "CreationTime", "Description",   "IncludeNestedStacks"};
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
            if (json_object_get(d, keys[k]))
                bad |= json_object_set(s, keys[k], json_object_get(d, keys[k]));
        bad |= json_array_append_new(sums, s);
    }
    json_decref(arr);
    if (bad) {
        json_decref(sums);
        return ferr_oom(c->err);
    }
    return cfnsvc_page(c, in, sums, 100, "Summaries", "ValidationError", out);
}

int cloudformation_op_delete_change_set(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *cs = NULL;
    if (cfnsvc_auth(c, "DeleteChangeSet", jstr(in, "StackName"), jstr(in, "StackName")) ||
        find_changeset(c, jstr(in, "ChangeSetName"), jstr(in, "StackName"), &cs))
        return -1;
    int rc = 0;
    if (!strcmp(jstr(cs, "ExecutionStatus"), "EXECUTE_IN_PROGRESS"))
        rc = ferr_set(c->err, 400, "InvalidChangeSetStatus",
                      "Cannot delete ChangeSet in status EXECUTE_IN_PROGRESS");
    else {
        store_key k = {CFN_KIND_CHANGESET, c->account, c->region, jstr(cs, "_uuid")};
        rc = store_del(c->txn, &k, c->err) < 0 ? -1 : 0;
    }
    json_decref(cs);
    return rc;
}

int cloudformation_op_execute_change_set(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *cs = NULL, *stack = NULL;
    if (cfnsvc_auth(c, "ExecuteChangeSet", jstr(in, "StackName"), jstr(in, "StackName")) ||
        find_changeset(c, jstr(in, "ChangeSetName"), jstr(in, "StackName"), &cs))
        return -1;
    int rc = 0;
    const char *es = jstr(cs, "ExecutionStatus");
    if (strcmp(es, "AVAILABLE")) {
        rc = ferr_set(c->err, 400, "InvalidChangeSetStatus",
                      "ChangeSet [%s] cannot be executed in its current execution status of [%s]",
                      jstr(cs, "ChangeSetId"), es);
        goto done;
    }
    store_key sk = {CFN_KIND_STACK, c->account, c->region, jstr(cs, "_stack_uuid")};
    rc = store_get(c->txn, &sk, &stack, c->err);
    if (rc <= 0) {
        if (rc == 0)
            rc = ferr_validation(c->err, "Stack [%s] does not exist", jstr(cs, "StackName"));
        rc = -1;
        goto done;
    }
    const char *type = jstr(cs, "_type");
    int create = !strcmp(type, "CREATE");
    if (create ? strcmp(jstr(stack, "StackStatus"), "REVIEW_IN_PROGRESS") != 0
               : cfnsvc_updatable(c, stack) != 0) {
        if (!ferr_isset(c->err))
            ferr_validation(c->err, "Stack:%s is in %s state and can not be updated.",
                            jstr(stack, "StackId"), jstr(stack, "StackStatus"));
        rc = -1;
        goto done;
    }
    /* the change set's request, prepared again with its template */
    json_t *req = json_deep_copy(json_object_get(cs, "_req"));
    if (!req || json_object_set(req, "TemplateBody", json_object_get(cs, "_body")) ||
        (json_object_get(in, "DisableRollback") &&
         json_object_set(req, "DisableRollback", json_object_get(in, "DisableRollback"))) ||
        (jstr(in, "ClientRequestToken") &&
         json_object_set(req, "ClientRequestToken", json_object_get(in, "ClientRequestToken")))) {
        json_decref(req);
        rc = ferr_oom(c->err);
        goto done;
    }
    cfn_prep p;
    rc = cfnsvc_prepare(c, req, create ? NULL : stack, &p);
    if (!rc) {
        if (create)
            rc = cfnsvc_start_create(c, stack, &p, req, jstr(cs, "_uuid"));
        else
            rc = cfnsvc_start_update(c, stack, &p, req, jstr(cs, "_uuid"));
        cfnsvc_prep_dispose(&p);
    }
    json_decref(req);
    if (rc) goto done;
    /* AWS: executing one change set removes the stack's others */
    json_t *arr = NULL;
    if (stack_changesets(c, jstr(stack, "_uuid"), &arr)) {
        rc = -1;
        goto done;
    }
    size_t i;
    json_t *d;
    json_array_foreach(arr, i, d) {
        if (!strcmp(jstr(d, "_uuid"), jstr(cs, "_uuid"))) continue;
        store_key k = {CFN_KIND_CHANGESET, c->account, c->region, jstr(d, "_uuid")};
        if (store_del(c->txn, &k, c->err) < 0) {
            rc = -1;
            break;
        }
    }
    json_decref(arr);
    if (rc) goto done;
    store_key ck = {CFN_KIND_CHANGESET, c->account, c->region, jstr(cs, "_uuid")};
    rc = json_object_set_new(cs, "ExecutionStatus", json_string("EXECUTE_IN_PROGRESS"))
             ? ferr_oom(c->err)
             : store_put(c->txn, &ck, cs, c->err);
    if (!rc) {
        /* DescribeStacks shows the change set that made the stack */
        json_t *fresh = NULL;
        if (store_get(c->txn, &sk, &fresh, c->err) == 1) {
            rc = json_object_set(fresh, "ChangeSetId", json_object_get(cs, "ChangeSetId"))
                     ? ferr_oom(c->err)
                     : cfn_stack_put(c->txn, fresh, c->err);
            json_decref(fresh);
        }
    }
done:
    json_decref(cs);
    json_decref(stack);
    return rc;
}
