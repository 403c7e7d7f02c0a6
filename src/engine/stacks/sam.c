/* The SAM transform: Globals, AWS::Serverless::Function (its role, policies, code, alias and
 * event sources), SimpleTable and LayerVersion here; APIs in sam_api.c, policy templates in
 * sam_policy.c. Errors are collected per resource and reported together, in SAM's words. */
#include "sam.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/enc.h"
#include "base/jval.h"
#include "sam_int.h"

/* ---------------------------------------------------------------- helpers */

void sam_put(sam_x *x, const char *id, json_t *res)
{
    if (!res || json_object_set_new(x->out, id, res)) x->oom = 1;
}

void sam_error(sam_x *x, const char *id, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    x->nerr++;
    if (id)
        buf_printf(&x->errs, " Resource with id [%s] is invalid. %s", id, msg);
    else
        buf_printf(&x->errs, " %s", msg);
}

json_t *sam_sub(const char *fmt, const char *var, const json_t *val)
{
    if (!var) return json_pack("{s:s}", "Fn::Sub", fmt);
    return json_pack("{s:[s,{s:O}]}", "Fn::Sub", fmt, var, val);
}

int sam_is_intrinsic(const json_t *o)
{
    if (!json_is_object(o) || json_object_size(o) != 1) return 0;
    const char *k = json_object_iter_key(json_object_iter((json_t *)o));
    return !strcmp(k, "Ref") || !strcmp(k, "Condition") || !strncmp(k, "Fn::", 4);
}

void sam_hash10(const json_t *v, char out[11])
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    char hex[65];
    enc_sha256_hex(s ? s : "", s ? strlen(s) : 0, hex);
    free(s);
    memcpy(out, hex, 10);
    out[10] = 0;
}

void sam_alnum(const char *in, char *out, size_t n)
{
    size_t j = 0;
    for (; in && *in && j + 1 < n; in++)
        if ((*in >= 'a' && *in <= 'z') || (*in >= 'A' && *in <= 'Z') || (*in >= '0' && *in <= '9'))
            out[j++] = *in;
    out[j] = 0;
}

static json_t *merge(const json_t *g, const json_t *l)
{
    if (!g) return json_deep_copy(l);
    if (!l) return json_deep_copy(g);
    if (json_is_object(g) && json_is_object(l) && !sam_is_intrinsic(g) && !sam_is_intrinsic(l)) {
        json_t *m = json_deep_copy(g);
        int rc = !m;
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)l, k, v)
            rc |= json_object_set_new(m, k, merge(json_object_get(g, k), v));
        return jdone(m, rc);
    }
    if (json_is_array(g) && json_is_array(l)) {
        json_t *m = json_deep_copy(g), *lc = json_deep_copy(l);
        int rc = !m || !lc || json_array_extend(m, lc);
        json_decref(lc);
        return jdone(m, rc);
    }
    return json_deep_copy(l);
}

json_t *sam_with_globals(sam_x *x, const char *section, const json_t *props)
{
    json_t *g = json_object_get(x->globals, section);
    if (!json_is_object(props)) props = NULL;
    if (!g) return props ? json_deep_copy(props) : json_object();
    json_t *empty = json_object();
    json_t *m = merge(g, props ? props : empty);
    json_decref(empty);
    return m;
}

/* A SAM resource's Properties under Globals[section]; NULL (x->oom) when out of memory. */
static json_t *props_of(sam_x *x, const char *section, const json_t *res)
{
    json_t *p = sam_with_globals(x, section, json_object_get(res, "Properties"));
    if (!p) x->oom = 1;
    return p;
}

const char *sam_str(sam_x *x, const json_t *v)
{
    if (json_is_string(v)) return json_string_value(v);
    return json_string_value(json_object_get(x->params, jstr(v, "Ref")));
}

/* {name: value} of the parameters: Default, then what the request gives. */
static json_t *param_values(const json_t *tpl, const json_t *given)
{
    json_t *o = json_object();
    int rc = !o;
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(tpl, "Parameters"), k, v)
        if (json_is_string(json_object_get(v, "Default")))
            rc |= json_object_set(o, k, json_object_get(v, "Default"));
    size_t i;
    json_array_foreach(given, i, v)
        if (jstr(v, "ParameterKey") && jstr(v, "ParameterValue"))
            rc |= json_object_set(o, jstr(v, "ParameterKey"), json_object_get(v, "ParameterValue"));
    return jdone(o, rc);
}

#define copy sam_copy

int sam_copy(json_t *o, const json_t *props, const char *k)
{
    json_t *v = json_object_get(props, k);
    return v ? json_object_set_new(o, k, json_deep_copy(v)) : 0;
}

/* A new resource {Type, Properties (taken)} with the SAM resource's Condition and DependsOn. */
static json_t *resource(const char *type, json_t *props, const json_t *src)
{
    json_t *r = json_pack("{s:s, s:o}", "Type", type, "Properties", props ? props : json_object());
    int rc = !r;
    if (!rc && json_object_get(src, "Condition")) rc |= copy(r, src, "Condition");
    return jdone(r, rc);
}

/* SAM's Tags map as CloudFormation's [{Key, Value}], after {created_key: SAM} unless NULL. */
static json_t *tag_list(const json_t *tags, const char *created_key)
{
    json_t *l =
        created_key ? json_pack("[{s:s, s:s}]", "Key", created_key, "Value", "SAM") : json_array();
    int rc = !l;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)tags, k, v)
        rc |= json_array_append_new(l, json_pack("{s:s, s:O}", "Key", k, "Value", v));
    return jdone(l, rc);
}

json_t *sam_s3_location(sam_x *x, const char *id, const char *prop, const json_t *uri,
                        const char *b, const char *k, const char *v)
{
    json_t *o = json_object();
    int rc = !o;
    if (json_is_string(uri)) {
        const char *s = json_string_value(uri);
        const char *slash = !strncmp(s, "s3://", 5) ? strchr(s + 5, '/') : NULL;
        if (!slash || slash == s + 5 || !slash[1]) {
            json_decref(o);
            sam_error(x, id,
                      "'%s' is not a valid S3 Uri of the form 's3://bucket/key' with optional "
                      "versionId query parameter.",
                      prop);
            return NULL;
        }
        const char *q = strstr(slash, "?versionId=");
        size_t klen = q ? (size_t)(q - slash - 1) : strlen(slash + 1);
        rc |= json_object_set_new(o, b, json_stringn(s + 5, (size_t)(slash - s - 5))) ||
              json_object_set_new(o, k, json_stringn(slash + 1, klen)) ||
              (q && json_object_set_new(o, v, json_string(q + 11)));
    } else if (json_is_object(uri) && json_object_get(uri, "Bucket") &&
               json_object_get(uri, "Key")) {
        rc |= json_object_set(o, b, json_object_get(uri, "Bucket")) ||
              json_object_set(o, k, json_object_get(uri, "Key")) ||
              (json_object_get(uri, "Version") &&
               json_object_set(o, v, json_object_get(uri, "Version")));
    } else {
        json_decref(o);
        sam_error(x, id, "'%s' requires Bucket and Key properties to be specified.", prop);
        return NULL;
    }
    if (rc) x->oom = 1;
    return jdone(o, rc);
}

/* ---------------------------------------------------------------- functions */

/* AWS::Serverless::Function properties of SAM's own (the others: lambda_same) */
static const char *const function_props[] = {"CodeUri",
                                             "InlineCode",
                                             "ImageUri",
                                             "Role",
                                             "Policies",
                                             "PermissionsBoundary",
                                             "Events",
                                             "Tags",
                                             "Tracing",
                                             "DeadLetterQueue",
                                             "DeploymentPreference",
                                             "AutoPublishAlias",
                                             "AutoPublishCodeSha256",
                                             "AutoPublishAliasAllProperties",
                                             "VersionDescription",
                                             "ProvisionedConcurrencyConfig",
                                             "EventInvokeConfig",
                                             "FunctionUrlConfig",
                                             "AssumeRolePolicyDocument",
                                             "RolePath",
                                             "SourceKMSKeyArn",
                                             "PropagateTags",
                                             NULL};

/* Lambda::Function properties SAM passes on as they are */
static const char *const lambda_same[] = {"Handler",
                                          "Runtime",
                                          "FunctionName",
                                          "Description",
                                          "MemorySize",
                                          "Timeout",
                                          "Environment",
                                          "VpcConfig",
                                          "KmsKeyArn",
                                          "Layers",
                                          "ReservedConcurrentExecutions",
                                          "PackageType",
                                          "Architectures",
                                          "EphemeralStorage",
                                          "FileSystemConfigs",
                                          "ImageConfig",
                                          "SnapStart",
                                          "LoggingConfig",
                                          "RuntimeManagementConfig",
                                          "CodeSigningConfigArn",
                                          "RecursiveLoop",
                                          NULL};

static int in_list(const char *const *l, const char *k)
{
    for (; *l; l++)
        if (!strcmp(*l, k)) return 1;
    return 0;
}

static json_t *managed_arn(const char *name)
{
    char fmt[300];
    snprintf(fmt, sizeof(fmt), "arn:${AWS::Partition}:iam::aws:policy/%s", name);
    return sam_sub(fmt, NULL, NULL);
}

/* The role's Policies (inline) and ManagedPolicyArns from the function's Policies. */
static void policies(sam_x *x, const char *fn, const json_t *pol, json_t *managed, json_t *inl)
{
    json_t *list = json_is_array(pol) ? json_incref((json_t *)pol) : json_pack("[O]", pol);
    size_t i;
    json_t *p;
    json_array_foreach(list, i, p) {
        char pname[300];
        snprintf(pname, sizeof(pname), "%sRolePolicy%zu", fn, i);
        if (json_is_string(p)) {
            const char *s = json_string_value(p);
            x->oom |= json_array_append_new(managed, strncmp(s, "arn:", 4) ? managed_arn(s)
                                                                           : json_string(s));
        } else if (sam_is_intrinsic(p)) {
            x->oom |= json_array_append(managed, p);
        } else if (json_is_object(p) && json_object_get(p, "Statement")) {
            x->oom |= json_array_append_new(
                inl, json_pack("{s:s, s:O}", "PolicyName", pname, "PolicyDocument", p));
        } else if (json_is_object(p) && json_object_size(p) == 1) {
            const char *name = json_object_iter_key(json_object_iter(p));
            json_t *stmts = NULL;
            const char *missing = NULL;
            int t = sam_policy_template(name, json_object_iter_value(json_object_iter(p)), &stmts,
                                        &missing);
            if (t == 0)
                sam_error(x, fn, "Invalid policy template '%s'.", name);
            else if (t < 0)
                sam_error(x, fn,
                          "Policy template '%s' is invalid. Missing required parameter '%s'.", name,
                          missing);
            else if (!stmts)
                x->oom = 1;
            else
                x->oom |= json_array_append_new(inl, json_pack("{s:s, s:{s:s, s:o}}", "PolicyName",
                                                               pname, "PolicyDocument", "Version",
                                                               "2012-10-17", "Statement", stmts));
        } else {
            sam_error(x, fn, "Type of property 'Policies' is invalid.");
        }
    }
    json_decref(list);
}

/* What events point at: the alias when AutoPublishAlias, else the function. */
typedef struct fn_target {
    const char *fn;
    char alias_id[300];
    json_t *ref;      /* FunctionName for permissions and mappings */
    json_t *arn;      /* an ARN value (GetAtt Arn or the alias's Ref) */
    char subarn[320]; /* the same inside Fn::Sub */
} fn_target;

static json_t *permission(const fn_target *t, const char *principal, const json_t *source_arn,
                          const json_t *src)
{
    json_t *p = json_pack("{s:s, s:O, s:s}", "Action", "lambda:InvokeFunction", "FunctionName",
                          t->ref, "Principal", principal);
    int rc = !p || (source_arn && json_object_set_new(p, "SourceArn", json_deep_copy(source_arn)));
    return resource("AWS::Lambda::Permission", jdone(p, rc), src);
}

static void put_id2(sam_x *x, const char *a, const char *b, const char *c, json_t *res)
{
    char id[600];
    snprintf(id, sizeof(id), "%s%s%s", a, b, c);
    sam_put(x, id, res);
}

/* A mapping from a queue or stream. */
static void mapping(sam_x *x, const fn_target *t, const char *ev, const json_t *ep, const char *src,
                    const json_t *res)
{
    static const char *const keys[] = {"BatchSize",
                                       "Enabled",
                                       "MaximumBatchingWindowInSeconds",
                                       "FilterCriteria",
                                       "FunctionResponseTypes",
                                       "ScalingConfig",
                                       "StartingPosition",
                                       "StartingPositionTimestamp",
                                       "MaximumRetryAttempts",
                                       "MaximumRecordAgeInSeconds",
                                       "BisectBatchOnFunctionError",
                                       "ParallelizationFactor",
                                       "DestinationConfig",
                                       "TumblingWindowInSeconds",
                                       NULL};
    json_t *m =
        json_pack("{s:O, s:O}", "EventSourceArn", json_object_get(ep, src), "FunctionName", t->ref);
    int rc = !m;
    for (const char *const *k = keys; *k; k++) rc |= copy(m, ep, *k);
    put_id2(x, t->fn, ev, "", resource("AWS::Lambda::EventSourceMapping", jdone(m, rc), res));
}

/* One event of a function; managed gets the policies its source needs. */
static void event(sam_x *x, const fn_target *t, const char *ev, const json_t *e, json_t *managed,
                  const json_t *res)
{
    const char *type = json_string_value(json_object_get(e, "Type"));
    json_t *ep = json_object_get(e, "Properties");
    if (ep && !json_is_object(ep)) {
        sam_error(x, t->fn, "Event with id [%s] is invalid. Event Properties is invalid.", ev);
        return;
    }
    const char *fn = t->fn;
#define NEED(prop) \
    do { \
        if (!json_object_get(ep, prop)) { \
            sam_error(x, fn, "Event with id [%s] is invalid. Missing required property '%s'.", ev, \
                      prop); \
            return; \
        } \
    } while (0)
    if (!type) type = "";
    if (!strcmp(type, "SNS")) {
        NEED("Topic");
        json_t *s = json_pack("{s:O, s:s, s:O}", "Endpoint", t->arn, "Protocol", "lambda",
                              "TopicArn", json_object_get(ep, "Topic"));
        int rc = !s || copy(s, ep, "FilterPolicy") || copy(s, ep, "FilterPolicyScope") ||
                 copy(s, ep, "Region") || copy(s, ep, "RedrivePolicy");
        put_id2(x, fn, ev, "", resource("AWS::SNS::Subscription", jdone(s, rc), res));
        put_id2(x, fn, ev, "Permission",
                permission(t, "sns.amazonaws.com", json_object_get(ep, "Topic"), res));
    } else if (!strcmp(type, "SQS")) {
        NEED("Queue");
        mapping(x, t, ev, ep, "Queue", res);
        x->oom |= json_array_append_new(managed, managed_arn("service-role/"
                                                             "AWSLambdaSQSQueueExecutionRole"));
    } else if (!strcmp(type, "DynamoDB") || !strcmp(type, "Kinesis")) {
        NEED("Stream");
        NEED("StartingPosition");
        mapping(x, t, ev, ep, "Stream", res);
        x->oom |= json_array_append_new(
            managed, managed_arn(type[0] == 'D' ? "service-role/AWSLambdaDynamoDBExecutionRole"
                                                : "service-role/AWSLambdaKinesisExecutionRole"));
    } else if (!strcmp(type, "S3")) {
        NEED("Bucket");
        NEED("Events");
        json_t *b = json_object_get(ep, "Bucket");
        const char *bid = json_string_value(json_object_get(b, "Ref"));
        json_t *bres = bid ? json_object_get(json_object_get(x->tpl, "Resources"), bid) : NULL;
        const char *btype = json_string_value(json_object_get(bres, "Type"));
        if (!btype || strcmp(btype, "AWS::S3::Bucket")) {
            sam_error(x, fn,
                      "Event with id [%s] is invalid. S3 events must reference an S3 bucket in "
                      "the same template.",
                      ev);
            return;
        }
        char pid[600];
        snprintf(pid, sizeof(pid), "%s%sPermission", fn, ev);
        json_t *acct = json_pack("{s:s}", "Ref", "AWS::AccountId");
        json_t *perm = permission(t, "s3.amazonaws.com", NULL, res);
        int rc = !perm ||
                 json_object_set_new(json_object_get(perm, "Properties"), "SourceAccount", acct);
        sam_put(x, pid, jdone(perm, rc));
        json_t *evs = json_object_get(ep, "Events");
        json_t *list = json_is_array(evs) ? json_incref(evs) : json_pack("[O]", evs);
        size_t i;
        json_t *one;
        json_array_foreach(list, i, one) {
            json_t *cfg = json_pack("{s:O, s:O}", "Event", one, "Function", t->arn);
            int crc = !cfg || copy(cfg, ep, "Filter");
            x->oom |=
                json_array_append_new(x->s3, json_pack("{s:s, s:o, s:s}", "Bucket", bid, "Config",
                                                       jdone(cfg, crc), "Permission", pid));
        }
        json_decref(list);
    } else if (!strcmp(type, "Schedule") || !strcmp(type, "CloudWatchEvent") ||
               !strcmp(type, "EventBridgeRule")) {
        int sched = type[1] == 'c';
        NEED(sched ? "Schedule" : "Pattern");
        char tid[600];
        snprintf(tid, sizeof(tid), "%s%sLambdaTarget", fn, ev);
        json_t *target = json_pack("{s:O, s:s}", "Arn", t->arn, "Id", tid);
        int rc = !target || copy(target, ep, "Input") || copy(target, ep, "InputPath");
        json_t *r = json_pack("{s:[o]}", "Targets", jdone(target, rc));
        rc = !r;
        if (sched)
            rc |= json_object_set(r, "ScheduleExpression", json_object_get(ep, "Schedule"));
        else
            rc |= json_object_set(r, "EventPattern", json_object_get(ep, "Pattern")) ||
                  (json_object_get(ep, "EventBusName") &&
                   json_object_set(r, "EventBusName", json_object_get(ep, "EventBusName")));
        json_t *en = json_object_get(ep, "Enabled");
        if (json_is_boolean(en))
            rc |= json_object_set_new(r, "State",
                                      json_string(json_is_true(en) ? "ENABLED" : "DISABLED"));
        rc |= copy(r, ep, "State") || copy(r, ep, "Name") || copy(r, ep, "Description");
        char rid[600];
        snprintf(rid, sizeof(rid), "%s%s", fn, ev);
        sam_put(x, rid, resource("AWS::Events::Rule", jdone(r, rc), res));
        json_t *arn = json_pack("{s:[ss]}", "Fn::GetAtt", rid, "Arn");
        put_id2(x, fn, ev, "Permission", permission(t, "events.amazonaws.com", arn, res));
        json_decref(arn);
    } else if (!strcmp(type, "Api") || !strcmp(type, "HttpApi")) {
        int http = type[0] == 'H';
        if (!http) {
            NEED("Path");
            NEED("Method");
        }
        sam_api_event(x, fn, ev, ep, http, t->subarn, t->ref, json_object_get(res, "Condition"));
    } else {
        sam_error(x, fn,
                  "Event with id [%s] is invalid. Resource dict has missing or invalid value for "
                  "key Type. Event Type is: %s.",
                  ev, type);
    }
#undef NEED
}

static void function(sam_x *x, const char *id, const json_t *res)
{
    json_t *p = props_of(x, "Function", res);
    if (!p) return;
    const char *k;
    json_t *v;
    json_object_foreach(p, k, v)
        if (!in_list(function_props, k) && !in_list(lambda_same, k)) {
            sam_error(x, id,
                      "property %s not defined for resource of type AWS::Serverless::Function", k);
            json_decref(p);
            return;
        }
    json_t *f = json_object();
    int rc = !f;
    for (const char *const *s = lambda_same; *s; s++) rc |= copy(f, p, *s);
    /* the code */
    json_t *code = NULL;
    if (json_object_get(p, "InlineCode"))
        code = json_pack("{s:O}", "ZipFile", json_object_get(p, "InlineCode"));
    else if (json_object_get(p, "CodeUri"))
        code = sam_s3_location(x, id, "CodeUri", json_object_get(p, "CodeUri"), "S3Bucket", "S3Key",
                               "S3ObjectVersion");
    else if (json_object_get(p, "ImageUri"))
        code = json_pack("{s:O}", "ImageUri", json_object_get(p, "ImageUri"));
    else
        sam_error(x, id, "Either 'InlineCode' or 'CodeUri' must be set.");
    if (!code) {
        json_decref(f);
        json_decref(p);
        return;
    }
    rc |= json_object_set_new(f, "Code", code);
    json_t *tags = json_object_get(p, "Tags");
    rc |= json_object_set_new(f, "Tags", tag_list(tags, "lambda:createdBy"));
    if (json_object_get(p, "Tracing"))
        rc |= json_object_set_new(f, "TracingConfig",
                                  json_pack("{s:O}", "Mode", json_object_get(p, "Tracing")));
    json_t *dlq = json_object_get(p, "DeadLetterQueue");
    if (json_object_get(dlq, "TargetArn"))
        rc |=
            json_object_set_new(f, "DeadLetterConfig",
                                json_pack("{s:O}", "TargetArn", json_object_get(dlq, "TargetArn")));
    /* the role: given, or <Fn>Role made here */
    char role_id[300];
    snprintf(role_id, sizeof(role_id), "%sRole", id);
    json_t *role = json_object_get(p, "Role");
    rc |= json_object_set_new(f, "Role",
                              role ? json_deep_copy(role)
                                   : json_pack("{s:[ss]}", "Fn::GetAtt", role_id, "Arn"));
    /* the alias events point at */
    fn_target t = {.fn = id};
    const char *alias = sam_str(x, json_object_get(p, "AutoPublishAlias"));
    char version_id[300] = "";
    if (alias) {
        char an[128], h[11];
        sam_alnum(alias, an, sizeof(an));
        snprintf(t.alias_id, sizeof(t.alias_id), "%sAlias%s", id, an);
        sam_hash10(f, h);
        snprintf(version_id, sizeof(version_id), "%sVersion%s", id, h);
        t.ref = json_pack("{s:s}", "Ref", t.alias_id);
        t.arn = json_incref(t.ref);
        snprintf(t.subarn, sizeof(t.subarn), "%s", t.alias_id);
    } else {
        t.ref = json_pack("{s:s}", "Ref", id);
        t.arn = json_pack("{s:[ss]}", "Fn::GetAtt", id, "Arn");
        snprintf(t.subarn, sizeof(t.subarn), "%s.Arn", id);
    }
    json_t *fr = resource("AWS::Lambda::Function", jdone(f, rc), res);
    if (fr && json_object_get(res, "DependsOn") && copy(fr, res, "DependsOn")) x->oom = 1;
    sam_put(x, id, fr);
    json_t *managed = json_array(), *inl = json_array();
    if (!managed || !inl || !t.ref || !t.arn) x->oom = 1;
    if (!role && managed)
        x->oom |=
            json_array_append_new(managed, managed_arn("service-role/AWSLambdaBasicExecutionRole"));
    /* events, put after the function's role and alias */
    json_t *saved = x->out;
    x->out = json_object();
    json_t *evs = json_object_get(p, "Events");
    if (evs && !json_is_object(evs)) sam_error(x, id, "Type of property 'Events' is invalid.");
    if (x->out && managed && t.ref && t.arn)
        json_object_foreach(evs, k, v) {
            if (!json_is_object(v)) {
                sam_error(x, id, "Event with id [%s] is invalid.", k);
                continue;
            }
            event(x, &t, k, v, managed, res);
        }
    json_t *events = x->out;
    x->out = saved;
    if (!events) x->oom = 1;
    if (!role && managed && inl) {
        json_t *pol = json_object_get(p, "Policies");
        json_t *user = json_array();
        if (!user) x->oom = 1;
        if (pol && user) policies(x, id, pol, user, inl);
        x->oom |= !user || json_array_extend(managed, user);
        json_decref(user);
        json_t *arp = json_object_get(p, "AssumeRolePolicyDocument");
        json_t *rp =
            arp ? json_pack("{s:O}", "AssumeRolePolicyDocument", arp)
                : json_pack("{s:{s:s, s:[{s:[s], s:s, s:{s:[s]}}]}}", "AssumeRolePolicyDocument",
                            "Version", "2012-10-17", "Statement", "Action", "sts:AssumeRole",
                            "Effect", "Allow", "Principal", "Service", "lambda.amazonaws.com");
        int rrc = !rp || json_object_set(rp, "ManagedPolicyArns", managed) ||
                  (json_array_size(inl) && json_object_set(rp, "Policies", inl)) ||
                  json_object_set_new(rp, "Tags", tag_list(tags, "lambda:createdBy")) ||
                  (json_object_get(p, "PermissionsBoundary") &&
                   json_object_set(rp, "PermissionsBoundary",
                                   json_object_get(p, "PermissionsBoundary"))) ||
                  (json_object_get(p, "RolePath") &&
                   json_object_set(rp, "Path", json_object_get(p, "RolePath")));
        sam_put(x, role_id, resource("AWS::IAM::Role", jdone(rp, rrc), res));
    }
    if (alias) {
        json_t *vp = json_pack("{s:{s:s}}", "FunctionName", "Ref", id);
        int vrc =
            !vp || (json_object_get(p, "VersionDescription") &&
                    json_object_set(vp, "Description", json_object_get(p, "VersionDescription")));
        json_t *vr = resource("AWS::Lambda::Version", jdone(vp, vrc), res);
        if (vr && json_object_set_new(vr, "DeletionPolicy", json_string("Retain"))) x->oom = 1;
        sam_put(x, version_id, vr);
        json_t *ap = json_pack("{s:s, s:{s:s}, s:{s:[ss]}}", "Name", alias, "FunctionName", "Ref",
                               id, "FunctionVersion", "Fn::GetAtt", version_id, "Version");
        int arc = !ap || copy(ap, p, "ProvisionedConcurrencyConfig");
        json_t *ar = resource("AWS::Lambda::Alias", jdone(ap, arc), res);
        /* ferry: CodeDeploy is not run; the preference is kept where the template shows it */
        if (ar && json_object_get(p, "DeploymentPreference") &&
            json_object_set_new(ar, "Metadata",
                                json_pack("{s:O}", "SamDeploymentPreference",
                                          json_object_get(p, "DeploymentPreference"))))
            x->oom = 1;
        sam_put(x, t.alias_id, ar);
    }
    if (events && json_object_update(x->out, events)) x->oom = 1;
    json_decref(events);
    json_decref(managed);
    json_decref(inl);
    json_decref(t.ref);
    json_decref(t.arn);
    json_decref(p);
}

/* ---------------------------------------------------------------- tables and layers */

static void simple_table(sam_x *x, const char *id, const json_t *res)
{
    json_t *p = props_of(x, "SimpleTable", res);
    if (!p) return;
    json_t *pk = json_object_get(p, "PrimaryKey");
    json_t *name = json_object_get(pk, "Name");
    const char *type = json_string_value(json_object_get(pk, "Type"));
    if (pk && (!name || !type)) {
        sam_error(x, id, "'PrimaryKey' is missing required Property 'Name' or 'Type'.");
        json_decref(p);
        return;
    }
    const char *t = !type                     ? "S"
                    : !strcmp(type, "String") ? "S"
                    : !strcmp(type, "Number") ? "N"
                    : !strcmp(type, "Binary") ? "B"
                                              : NULL;
    if (!t) {
        sam_error(x, id, "Invalid 'Type' \"%s\".", type);
        json_decref(p);
        return;
    }
    json_t *kn = name ? json_incref(name) : json_string("id");
    json_t *tp =
        json_pack("{s:[{s:O, s:s}], s:[{s:O, s:s}]}", "AttributeDefinitions", "AttributeName", kn,
                  "AttributeType", t, "KeySchema", "AttributeName", kn, "KeyType", "HASH");
    json_decref(kn);
    int rc = !tp;
    if (json_object_get(p, "ProvisionedThroughput"))
        rc |= copy(tp, p, "ProvisionedThroughput");
    else
        rc |= json_object_set_new(tp, "BillingMode", json_string("PAY_PER_REQUEST"));
    rc |= copy(tp, p, "TableName") || copy(tp, p, "SSESpecification") ||
          copy(tp, p, "PointInTimeRecoverySpecification");
    json_t *tags = json_object_get(p, "Tags");
    if (json_object_size(tags)) rc |= json_object_set_new(tp, "Tags", tag_list(tags, NULL));
    sam_put(x, id, resource("AWS::DynamoDB::Table", jdone(tp, rc), res));
    json_decref(p);
}

static void layer(sam_x *x, const char *id, const json_t *res)
{
    json_t *p = props_of(x, "LayerVersion", res);
    if (!p) return;
    json_t *content = sam_s3_location(x, id, "ContentUri", json_object_get(p, "ContentUri"),
                                      "S3Bucket", "S3Key", "S3ObjectVersion");
    if (!content) {
        json_decref(p);
        return;
    }
    json_t *lp = json_pack("{s:o}", "Content", content);
    int rc = !lp || copy(lp, p, "Description") || copy(lp, p, "CompatibleRuntimes") ||
             copy(lp, p, "CompatibleArchitectures") || copy(lp, p, "LicenseInfo");
    rc |= json_object_set_new(lp, "LayerName",
                              json_object_get(p, "LayerName")
                                  ? json_deep_copy(json_object_get(p, "LayerName"))
                                  : json_string(id));
    /* a layer version cannot change: a new content is a new resource, as SAM names it */
    char h[11], nid[300];
    sam_hash10(lp, h);
    snprintf(nid, sizeof(nid), "%s%s", id, h);
    const char *ret = json_string_value(json_object_get(p, "RetentionPolicy"));
    json_t *r = resource("AWS::Lambda::LayerVersion", jdone(lp, rc), res);
    if (r &&
        json_object_set_new(r, "DeletionPolicy",
                            json_string(ret && !strcasecmp(ret, "Delete") ? "Delete" : "Retain")))
        x->oom = 1;
    sam_put(x, nid, r);
    x->oom |= json_object_set_new(x->renames, id, json_string(nid));
    json_decref(p);
}

/* Ref / GetAtt / DependsOn to a renamed resource follow it. */
static void rename_refs(sam_x *x, json_t *node)
{
    if (json_is_array(node)) {
        size_t i;
        json_t *v;
        json_array_foreach(node, i, v) {
            const char *n = json_string_value(json_object_get(x->renames, json_string_value(v)));
            if (n && json_string_set(v, n)) x->oom = 1;
            rename_refs(x, v);
        }
        return;
    }
    if (!json_is_object(node)) return;
    const char *k;
    json_t *v;
    json_object_foreach(node, k, v) {
        const char *n = NULL;
        if (!strcmp(k, "Ref") || !strcmp(k, "DependsOn"))
            n = json_string_value(json_object_get(x->renames, json_string_value(v)));
        else if (!strcmp(k, "Fn::GetAtt") && json_is_array(v))
            n = json_string_value(
                json_object_get(x->renames, json_string_value(json_array_get(v, 0))));
        if (n && json_is_string(v) && json_string_set(v, n)) x->oom = 1;
        if (n && json_is_array(v) && json_array_set_new(v, 0, json_string(n))) x->oom = 1;
        rename_refs(x, v);
    }
}

/* ---------------------------------------------------------------- the driver */

static const char *const global_sections[] = {"Function",    "Api",          "HttpApi",
                                              "SimpleTable", "LayerVersion", NULL};

json_t *sam_expand(const json_t *tpl, const json_t *given, ferr *e)
{
    sam_x x = {.tpl = tpl, .params = param_values(tpl, given)};
    buf_init(&x.errs, 16384);
    x.out = json_object();
    x.apis = json_object();
    x.renames = json_object();
    x.s3 = json_array();
    json_t *res = json_object_get(tpl, "Resources");
    json_t *done = NULL;
    x.oom = !x.out || !x.apis || !x.renames || !x.s3 || !x.params;
    json_t *g = json_object_get(tpl, "Globals");
    if (g && !json_is_object(g)) {
        sam_error(&x, NULL, "'Globals' section is invalid. Globals must be a dictionary.");
        g = NULL;
    }
    const char *k;
    json_t *v;
    json_object_foreach(g, k, v) {
        if (!in_list(global_sections, k))
            sam_error(&x, NULL,
                      "'Globals' section is invalid. '%s' is not supported. Must be one of the "
                      "following values - ['Function', 'Api', 'HttpApi', 'SimpleTable', "
                      "'LayerVersion']",
                      k);
        else if (!json_is_object(v))
            sam_error(&x, NULL, "'Globals' section is invalid. Value of '%s' must be a dictionary.",
                      k);
    }
    x.globals = g;
    if (!json_is_object(res)) {
        sam_error(&x, NULL, "'Resources' section is required");
        res = NULL;
    }
    /* APIs first: events of any function may add routes to them */
    json_object_foreach(res, k, v) {
        const char *t = json_string_value(json_object_get(v, "Type"));
        if (t && !strcmp(t, "AWS::Serverless::Api")) sam_api_declare(&x, k, v, 0);
        if (t && !strcmp(t, "AWS::Serverless::HttpApi")) sam_api_declare(&x, k, v, 1);
    }
    json_object_foreach(res, k, v) {
        const char *t = json_string_value(json_object_get(v, "Type"));
        if (json_object_get(v, "Properties") && !json_is_object(json_object_get(v, "Properties")) &&
            t && !strncmp(t, "AWS::Serverless::", 17)) {
            sam_error(&x, k, "Type of property 'Properties' is invalid.");
            continue;
        }
        if (!t || strncmp(t, "AWS::Serverless::", 17))
            sam_put(&x, k, json_deep_copy(v));
        else if (!strcmp(t, "AWS::Serverless::Function"))
            function(&x, k, v);
        else if (!strcmp(t, "AWS::Serverless::SimpleTable"))
            simple_table(&x, k, v);
        else if (!strcmp(t, "AWS::Serverless::LayerVersion"))
            layer(&x, k, v);
        else if (strcmp(t, "AWS::Serverless::Api") && strcmp(t, "AWS::Serverless::HttpApi"))
            sam_put(&x, k, json_deep_copy(v)); /* CloudFormation refuses the type then */
    }
    if (!x.oom) sam_api_emit(&x);
    /* S3 events: the bucket's notification configuration, after the permission exists */
    size_t i;
    json_array_foreach(x.s3, i, v) {
        json_t *b = json_object_get(x.out, json_string_value(json_object_get(v, "Bucket")));
        json_t *bp = json_object_get(b, "Properties");
        if (!bp && b) {
            x.oom |= json_object_set_new(b, "Properties", json_object());
            bp = json_object_get(b, "Properties");
        }
        if (!bp) continue;
        json_t *nc = json_object_get(bp, "NotificationConfiguration");
        if (!nc) {
            x.oom |= json_object_set_new(bp, "NotificationConfiguration", json_object());
            nc = json_object_get(bp, "NotificationConfiguration");
        }
        json_t *lc = json_object_get(nc, "LambdaConfigurations");
        if (!lc && nc) {
            x.oom |= json_object_set_new(nc, "LambdaConfigurations", json_array());
            lc = json_object_get(nc, "LambdaConfigurations");
        }
        x.oom |= !lc || json_array_append(lc, json_object_get(v, "Config"));
        json_t *dep = json_object_get(b, "DependsOn");
        json_t *perm = json_object_get(v, "Permission");
        if (json_is_string(dep)) {
            json_t *l = json_pack("[OO]", dep, perm);
            x.oom |= json_object_set_new(b, "DependsOn", l);
        } else if (json_is_array(dep)) {
            x.oom |= json_array_append(dep, perm);
        } else {
            x.oom |= json_object_set_new(b, "DependsOn", json_pack("[O]", perm));
        }
    }
    if (x.oom) {
        ferr_oom(e);
        goto done;
    }
    if (x.nerr) {
        ferr_validation(e,
                        "Transform " SAM_TRANSFORM " failed with: Invalid Serverless Application "
                        "Specification document. Number of errors found: %d.%s",
                        x.nerr, buf_str(&x.errs));
        goto done;
    }
    done = json_deep_copy(tpl);
    if (!done) {
        ferr_oom(e);
        goto done;
    }
    json_object_del(done, "Transform");
    json_object_del(done, "Globals");
    if (json_object_size(x.renames)) {
        rename_refs(&x, x.out);
        rename_refs(&x, json_object_get(done, "Outputs"));
    }
    if (json_object_set(done, "Resources", x.out) || x.oom) {
        json_decref(done);
        done = NULL;
        ferr_oom(e);
    }
done:
    json_decref(x.out);
    json_decref(x.apis);
    json_decref(x.renames);
    json_decref(x.s3);
    json_decref(x.params);
    buf_dispose(&x.errs);
    return done;
}

int sam_transform(json_t **tpl, const json_t *given, ferr *e)
{
    json_t *tr = json_object_get(*tpl, "Transform");
    if (!tr) return 0;
    json_t *list = json_is_array(tr) ? json_incref(tr) : json_pack("[O]", tr);
    if (!list) return ferr_oom(e);
    int sam = 0, rc = 0;
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        const char *n = json_is_object(v) ? jstr(v, "Name") : json_string_value(v);
        if (n && !strcmp(n, SAM_TRANSFORM)) {
            sam = 1;
            continue;
        }
        /* AWS::Include, macros of the account: not run by ferry */
        rc = ferr_validation(e, "No transform named %s found.", n ? n : "");
        break;
    }
    json_decref(list);
    if (rc || !sam) return rc;
    json_t *x = sam_expand(*tpl, given, e);
    if (!x) return -1;
    json_decref(*tpl);
    *tpl = x;
    return 1;
}
