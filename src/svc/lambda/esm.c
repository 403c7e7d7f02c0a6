/* Event source mappings (SQS → Lambda): Create/Get/List/Update/DeleteEventSourceMapping.
 * The mappings are documents (documents.h: LAMBDA_ESM_KIND); the esm engine
 * (engine/esm.c) polls the queues of the enabled ones and invokes their functions through
 * lambda_esm_invoke, the internal entry point below.
 *
 * States (AWS): a create answers Creating, an update Updating (Enabling/Disabling when
 * Enabled changes), a delete Deleting; they settle to Enabled or Disabled after
 * FERRY_LAMBDA_SETTLE_SECONDS (0: at the next read), as function states do. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "base/clock.h"
#include "base/ids.h"
#include "documents.h"
#include "engine/esm_stream.h"
#include "lambda.h"
#include "lambda_int.h"
#include "svc/dynamodb/dynamodb.h"
#include "svc/sns/filter.h"

#define ESM_MAX_FILTERS 5 /* AWS: filters per event source mapping (default quota) */
#define ESM_LIST_MAX    10000

/* AWS accepts the role when it may call these on the queue (AWSLambdaSQSQueueExecutionRole). */
static const char *const ROLE_ACTIONS[] = {"ReceiveMessage", "DeleteMessage", "GetQueueAttributes"};

static const char *esm_arn(call *c, const char *uuid)
{
    return arena_printf(c->a, "arn:%s:lambda:%s:%s:event-source-mapping:%s",
                        arn_partition(c->region), c->region, c->account, uuid);
}

static int not_found(call *c)
{
    return ferr_set(c->err, 404, "ResourceNotFoundException",
                    "The resource you requested does not exist.");
}

/* The stored mapping UUID of the caller's account: 1 (*doc in the arena), 0 (ResourceNotFound
 * set), -1. Authorized for action first, on the mapping's ARN (AWS: found or not). */
static int open_esm(call *c, const char *uuid, const char *action, json_t **doc)
{
    const char *arn = esm_arn(c, uuid ? uuid : "");
    if (!arn) return ferr_oom(c->err);
    if (call_authorize(c, action, arn)) return -1;
    call_resource(c, "AWS::Lambda::EventSourceMapping", arn);
    store_key k = {LAMBDA_ESM_KIND, c->account, c->region, uuid};
    int rc = store_get(c->txn, &k, doc, c->err);
    if (rc < 0) return -1;
    if (!rc) return not_found(c);
    if (!arena_defer_json(c->a, *doc)) return ferr_oom(c->err);
    return 1;
}

/* The mapping as AWS answers it now: a transition settles once its time is past. */
static json_t *render(call *c, const json_t *doc)
{
    json_t *o = json_deep_copy(doc);
    if (!o || !arena_defer_json(c->a, o)) {
        c->oom = 1;
        return NULL;
    }
    const char *st = jstr(o, "State");
    json_t *at = json_object_get(o, "_ReadyAt");
    if (st && (!at || json_number_value(at) <= clock_now()) &&
        (!strcmp(st, "Creating") || !strcmp(st, "Updating") || !strcmp(st, "Enabling") ||
         !strcmp(st, "Disabling")) &&
        jset_str(o, "State", jbool(o, "_Enabled", 1) ? "Enabled" : "Disabled"))
        c->oom = 1;
    return o;
}

static int busy(const json_t *doc)
{
    json_t *at = json_object_get(doc, "_ReadyAt");
    const char *st = jstr(doc, "State");
    return at && json_number_value(at) > clock_now() && st && strcmp(st, "Enabled") &&
           strcmp(st, "Disabled");
}

/* What only a stream's mapping has (AWS's defaults at create): where it starts, retries,
 * record age, bisection, the on-failure destination, parallelization (recorded). */
static int stream_members(call *c, const json_t *in, json_t *doc, int create)
{
    static const struct {
        const char *name;
        int dflt;
    } ints[] = {{"MaximumRetryAttempts", -1},
                {"MaximumRecordAgeInSeconds", -1},
                {"ParallelizationFactor", 1},
                {"TumblingWindowInSeconds", 0}};
    json_t *v;
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        if ((v = json_object_get(in, ints[i].name))) {
            if (json_object_set(doc, ints[i].name, v)) return ferr_oom(c->err);
        } else if (create && json_object_set_new(doc, ints[i].name, json_integer(ints[i].dflt))) {
            return ferr_oom(c->err);
        }
    }
    long long age = jint(doc, "MaximumRecordAgeInSeconds", -1);
    if (age != -1 && age < 60)
        return lambda_invalid(c, "MaximumRecordAgeInSeconds must be -1 or between 60 and 604800");
    if ((v = json_object_get(in, "BisectBatchOnFunctionError")) || create)
        if (json_object_set_new(doc, "BisectBatchOnFunctionError", json_boolean(json_is_true(v))))
            return ferr_oom(c->err);
    if ((v = json_object_get(in, "DestinationConfig"))) {
        const char *d = jstr(json_object_get(v, "OnFailure"), "Destination");
        if (d && !arn_rest(d, "sqs") && !arn_rest(d, "sns"))
            return lambda_invalid(
                c,
                "The provided destination config DestinationConfig(onSuccess=null, "
                "onFailure=OnFailure(destination=%s)) is invalid.",
                d);
        if (json_object_set_new(doc, "DestinationConfig", json_pack("{s:{}}", "OnFailure")) ||
            (d && json_object_set_new(json_object_get(doc, "DestinationConfig"), "OnFailure",
                                      json_pack("{s:s}", "Destination", d))))
            return ferr_oom(c->err);
    } else if (create &&
               json_object_set_new(doc, "DestinationConfig", json_pack("{s:{}}", "OnFailure"))) {
        return ferr_oom(c->err);
    }
    if (!create) return 0;
    const char *sp = jstr(in, "StartingPosition");
    if (!sp)
        return lambda_invalid(c, "1 validation error detected: Value null at 'startingPosition' "
                                 "failed to satisfy constraint: Member must not be null.");
    if (!strcmp(sp, "AT_TIMESTAMP"))
        return lambda_invalid(c,
                              "Unsupported starting position for DynamoDB streams: AT_TIMESTAMP");
    /* LATEST is what is written after the mapping is made, wherever the poller is then */
    char seq[DYNAMODB_SEQ_LEN + 1];
    dynamodb_stream_seq((long long)(clock_now() * 1000), 0, seq);
    if (jset_str(doc, "StartingPosition", sp) ||
        (!strcmp(sp, "LATEST") && jset_str(doc, "_StartSeq", seq)))
        return ferr_oom(c->err);
    return 0;
}

/* BatchSize, MaximumBatchingWindowInSeconds, FunctionResponseTypes, FilterCriteria and
 * ScalingConfig from in, checked with AWS's rules and set in doc (create: defaults). */
static int apply(call *c, const json_t *in, json_t *doc, int create)
{
    json_t *v;
    int bad = 0;
    int stream = esm_stream_is(jstr(doc, "EventSourceArn"));
    if ((v = json_object_get(in, "BatchSize")))
        bad |= json_object_set(doc, "BatchSize", v);
    else if (create) /* AWS: 100 records from a stream, 10 messages from a queue */
        bad |= json_object_set_new(doc, "BatchSize", json_integer(stream ? 100 : 10));
    if ((v = json_object_get(in, "MaximumBatchingWindowInSeconds")))
        bad |= json_object_set(doc, "MaximumBatchingWindowInSeconds", v);
    else if (create)
        bad |= json_object_set_new(doc, "MaximumBatchingWindowInSeconds", json_integer(0));
    if (bad) return ferr_oom(c->err);
    if (stream && stream_members(c, in, doc, create)) return -1;
    if (!stream && jint(doc, "BatchSize", 10) > 10 &&
        jint(doc, "MaximumBatchingWindowInSeconds", 0) < 1)
        return lambda_invalid(c, "Maximum batch window in seconds must be greater than 0 if "
                                 "maximum batch size is greater than 10");
    const char *src = jstr(doc, "EventSourceArn");
    size_t sl = src ? strlen(src) : 0;
    if (sl > 5 && !strcmp(src + sl - 5, ".fifo") && jint(doc, "BatchSize", 10) > 10)
        return lambda_invalid(c, "Batch size must be between 1 and 10 inclusive for FIFO queues");

    if ((v = json_object_get(in, "FunctionResponseTypes"))) {
        if (json_object_set(doc, "FunctionResponseTypes", v)) return ferr_oom(c->err);
    } else if (create && json_object_set_new(doc, "FunctionResponseTypes", json_array())) {
        return ferr_oom(c->err);
    }

    if ((v = json_object_get(in, "ScalingConfig"))) {
        json_t *mc = json_object_get(v, "MaximumConcurrency");
        if (mc && (json_integer_value(mc) < 2 || json_integer_value(mc) > 1000))
            return ferr_set(c->err, 400, "ValidationException",
                            "1 validation error detected: Value '%lld' at "
                            "'scalingConfig.maximumConcurrency' failed to satisfy constraint: "
                            "Member must have value %s",
                            (long long)json_integer_value(mc),
                            json_integer_value(mc) < 2 ? "greater than or equal to 2"
                                                       : "less than or equal to 1000");
        if (json_object_set(doc, "ScalingConfig", v)) return ferr_oom(c->err);
    }

    if ((v = json_object_get(in, "FilterCriteria"))) {
        const json_t *fl = json_object_get(v, "Filters");
        if (json_array_size(fl) > ESM_MAX_FILTERS)
            return lambda_invalid(c, "The number of filters exceeds the limit of %d.",
                                  ESM_MAX_FILTERS);
        size_t i;
        json_t *f;
        json_array_foreach(fl, i, f) {
            const char *p = jstr(f, "Pattern");
            ferr fe = {0};
            sns_filter *sf = p ? sns_filter_parse(p, strlen(p), SNS_SCOPE_BODY, "", &fe) : NULL;
            if (!sf) {
                if (fe.status >= 500) return *c->err = fe, -1;
                return lambda_invalid(c, "Invalid filter pattern definition.");
            }
            sns_filter_free(sf);
        }
        /* an empty FilterCriteria removes the filters, as AWS reads it */
        int rc = json_array_size(fl) ? json_object_set(doc, "FilterCriteria", v)
                                     : (json_object_del(doc, "FilterCriteria"), 0);
        if (rc) return ferr_oom(c->err);
    }
    return 0;
}

/* Marks doc as changed now, to settle into its Enabled/Disabled state. */
static int touch(call *c, json_t *doc, const char *state)
{
    double now = clock_now();
    int bad = jset_str(doc, "State", state) ||
              jset_str(doc, "StateTransitionReason", "USER_INITIATED") ||
              json_object_set_new(doc, "LastModified", json_real((double)(long long)now)) ||
              json_object_set_new(doc, "_ReadyAt", json_real(now + lambda_settle_seconds()));
    return bad ? ferr_oom(c->err) : 0;
}

static int save(call *c, json_t *doc)
{
    store_key k = {LAMBDA_ESM_KIND, c->account, c->region, jstr(doc, "UUID")};
    if (store_put(c->txn, &k, doc, c->err)) return -1;
    lambda_esm_changed(c);
    return 0;
}

static void notify_cb(void *p)
{
    svc_notify(p, LAMBDA_ESM_NOTIFY);
}

void lambda_esm_changed(call *c)
{
    /* the engine looks again once the change is committed (the request's end) */
    if (!arena_own(c->a, notify_cb, c->env)) c->oom = 1;
}

/* The function in names (same account and region), its ARN as the mapping keeps it
 * (qualified when a qualifier was given) in *fn_arn, and its configuration in *cfg. */
static int resolve_function(call *c, const char *name, const char **fn_arn, json_t **cfg)
{
    lambda_ref r;
    json_t *doc, *alias;
    if (lambda_ref_parse(c, name, NULL, &r)) return -1;
    if (strcmp(r.account, c->account))
        return lambda_invalid(c, "The function must be in the same account as the event "
                                 "source mapping.");
    int rc = lambda_load(c, &r, &doc);
    if (rc <= 0) return -1;
    if (!(*cfg = lambda_config(c, doc, &r, &alias))) return -1;
    const char *arn = lambda_fn_arn(c, r.account, r.name);
    *fn_arn = arn && r.qualifier ? arena_printf(c->a, "%s:%s", arn, r.qualifier) : arn;
    return *fn_arn ? 0 : ferr_oom(c->err);
}

/* arn:PARTITION:sqs:REGION:ACCOUNT:NAME or a DynamoDB stream, else AWS's refusal of the source. */
static int sqs_source(call *c, const char *arn)
{
    if (esm_stream_is(arn)) return 0;
    const char *p = arn_rest(arn, "sqs");
    const char *a = p ? strchr(p, ':') : NULL, *n = a ? strchr(a + 1, ':') : NULL;
    if (!n || n - a != 13 || !n[1] || strchr(n + 1, ':'))
        return lambda_invalid(c, "Unrecognized event source, must be kinesis, dynamodb stream "
                                 "or sqs.");
    return 0;
}

/* AWS: at create, the function's execution role must be allowed ReceiveMessage,
 * DeleteMessage and GetQueueAttributes on the queue (its identity policies, and the queue's
 * policy for a queue of another account). The queue is read as the role would read it, and
 * its visibility timeout must cover the function's timeout. */
/* The execution role as the check acts: 0 with *p, or -1 (Invalid role). */
/* AWS (AWSLambdaDynamoDBExecutionRole): the role must be allowed to read the stream. */
static int check_stream_role(call *c, const char *role_arn, const char *stream)
{
    principal p;
    if (lambda_role_principal(c, role_arn, "awslambda_esm_check", &p)) return -1;
    json_t *in = json_pack("{s:s}", "StreamArn", stream), *out = NULL;
    if (!in) return ferr_oom(c->err);
    ferr se = {0};
    int rc = svc_invoke_in(c->txn, c->a, c->env, &p, c->region, "streams.dynamodb",
                           "DescribeStream", in, &out, NULL, &se);
    json_decref(in);
    json_decref(out);
    if (rc && se.status >= 500) {
        *c->err = se;
        return -1;
    }
    if (rc && strcmp(se.code, "AccessDenied") && strcmp(se.code, "AccessDeniedException"))
        return lambda_invalid(c, "Stream not found: %s", stream);
    call as = *c;
    ferr ignored = {0};
    as.who = &p;
    as.err = &ignored;
    static const char *const actions[] = {"dynamodb:GetRecords", "dynamodb:GetShardIterator",
                                          "dynamodb:DescribeStream", "dynamodb:ListStreams"};
    for (size_t i = 0; i < 4 && !rc; i++) {
        authz_req q = {.action = actions[i], .resource = i < 3 ? stream : "*"};
        if (call_authorize_ex(&as, &q)) {
            if (as.oom || ignored.status >= 500) return ferr_oom(c->err);
            rc = -1;
        }
    }
    if (rc)
        return lambda_invalid(c,
                              "Cannot access stream %s. Please ensure the role can perform the "
                              "GetRecords, GetShardIterator, DescribeStream, and ListStreams "
                              "Actions on your stream in IAM.",
                              stream);
    return 0;
}

static int check_role(call *c, const char *role_arn, const char *queue, const json_t *cfg)
{
    if (esm_stream_is(queue)) return check_stream_role(c, role_arn, queue);
    principal p;
    if (lambda_role_principal(c, role_arn, "awslambda_esm_check", &p)) return -1;

    json_t *in = json_pack("{s:s, s:[s]}", "QueueUrl", queue, "AttributeNames", "All"), *out = NULL;
    if (!in) return ferr_oom(c->err);
    ferr qe = {0};
    int rc = svc_invoke_in(c->txn, c->a, c->env, &p, c->region, "sqs", "GetQueueAttributes", in,
                           &out, NULL, &qe);
    json_decref(in);
    if (rc && qe.status >= 500) {
        *c->err = qe;
        return -1;
    }
    if (out && !arena_defer_json(c->a, out)) return ferr_oom(c->err);
    const json_t *attrs = json_object_get(out, "Attributes");
    if (rc && strcmp(qe.code, "AccessDenied"))
        return lambda_invalid(c,
                              "Error occurred while ReceiveMessage. SQS Error Code: %s. SQS "
                              "Error Message: %s",
                              qe.code, qe.message);
    /* the other two actions, evaluated as SQS would: the queue's policy is the resource's */
    call as = *c;
    ferr ignored = {0};
    as.who = &p;
    as.err = &ignored;
    for (size_t i = 0; i < 2; i++) {
        char action[40];
        snprintf(action, sizeof(action), "sqs:%s", ROLE_ACTIONS[i]);
        authz_req q = {.action = action,
                       .resource = queue,
                       .resource_policy = jstr(attrs, "Policy")};
        if (call_authorize_ex(&as, &q)) {
            if (as.oom || ignored.status >= 500) return ferr_oom(c->err);
            return lambda_invalid(c,
                                  "The function execution role does not have permissions to call "
                                  "%s on SQS",
                                  ROLE_ACTIONS[i]);
        }
    }
    if (rc)
        return lambda_invalid(c, "The function execution role does not have permissions to call "
                                 "GetQueueAttributes on SQS");
    const char *vis = jstr(attrs, "VisibilityTimeout");
    long long timeout = jint(cfg, "Timeout", 3);
    if (vis && atoll(vis) < timeout)
        return lambda_invalid(c,
                              "Queue visibility timeout: %s seconds is less than Function "
                              "timeout: %lld seconds",
                              vis, timeout);
    return 0;
}

typedef struct esm_list {
    call *c;
    const char *source, *fn; /* filters, NULL: any */
    json_t *all;
    const char *dup; /* create: the UUID of a mapping of the same source and function */
} esm_list;

static int list_one(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    esm_list *l = ud;
    const char *src = jstr(doc, "EventSourceArn"), *fn = jstr(doc, "FunctionArn");
    if (l->source && (!src || strcmp(src, l->source))) return 0;
    if (l->fn && fn) {
        size_t n = strlen(l->fn);
        /* an unqualified name also lists its versions' and aliases' mappings */
        if (strncmp(fn, l->fn, n) || (fn[n] && fn[n] != ':')) return 0;
    }
    if (l->dup) return 0;
    if (l->all) {
        json_t *o = render(l->c, doc);
        if (!o || json_array_append(l->all, o)) l->c->oom = 1;
    }
    return 0;
}

static int find_dup(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    esm_list *l = ud;
    if (!l->dup &&
        !strcmp(jstr(doc, "EventSourceArn") ? jstr(doc, "EventSourceArn") : "", l->source) &&
        !strcmp(jstr(doc, "FunctionArn") ? jstr(doc, "FunctionArn") : "", l->fn))
        l->dup = arena_strdup(l->c->a, jstr(doc, "UUID"));
    return 0;
}

int lambda_op_create_event_source_mapping(call *c, json_t *in, json_t **out)
{
    const char *source = jstr(in, "EventSourceArn"), *fn_arn;
    json_t *cfg, *ctx = NULL;
    if (sqs_source(c, source)) return -1;
    if (resolve_function(c, jstr(in, "FunctionName"), &fn_arn, &cfg)) {
        /* the caller's permission decides first, as for every Lambda operation */
        ferr nf = *c->err;
        if (call_authorize(c, "lambda:CreateEventSourceMapping", "*")) return -1;
        *c->err = nf;
        return -1;
    }
    if (!(ctx = json_pack("{s:s}", "lambda:FunctionArn", fn_arn)) || !arena_defer_json(c->a, ctx))
        return ferr_oom(c->err);
    authz_req q = {.action = "lambda:CreateEventSourceMapping", .resource = "*", .context = ctx};
    if (call_authorize_ex(c, &q)) return -1;

    esm_list l = {.c = c, .source = source, .fn = fn_arn};
    if (store_list(c->txn, LAMBDA_ESM_KIND, c->account, c->region, NULL, NULL, 0, find_dup, &l,
                   c->err) < 0)
        return -1;
    if (l.dup)
        return lambda_conflict(c,
                               "An event source mapping with SQS arn (\" %s \") and function "
                               "(\" %s \") already exists. Please update or delete the existing "
                               "mapping with UUID %s",
                               source, jstr(cfg, "FunctionName"), l.dup);

    char uuid[37];
    ids_uuid(uuid);
    const char *arn = esm_arn(c, uuid);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:b}", "UUID", uuid, "EventSourceArn", source,
                            "FunctionArn", fn_arn, "EventSourceMappingArn", arn ? arn : "",
                            "_Enabled", jbool(in, "Enabled", 1));
    if (!arn || !doc || !arena_defer_json(c->a, doc)) return ferr_oom(c->err);
    if (apply(c, in, doc, 1)) return -1;
    if (check_role(c, jstr(cfg, "Role"), source, cfg)) return -1;
    if (touch(c, doc, "Creating")) return -1;
    call_resource(c, "AWS::Lambda::EventSourceMapping", arn);
    *out = svc_out(c, json_incref(doc));
    return save(c, doc);
}

int lambda_op_get_event_source_mapping(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    if (open_esm(c, jstr(in, "UUID"), "lambda:GetEventSourceMapping", &doc) <= 0) return -1;
    json_t *o = render(c, doc);
    *out = svc_out(c, o ? json_incref(o) : NULL);
    return 0;
}

int lambda_op_update_event_source_mapping(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    if (open_esm(c, jstr(in, "UUID"), "lambda:UpdateEventSourceMapping", &doc) <= 0) return -1;
    if (busy(doc))
        return ferr_set(c->err, 400, "ResourceInUseException",
                        "Cannot update the event source mapping because it is in use.");
    const char *name = jstr(in, "FunctionName");
    if (name) {
        const char *fn_arn;
        json_t *cfg;
        if (resolve_function(c, name, &fn_arn, &cfg)) return -1;
        if (jset_str(doc, "FunctionArn", fn_arn)) return ferr_oom(c->err);
    }
    if (apply(c, in, doc, 0)) return -1;
    int was = jbool(doc, "_Enabled", 1), now = jbool(in, "Enabled", was);
    if (json_object_set_new(doc, "_Enabled", json_boolean(now))) return ferr_oom(c->err);
    if (touch(c, doc, was == now ? "Updating" : now ? "Enabling" : "Disabling")) return -1;
    *out = svc_out(c, json_incref(doc));
    return save(c, doc);
}

int lambda_op_delete_event_source_mapping(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    if (open_esm(c, jstr(in, "UUID"), "lambda:DeleteEventSourceMapping", &doc) <= 0) return -1;
    store_key k = {LAMBDA_ESM_KIND, c->account, c->region, jstr(doc, "UUID")};
    store_key pk = {LAMBDA_ESM_POSITION_KIND, c->account, c->region, jstr(doc, "UUID")};
    if (store_del(c->txn, &k, c->err) < 0 || store_del(c->txn, &pk, c->err) < 0) return -1;
    lambda_esm_changed(c);
    /* AWS answers the mapping as it is being deleted; polling stops with the commit */
    if (touch(c, doc, "Deleting")) return -1;
    *out = svc_out(c, json_incref(doc));
    return 0;
}

int lambda_op_list_event_source_mappings(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "lambda:ListEventSourceMappings", "*")) return -1;
    esm_list l = {.c = c, .source = jstr(in, "EventSourceArn")};
    const char *name = jstr(in, "FunctionName");
    if (name) {
        lambda_ref r;
        if (lambda_ref_parse(c, name, NULL, &r)) return -1;
        const char *arn = lambda_fn_arn(c, r.account, r.name);
        l.fn = arn && r.qualifier ? arena_printf(c->a, "%s:%s", arn, r.qualifier) : arn;
        if (!l.fn) return ferr_oom(c->err);
    }
    json_t *o = json_object();
    if (!o || !arena_defer_json(c->a, o) || !(l.all = json_array()) ||
        !arena_defer_json(c->a, l.all))
        return ferr_oom(c->err);
    if (store_list(c->txn, LAMBDA_ESM_KIND, c->account, c->region, NULL, NULL, 0, list_one, &l,
                   c->err) < 0)
        return -1;
    long long max = jint(in, "MaxItems", 100);
    if (max > ESM_LIST_MAX) max = ESM_LIST_MAX;
    if (svc_page(c, l.all, jstr(in, "Marker"), max, o, "EventSourceMappings", "NextMarker",
                 "InvalidParameterValueException"))
        return -1;
    *out = svc_out(c, json_incref(o));
    return 0;
}

/* ---- the engine's entry point ---- */

/* Invoke for a mapping: in is Invoke's input, c->arg the mapping's UUID. The mapping must
 * still exist, be enabled and name that function; then the function runs as Invoke runs it,
 * without its resource policy: AWS's pollers invoke as Lambda itself, not as a principal
 * the function's policy must name. */
static int esm_invoke(call *c, json_t *in, json_t **out)
{
    const char *uuid = c->arg;
    store_key k = {LAMBDA_ESM_KIND, c->account, c->region, uuid};
    json_t *doc = NULL;
    int rc = store_get(c->txn, &k, &doc, c->err);
    if (rc < 0) return -1;
    if (!rc) return not_found(c);
    int ok = jbool(doc, "_Enabled", 1) && jstr(doc, "FunctionArn") && jstr(in, "FunctionName") &&
             !strcmp(jstr(doc, "FunctionArn"), jstr(in, "FunctionName"));
    json_decref(doc);
    if (!ok) return not_found(c);
    c->arg = lambda_trusted_invoke;
    return lambda_op_invoke(c, in, out);
}

const char lambda_trusted_invoke[] = "esm";
const svc_op lambda_esm_invoke = {"Invoke", esm_invoke, SVC_READ};
