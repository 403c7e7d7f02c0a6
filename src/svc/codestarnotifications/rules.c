/* AWS CodeStar Notifications (rest-json): notification rules on a resource (CodePipeline
 * pipelines), their targets (SNS topics; AWS Chatbot clients recorded), event types and tags.
 * See csn_int.h for the documents. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/arn.h"
#include "base/clock.h"
#include "base/ids.h"
#include "csn_int.h"

const svc_def svc_codestarnotifications = {.name = "codestar-notifications",
                                           .event_source = "codestar-notifications.amazonaws.com"};

#define PIPE "CodePipeline", "Pipeline"
#define PX   "CodePipeline Pipeline Execution State Change"
#define SX   "CodePipeline Stage Execution State Change"
#define AX   "CodePipeline Action Execution State Change"
/* AWS's catalogue for pipelines (Developer Tools console, "Events for notification rules on
 * pipelines"). */
const csn_type csn_types[] = {
    {"codepipeline-pipeline-action-execution-canceled", PIPE, AX, "CANCELED", 0},
    {"codepipeline-pipeline-action-execution-failed", PIPE, AX, "FAILED", 0},
    {"codepipeline-pipeline-action-execution-started", PIPE, AX, "STARTED", 0},
    {"codepipeline-pipeline-action-execution-succeeded", PIPE, AX, "SUCCEEDED", 0},
    {"codepipeline-pipeline-manual-approval-failed", PIPE, AX, "FAILED", 1},
    {"codepipeline-pipeline-manual-approval-needed", PIPE, AX, "STARTED", 1},
    {"codepipeline-pipeline-manual-approval-succeeded", PIPE, AX, "SUCCEEDED", 1},
    {"codepipeline-pipeline-pipeline-execution-canceled", PIPE, PX, "CANCELED", 0},
    {"codepipeline-pipeline-pipeline-execution-failed", PIPE, PX, "FAILED", 0},
    {"codepipeline-pipeline-pipeline-execution-resumed", PIPE, PX, "RESUMED", 0},
    {"codepipeline-pipeline-pipeline-execution-started", PIPE, PX, "STARTED", 0},
    {"codepipeline-pipeline-pipeline-execution-succeeded", PIPE, PX, "SUCCEEDED", 0},
    {"codepipeline-pipeline-pipeline-execution-superseded", PIPE, PX, "SUPERSEDED", 0},
    {"codepipeline-pipeline-stage-execution-canceled", PIPE, SX, "CANCELED", 0},
    {"codepipeline-pipeline-stage-execution-failed", PIPE, SX, "FAILED", 0},
    {"codepipeline-pipeline-stage-execution-resumed", PIPE, SX, "RESUMED", 0},
    {"codepipeline-pipeline-stage-execution-started", PIPE, SX, "STARTED", 0},
    {"codepipeline-pipeline-stage-execution-succeeded", PIPE, SX, "SUCCEEDED", 0},
};
const size_t csn_ntypes = sizeof(csn_types) / sizeof(csn_types[0]);
#undef PIPE

const csn_type *csn_type_find(const char *id)
{
    for (size_t i = 0; id && i < csn_ntypes; i++)
        if (!strcmp(csn_types[i].id, id)) return &csn_types[i];
    return NULL;
}

static const char *type_name(arena *a, const csn_type *t)
{
    /* "Action execution: Failed", as the console words them */
    const char *what = strstr(t->id, "-manual-approval-")    ? "Manual approval"
                       : strstr(t->id, "-action-execution-") ? "Action execution"
                       : strstr(t->id, "-stage-execution-")  ? "Stage execution"
                                                             : "Pipeline execution";
    const char *st = strrchr(t->id, '-') + 1;
    return arena_printf(a, "%s: %c%s", what, st[0] - 'a' + 'A', st + 1);
}

static json_t *type_summary(arena *a, const csn_type *t)
{
    return json_pack("{s:s, s:s, s:s, s:s}", "EventTypeId", t->id, "ServiceName", t->service,
                     "EventTypeName", type_name(a, t), "ResourceType", t->resource_type);
}

const char *csn_rule_id(call *c, const char *arn)
{
    const char *id = call_arn_rest(c, "codestar-notifications", arn, "notificationrule");
    return id && *id && !strchr(id, '/') ? id : NULL;
}

static int not_found(call *c, const char *arn)
{
    return ferr_set(c->err, 404, "ResourceNotFoundException",
                    "Notification rule %s does not exist.", arn ? arn : "");
}

/* The rule arn names, authorized for action: 0 (*doc in the arena, *k its key) or -1. */
static int rule_load(call *c, const char *action, const char *arn, json_t **doc, store_key *k)
{
    const char *id = csn_rule_id(c, arn);
    if (call_authorize(c, action, arn ? arn : "*")) return -1;
    if (!id) return not_found(c, arn);
    *k = call_key(c, CSN_RULE_KIND, id);
    int rc = store_get(c->txn, k, doc, c->err);
    if (rc < 0) return -1;
    if (!rc) return not_found(c, arn);
    if (!arena_defer_json(c->a, *doc)) return ferr_oom(c->err);
    call_resource(c, "AWS::CodeStarNotifications::NotificationRule", arn);
    return 0;
}

/* The event types must be of the resource's service (AWS refuses others). */
static int check_types(call *c, const json_t *ids, const char *resource)
{
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v) {
        const csn_type *t = csn_type_find(json_string_value(v));
        if (!t)
            return ferr_set(c->err, 400, "ValidationException",
                            "Event type %s is not a valid event type ID.", json_string_value(v));
        if (resource && !arn_rest(resource, "codepipeline"))
            return ferr_set(c->err, 400, "ValidationException",
                            "Event type %s does not apply to resource %s.", t->id, resource);
    }
    return 0;
}

/* Targets as stored: each {TargetType, TargetAddress, TargetStatus}; a target already in
 * old keeps its status. */
static json_t *targets_of(call *c, const json_t *in, const json_t *old)
{
    json_t *out = arena_defer_json(c->a, json_array());
    if (!out) return ferr_oom(c->err), NULL;
    size_t i, j;
    json_t *v, *o;
    json_array_foreach(in, i, v) {
        const char *type = jstr(v, "TargetType"), *addr = jstr(v, "TargetAddress");
        if (!type || !addr)
            return ferr_set(c->err, 400, "ValidationException",
                            "A target needs a TargetType and a TargetAddress."),
                   NULL;
        if (strcmp(type, "SNS") && strcmp(type, "AWSChatbotSlack"))
            return ferr_set(c->err, 400, "ConfigurationException",
                            "Target type %s is not supported.", type),
                   NULL;
        if (!strcmp(type, "SNS") && !arn_rest(addr, "sns"))
            return ferr_set(c->err, 400, "ValidationException",
                            "Target address %s is not an Amazon SNS topic ARN.", addr),
                   NULL;
        const char *st = "PENDING";
        json_array_foreach(old, j, o) {
            if (!strcmp(jstr(o, "TargetAddress"), addr)) st = jstr(o, "TargetStatus");
        }
        if (json_array_append_new(out, json_pack("{s:s, s:s, s:s}", "TargetType", type,
                                                 "TargetAddress", addr, "TargetStatus", st)))
            return ferr_oom(c->err), NULL;
    }
    return out;
}

static int tags_check(call *c, const json_t *tags)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)tags, k, v) {
        if (!strncasecmp(k, "aws:", 4))
            return ferr_set(c->err, 400, "ValidationException",
                            "Tag keys cannot start with the aws: prefix.");
    }
    return 0;
}

typedef struct find_ctx {
    const char *name;
    json_t *found;
} find_ctx;

static int find_name(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    find_ctx *x = ud;
    if (strcmp(jstr(doc, "Name"), x->name)) return 0;
    x->found = json_incref(doc);
    return 1;
}

int codestarnotifications_op_create_notification_rule(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "Name"), *resource = jstr(in, "Resource");
    const char *token = jstr(in, "ClientRequestToken");
    if (call_authorize(c, "codestar-notifications:CreateNotificationRule", "*")) return -1;
    find_ctx x = {name, NULL};
    if (store_list(c->txn, CSN_RULE_KIND, c->account, c->region, NULL, NULL, 0, find_name, &x,
                   c->err) < 0)
        return -1;
    if (x.found) {
        arena_defer_json(c->a, x.found);
        /* AWS: the same request again (its token) answers the rule it made */
        if (token && jstr(x.found, "Token") && !strcmp(token, jstr(x.found, "Token"))) {
            *out = svc_out(c, json_pack("{s:s}", "Arn", jstr(x.found, "Arn")));
            return 0;
        }
        return ferr_set(c->err, 400, "ResourceAlreadyExistsException",
                        "A notification rule with the name %s already exists in this account.",
                        name);
    }
    const json_t *tags = json_object_get(in, "Tags");
    json_t *targets = targets_of(c, json_object_get(in, "Targets"), NULL);
    if (!targets || check_types(c, json_object_get(in, "EventTypeIds"), resource) ||
        tags_check(c, tags))
        return -1;
    char id[41];
    ids_hex(id, 40);
    const char *arn =
        call_arn(c, "codestar-notifications", arena_printf(c->a, "notificationrule/%s", id));
    double now = clock_now();
    json_t *doc = arena_defer_json(
        c->a,
        json_pack("{s:s, s:s, s:s, s:O, s:O, s:s, s:s, s:s, s:f, s:f, s:o}", "Arn", arn, "Name",
                  name, "Resource", resource, "EventTypeIds", json_object_get(in, "EventTypeIds"),
                  "Targets", targets, "DetailType", jstr(in, "DetailType"), "Status",
                  jstr(in, "Status") ? jstr(in, "Status") : "ENABLED", "CreatedBy", c->who->arn,
                  "CreatedTimestamp", now, "LastModifiedTimestamp", now, "Tags",
                  tags ? json_incref((json_t *)tags) : json_object()));
    if (!arn || !doc || jset_str(doc, "Token", token)) return ferr_oom(c->err);
    store_key k = call_key(c, CSN_RULE_KIND, id);
    if (store_put(c->txn, &k, doc, c->err)) return -1;
    call_resource(c, "AWS::CodeStarNotifications::NotificationRule", arn);
    *out = svc_out(c, json_pack("{s:s}", "Arn", arn));
    return 0;
}

int codestarnotifications_op_describe_notification_rule(call *c, json_t *in, json_t **out)
{
    json_t *d;
    store_key k;
    if (rule_load(c, "codestar-notifications:DescribeNotificationRule", jstr(in, "Arn"), &d, &k))
        return -1;
    json_t *types = arena_defer_json(c->a, json_array());
    if (!types) return ferr_oom(c->err);
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(d, "EventTypeIds"), i, v) {
        const csn_type *t = csn_type_find(json_string_value(v));
        if (t && json_array_append_new(types, type_summary(c->a, t))) return ferr_oom(c->err);
    }
    json_t *o = json_deep_copy(d);
    if (!o || json_object_set(o, "EventTypes", types)) return json_decref(o), ferr_oom(c->err);
    (void)json_object_del(o, "Token");
    (void)json_object_del(o, "EventTypeIds");
    *out = svc_out(c, o);
    return 0;
}

int codestarnotifications_op_update_notification_rule(call *c, json_t *in, json_t **out)
{
    json_t *d;
    store_key k;
    if (rule_load(c, "codestar-notifications:UpdateNotificationRule", jstr(in, "Arn"), &d, &k))
        return -1;
    const json_t *ids = json_object_get(in, "EventTypeIds");
    if (ids && check_types(c, ids, jstr(d, "Resource"))) return -1;
    json_t *targets = NULL;
    if (json_object_get(in, "Targets") &&
        !(targets = targets_of(c, json_object_get(in, "Targets"), json_object_get(d, "Targets"))))
        return -1;
    if (jset_str(d, "Name", jstr(in, "Name")) || jset_str(d, "Status", jstr(in, "Status")) ||
        jset_str(d, "DetailType", jstr(in, "DetailType")) ||
        (ids && json_object_set(d, "EventTypeIds", (json_t *)ids)) ||
        (targets && json_object_set(d, "Targets", targets)) ||
        json_object_set_new(d, "LastModifiedTimestamp", json_real(clock_now())))
        return ferr_oom(c->err);
    if (store_put(c->txn, &k, d, c->err)) return -1;
    *out = svc_out(c, json_object());
    return 0;
}

int codestarnotifications_op_delete_notification_rule(call *c, json_t *in, json_t **out)
{
    const char *arn = jstr(in, "Arn"), *id = csn_rule_id(c, arn);
    if (call_authorize(c, "codestar-notifications:DeleteNotificationRule", arn ? arn : "*"))
        return -1;
    if (id) {
        /* AWS: deleting a rule that is not there succeeds */
        store_key k = call_key(c, CSN_RULE_KIND, id);
        if (store_del(c->txn, &k, c->err) < 0) return -1;
    }
    call_resource(c, "AWS::CodeStarNotifications::NotificationRule", arn);
    *out = svc_out(c, json_pack("{s:s}", "Arn", arn));
    return 0;
}

/* Removes the rule's targets at addr. 0, or -1 out of memory. */
static int drop_target(json_t *rule, const char *addr)
{
    json_t *ts = json_object_get(rule, "Targets");
    for (size_t i = json_array_size(ts); i-- > 0;)
        if (addr && !strcmp(jstr(json_array_get(ts, i), "TargetAddress"), addr) &&
            json_array_remove(ts, i))
            return -1;
    return 0;
}

int codestarnotifications_op_subscribe(call *c, json_t *in, json_t **out)
{
    json_t *d;
    store_key k;
    if (rule_load(c, "codestar-notifications:Subscribe", jstr(in, "Arn"), &d, &k)) return -1;
    const json_t *old = json_object_get(d, "Targets");
    json_t *one = arena_defer_json(c->a, json_pack("[O]", json_object_get(in, "Target")));
    json_t *add = one ? targets_of(c, one, old) : NULL;
    if (!add) return one ? -1 : ferr_oom(c->err);
    size_t i;
    json_t *o;
    int have = 0;
    json_array_foreach(old, i, o) {
        have |= !strcmp(jstr(o, "TargetAddress"), jstr(json_array_get(add, 0), "TargetAddress"));
    }
    if (!have) {
        if (json_array_extend(json_object_get(d, "Targets"), add)) return ferr_oom(c->err);
        if (store_put(c->txn, &k, d, c->err)) return -1;
    }
    *out = svc_out(c, json_pack("{s:s}", "Arn", jstr(d, "Arn")));
    return 0;
}

int codestarnotifications_op_unsubscribe(call *c, json_t *in, json_t **out)
{
    json_t *d;
    store_key k;
    if (rule_load(c, "codestar-notifications:Unsubscribe", jstr(in, "Arn"), &d, &k)) return -1;
    if (drop_target(d, jstr(in, "TargetAddress"))) return ferr_oom(c->err);
    if (store_put(c->txn, &k, d, c->err)) return -1;
    *out = svc_out(c, json_pack("{s:s}", "Arn", jstr(d, "Arn")));
    return 0;
}

/* ---- lists ---- */

/* 1 when every filter name's values (OR within a name, AND across names) accept. */
static int filtered(const json_t *filters, const char *name, const char *value)
{
    int seen = 0, hit = 0;
    size_t i;
    json_t *f;
    json_array_foreach(filters, i, f) {
        if (strcmp(jstr(f, "Name"), name)) continue;
        seen = 1;
        hit |= value && !strcasecmp(jstr(f, "Value"), value);
    }
    return !seen || hit;
}

static int any_filtered(const json_t *filters, const char *name, const json_t *list,
                        const char *member)
{
    size_t i;
    json_t *v;
    if (filtered(filters, name, NULL)) return 1;
    json_array_foreach(list, i, v) {
        if (filtered(filters, name, member ? jstr(v, member) : json_string_value(v))) return 1;
    }
    return 0;
}

typedef struct list_ctx {
    const json_t *filters;
    json_t *out;
} list_ctx;

static int rules_cb(void *ud, const store_key *k, json_t *doc)
{
    list_ctx *x = ud;
    if (!filtered(x->filters, "RESOURCE", jstr(doc, "Resource")) ||
        !filtered(x->filters, "CREATED_BY", jstr(doc, "CreatedBy")) ||
        !any_filtered(x->filters, "EVENT_TYPE_ID", json_object_get(doc, "EventTypeIds"), NULL) ||
        !any_filtered(x->filters, "TARGET_ADDRESS", json_object_get(doc, "Targets"),
                      "TargetAddress"))
        return 0;
    return json_array_append_new(x->out,
                                 json_pack("{s:s, s:s}", "Id", k->id, "Arn", jstr(doc, "Arn")))
               ? -1
               : 0;
}

static int page(call *c, const json_t *in, json_t *all, const char *key, long long dflt,
                json_t **out)
{
    json_t *o = arena_defer_json(c->a, json_object());
    if (!o) return ferr_oom(c->err);
    if (svc_page(c, all, jstr(in, "NextToken"), jint(in, "MaxResults", dflt), o, key, "NextToken",
                 "InvalidNextTokenException"))
        return -1;
    *out = svc_out(c, json_incref(o));
    return 0;
}

int codestarnotifications_op_list_notification_rules(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "codestar-notifications:ListNotificationRules", "*")) return -1;
    list_ctx x = {json_object_get(in, "Filters"), arena_defer_json(c->a, json_array())};
    if (!x.out) return ferr_oom(c->err);
    if (store_list(c->txn, CSN_RULE_KIND, c->account, c->region, NULL, NULL, 0, rules_cb, &x,
                   c->err) < 0)
        return -1;
    return page(c, in, x.out, "NotificationRules", 100, out);
}

static int targets_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    list_ctx *x = ud;
    size_t i, j;
    json_t *t, *o;
    json_array_foreach(json_object_get(doc, "Targets"), i, t) {
        if (!filtered(x->filters, "TARGET_TYPE", jstr(t, "TargetType")) ||
            !filtered(x->filters, "TARGET_ADDRESS", jstr(t, "TargetAddress")) ||
            !filtered(x->filters, "TARGET_STATUS", jstr(t, "TargetStatus")))
            continue;
        int dup = 0;
        json_array_foreach(x->out, j, o) {
            dup |= !strcmp(jstr(o, "TargetAddress"), jstr(t, "TargetAddress"));
        }
        if (!dup && json_array_append(x->out, t)) return -1;
    }
    return 0;
}

int codestarnotifications_op_list_targets(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "codestar-notifications:ListTargets", "*")) return -1;
    list_ctx x = {json_object_get(in, "Filters"), arena_defer_json(c->a, json_array())};
    if (!x.out) return ferr_oom(c->err);
    if (store_list(c->txn, CSN_RULE_KIND, c->account, c->region, NULL, NULL, 0, targets_cb, &x,
                   c->err) < 0)
        return -1;
    return page(c, in, x.out, "Targets", 100, out);
}

typedef struct untarget_ctx {
    const char *addr;
    json_t *keys; /* [[id, doc]] of rules naming addr */
} untarget_ctx;

static int naming_cb(void *ud, const store_key *k, json_t *doc)
{
    untarget_ctx *x = ud;
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(doc, "Targets"), i, t) {
        if (!strcmp(jstr(t, "TargetAddress"), x->addr))
            return json_array_append_new(x->keys, json_pack("[s,O]", k->id, doc)) ? -1 : 0;
    }
    return 0;
}

int codestarnotifications_op_delete_target(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "codestar-notifications:DeleteTarget", "*")) return -1;
    untarget_ctx x = {jstr(in, "TargetAddress"), arena_defer_json(c->a, json_array())};
    if (!x.keys) return ferr_oom(c->err);
    if (store_list(c->txn, CSN_RULE_KIND, c->account, c->region, NULL, NULL, 0, naming_cb, &x,
                   c->err) < 0)
        return -1;
    if (json_array_size(x.keys) && !jbool(in, "ForceUnsubscribeAll", 0))
        return ferr_set(c->err, 400, "ValidationException",
                        "Target %s is still associated with notification rules; set "
                        "ForceUnsubscribeAll to remove it from them.",
                        x.addr);
    size_t i;
    json_t *r;
    json_array_foreach(x.keys, i, r) {
        json_t *d = json_array_get(r, 1);
        if (drop_target(d, x.addr)) return ferr_oom(c->err);
        store_key k = call_key(c, CSN_RULE_KIND, json_string_value(json_array_get(r, 0)));
        if (store_put(c->txn, &k, d, c->err)) return -1;
    }
    *out = svc_out(c, json_object());
    return 0;
}

int codestarnotifications_op_list_event_types(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "codestar-notifications:ListEventTypes", "*")) return -1;
    const json_t *f = json_object_get(in, "Filters");
    json_t *all = arena_defer_json(c->a, json_array());
    if (!all) return ferr_oom(c->err);
    for (size_t i = 0; i < csn_ntypes; i++) {
        const csn_type *t = &csn_types[i];
        if (!filtered(f, "SERVICE_NAME", t->service) ||
            !filtered(f, "RESOURCE_TYPE", t->resource_type))
            continue;
        if (json_array_append_new(all, type_summary(c->a, t))) return ferr_oom(c->err);
    }
    return page(c, in, all, "EventTypes", 50, out);
}

/* ---- tags ---- */

int codestarnotifications_op_tag_resource(call *c, json_t *in, json_t **out)
{
    json_t *d;
    store_key k;
    const json_t *tags = json_object_get(in, "Tags");
    if (rule_load(c, "codestar-notifications:TagResource", jstr(in, "Arn"), &d, &k) ||
        tags_check(c, tags))
        return -1;
    json_t *have = json_object_get(d, "Tags");
    if (!have) {
        if (json_object_set_new(d, "Tags", json_object())) return ferr_oom(c->err);
        have = json_object_get(d, "Tags");
    }
    if (json_object_update(have, (json_t *)tags)) return ferr_oom(c->err);
    if (store_put(c->txn, &k, d, c->err)) return -1;
    *out = svc_out(c, json_pack("{s:O}", "Tags", have));
    return 0;
}

int codestarnotifications_op_untag_resource(call *c, json_t *in, json_t **out)
{
    json_t *d;
    store_key k;
    if (rule_load(c, "codestar-notifications:UntagResource", jstr(in, "Arn"), &d, &k)) return -1;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(in, "TagKeys"), i, v) {
        (void)json_object_del(json_object_get(d, "Tags"), json_string_value(v));
    }
    if (store_put(c->txn, &k, d, c->err)) return -1;
    *out = svc_out(c, json_object());
    return 0;
}

int codestarnotifications_op_list_tags_for_resource(call *c, json_t *in, json_t **out)
{
    json_t *d;
    store_key k;
    if (rule_load(c, "codestar-notifications:ListTagsForResource", jstr(in, "Arn"), &d, &k))
        return -1;
    const json_t *tags = json_object_get(d, "Tags");
    *out =
        svc_out(c, json_pack("{s:o}", "Tags", tags ? json_incref((json_t *)tags) : json_object()));
    return 0;
}
