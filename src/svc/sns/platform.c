/* Mobile push: platform applications and their endpoints. Nothing is sent: a Publish to an
 * endpoint is recorded (sns_record_delivery) for tests to read. The platform credentials
 * are secrets: stored, never answered, never logged. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "base/ids.h"
#include "sns_int.h"

#define MAX_USER_DATA 2048 /* AWS: CustomUserData up to 2 KB */

static const char *const platforms[] = {"GCM",   "APNS", "APNS_SANDBOX", "ADM",
                                        "BAIDU", "MPNS", "WNS",          NULL};

/* Attributes AWS takes on a platform application. */
static const char *const app_attrs[] = {
    "PlatformCredential",     "PlatformPrincipal",      "EventEndpointCreated",
    "EventEndpointDeleted",   "EventEndpointUpdated",   "EventDeliveryFailure",
    "SuccessFeedbackRoleArn", "FailureFeedbackRoleArn", "SuccessFeedbackSampleRate",
    "ApplePlatformTeamID",    "ApplePlatformBundleID",  NULL};

static int is_secret(const char *name)
{
    return !strcmp(name, "PlatformCredential") || !strcmp(name, "PlatformPrincipal");
}

static int in_list(const char *const *l, const char *s)
{
    for (; *l; l++)
        if (!strcmp(*l, s)) return 1;
    return 0;
}

/* "arn:aws:sns:REGION:ACCOUNT:<kind>REST": REST in *rest (borrowed), 0; -1 otherwise or
 * when the ARN names another region than the caller's. */
static int parse_res(call *c, const char *arn, const char *kind, sns_arn *a, const char **rest)
{
    memset(a, 0, sizeof(*a));
    const char *p = arn ? arn_rest(arn, "sns") : NULL, *q;
    if (!p || !(q = strchr(p, ':')) || q == p || (size_t)(q - p) >= sizeof(a->region)) return -1;
    memcpy(a->region, p, (size_t)(q - p));
    p = q + 1;
    if (strspn(p, "0123456789") != 12 || p[12] != ':') return -1;
    memcpy(a->account, p, 12);
    p += 13;
    size_t kl = strlen(kind);
    if (strncmp(p, kind, kl) || !p[kl] || strlen(p + kl) >= sizeof(a->topic)) return -1;
    *rest = p + kl;
    return c->region && strcmp(a->region, c->region) ? -1 : 0;
}

static int authorize(call *c, const char *action, const char *arn)
{
    return call_authorize_ex(
        c, &(authz_req){.action = action, .resource = arn, .denied_code = "AuthorizationError"});
}

static int check_app_attr(call *c, const char *name, const char *value)
{
    if (!in_list(app_attrs, name))
        return sns_invalid(c, "Attributes Reason: Invalid attribute name: %s", name);
    if (!strcmp(name, "SuccessFeedbackSampleRate")) {
        char *end = NULL;
        long v = value ? strtol(value, &end, 10) : -1;
        if (!value || !*value || *end || v < 0 || v > 100)
            return sns_invalid(c, "Attributes Reason: SuccessFeedbackSampleRate must be an "
                                  "integer between 0 and 100");
    }
    if (!strncmp(name, "Event", 5) && value && *value && !arn_rest(value, "sns"))
        return sns_invalid(c, "Attributes Reason: %s must be a topic ARN", name);
    return 0;
}

/* Copies settable attributes into attrs (empty values remove them). */
static int merge_attrs(call *c, json_t *attrs, const json_t *in)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)in, k, v) {
        const char *s = json_string_value(v);
        if (!s || !*s)
            json_object_del(attrs, k);
        else if (json_object_set_new(attrs, k, json_string(s)))
            return ferr_oom(c->err);
    }
    return 0;
}

int sns_op_create_platform_application(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "Name"), *platform = jstr(in, "Platform");
    json_t *attrs = json_object_get(in, "Attributes");
    if (!name) return sns_invalid(c, "Name");
    size_t nl = strlen(name);
    /* AWS: up to 256 ASCII letters, numbers, underscores, hyphens and periods */
    int ok = nl >= 1 && nl <= 256;
    for (size_t i = 0; ok && i < nl; i++)
        ok = isalnum((unsigned char)name[i]) || strchr("-_.", name[i]);
    if (!ok) return sns_invalid(c, "Name");
    if (!platform || !in_list(platforms, platform)) return sns_invalid(c, "Platform");
    const char *k;
    json_t *v;
    json_object_foreach(attrs, k, v) {
        if (check_app_attr(c, k, json_string_value(v))) return -1;
    }
    const char *cred = jstr(attrs, "PlatformCredential");
    if (!cred || !*cred)
        return sns_invalid(c, "Attributes Reason: PlatformCredential attribute is required");
    const char *princ = jstr(attrs, "PlatformPrincipal");
    if (!strncmp(platform, "APNS", 4) && (!princ || !*princ))
        return sns_invalid(c, "Attributes Reason: PlatformPrincipal attribute is required");
    const char *id = arena_printf(c->a, "%s/%s", platform, name);
    const char *arn = arena_printf(c->a, "arn:%s:sns:%s:%s:app/%s", arn_partition(c->region),
                                   c->region, c->account, id);
    if (!id || !arn) return ferr_oom(c->err);
    if (authorize(c, "SNS:CreatePlatformApplication", arn)) return -1;
    store_key key = {SNS_KIND_APP, c->account, c->region, id};
    json_t *app = NULL;
    int rc = store_get(c->txn, &key, &app, c->err);
    if (rc < 0) return -1;
    if (rc == 1) {
        /* AWS: the same name and platform again answers the existing application, its
         * attributes updated to the ones given */
        rc = merge_attrs(c, json_object_get(app, "Attributes"), attrs);
    } else {
        app = json_pack("{s:s, s:s, s:s, s:{}}", "PlatformApplicationArn", arn, "Name", name,
                        "Platform", platform, "Attributes");
        rc = app ? merge_attrs(c, json_object_get(app, "Attributes"), attrs) : ferr_oom(c->err);
    }
    if (!rc) rc = store_put(c->txn, &key, app, c->err);
    json_decref(app);
    if (rc) return -1;
    call_resource(c, "AWS::SNS::PlatformApplication", arn);
    *out = svc_out(c, json_pack("{s:s}", "PlatformApplicationArn", arn));
    return 0;
}

/* The attributes a client sees: the stored ones less the credentials. */
static json_t *public_attrs(const json_t *attrs)
{
    json_t *o = json_object();
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)attrs, k, v) {
        if (o && !is_secret(k) && json_object_set(o, k, v)) {
            json_decref(o);
            return NULL;
        }
    }
    if (o && !json_object_get(o, "Enabled") && jset_str(o, "Enabled", "true")) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int collect_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    json_t *all = ud;
    json_t *attrs = public_attrs(json_object_get(doc, "Attributes"));
    const char *arn = jstr(doc, "PlatformApplicationArn");
    json_t *item = attrs ? json_pack("{s:s, s:o}", arn ? "PlatformApplicationArn" : "EndpointArn",
                                     arn ? arn : jstr(doc, "EndpointArn"), "Attributes", attrs)
                         : NULL;
    return json_array_append_new(all, item);
}

int sns_op_list_platform_applications(call *c, json_t *in, json_t **out)
{
    if (authorize(c, "SNS:ListPlatformApplications", "*")) return -1;
    return sns_list_page(c, SNS_KIND_APP, c->account, NULL, collect_cb, jstr(in, "NextToken"),
                         SNS_PAGE, "PlatformApplications", "NextToken", out);
}

static int del_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)doc;
    call *c = ud;
    return store_del(c->txn, k, c->err) < 0 ? -1 : 0;
}

int sns_op_delete_platform_application(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *arn = jstr(in, "PlatformApplicationArn"), *rest;
    sns_arn a;
    if (parse_res(c, arn, "app/", &a, &rest)) return sns_invalid(c, "PlatformApplicationArn");
    if (authorize(c, "SNS:DeletePlatformApplication", arn)) return -1;
    /* AWS: deleting one that does not exist is no error; its endpoints go with it */
    store_key k = {SNS_KIND_APP, a.account, a.region, rest};
    if (store_del(c->txn, &k, c->err) < 0) return -1;
    const char *prefix = arena_printf(c->a, "%s/", rest);
    if (!prefix) return ferr_oom(c->err);
    return store_list(c->txn, SNS_KIND_ENDPOINT, a.account, a.region, prefix, NULL, 0, del_cb, c,
                      c->err) < 0
               ? -1
               : 0;
}

static int check_endpoint_attr(call *c, const char *name, const char *value)
{
    if (!strcmp(name, "Enabled")) {
        if (!value || (strcasecmp(value, "true") && strcasecmp(value, "false")))
            return sns_invalid(c, "Attributes Reason: Enabled must be true or false");
    } else if (!strcmp(name, "CustomUserData")) {
        if (value && strlen(value) > MAX_USER_DATA)
            return sns_invalid(c, "CustomUserData Reason: must be at most 2048 bytes long");
    } else if (!strcmp(name, "Token")) {
        if (!value || !*value) return sns_invalid(c, "Token Reason: cannot be empty");
    } else {
        return sns_invalid(c, "Attributes Reason: Invalid attribute name: %s", name);
    }
    return 0;
}

/* Platform applications and endpoints alike: their store kind, ARN resource prefix, input
 * member, NotFound message and attribute rules. */
typedef struct res_def {
    const char *kind, *prefix, *param, *missing;
    int (*check)(call *c, const char *name, const char *value);
} res_def;
static const res_def APP = {SNS_KIND_APP, "app/", "PlatformApplicationArn",
                            "PlatformApplication does not exist", check_app_attr};
static const res_def ENDPOINT = {SNS_KIND_ENDPOINT, "endpoint/", "EndpointArn",
                                 "Endpoint does not exist", check_endpoint_attr};

/* Loads the document arn names: 0 with *doc (caller decrefs) and its key *k (borrowing
 * arn), or -1 (InvalidParameter, NotFound). */
static int load_res(call *c, const res_def *d, const char *arn, json_t **doc, store_key *k,
                    sns_arn *a)
{
    const char *rest;
    if (parse_res(c, arn, d->prefix, a, &rest)) return sns_invalid(c, "%s", d->param);
    *k = (store_key){d->kind, a->account, a->region, rest};
    int rc = store_get(c->txn, k, doc, c->err);
    if (rc < 0) return -1;
    return rc ? 0 : ferr_set(c->err, 404, "NotFound", "%s", d->missing);
}

static int get_attrs(call *c, const res_def *d, const char *arn, const char *action, json_t **out)
{
    json_t *doc;
    store_key k;
    sns_arn a;
    if (load_res(c, d, arn, &doc, &k, &a)) return -1;
    int rc = authorize(c, action, arn);
    json_t *attrs = rc ? NULL : public_attrs(json_object_get(doc, "Attributes"));
    json_decref(doc);
    if (rc) return -1;
    return sns_attributes_out(c, attrs ? attrs : json_object(), NULL, !attrs, out);
}

static int set_attrs(call *c, const res_def *d, json_t *in, const char *action)
{
    json_t *doc;
    store_key k;
    sns_arn a;
    const char *arn = jstr(in, d->param);
    json_t *attrs = json_object_get(in, "Attributes");
    if (load_res(c, d, arn, &doc, &k, &a)) return -1;
    int rc = authorize(c, action, arn);
    const char *name;
    json_t *v;
    json_object_foreach(attrs, name, v) {
        if (!rc) rc = d->check(c, name, json_string_value(v));
    }
    json_t *have = json_object_get(doc, "Attributes");
    if (!rc) rc = merge_attrs(c, have, attrs);
    const char *e = jstr(have, "Enabled"); /* kept as "true" or "false" */
    if (!rc && e && jset_str(have, "Enabled", !strcasecmp(e, "true") ? "true" : "false"))
        rc = ferr_oom(c->err);
    if (!rc) rc = store_put(c->txn, &k, doc, c->err);
    json_decref(doc);
    return rc;
}

static int load_app(call *c, const char *arn, json_t **app, sns_arn *a)
{
    store_key k;
    return load_res(c, &APP, arn, app, &k, a);
}

int sns_load_endpoint(call *c, const char *arn, const char *param, json_t **ep, sns_arn *a)
{
    store_key k;
    if (!load_res(c, &ENDPOINT, arn, ep, &k, a)) return 0;
    if (!strcmp(c->err->code, "InvalidParameter")) { /* the caller's member name */
        ferr_clear(c->err);
        return sns_invalid(c, "%s", param);
    }
    return -1;
}

typedef struct find_token {
    const char *token;
    json_t *found; /* the endpoint with that token (new reference) */
} find_token;

static int token_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    find_token *f = ud;
    const char *t = jstr(json_object_get(doc, "Attributes"), "Token");
    if (t && !strcmp(t, f->token)) {
        f->found = json_incref(doc);
        return 1;
    }
    return 0;
}

int sns_op_create_platform_endpoint(call *c, json_t *in, json_t **out)
{
    json_t *app;
    sns_arn a;
    const char *app_arn = jstr(in, "PlatformApplicationArn"), *token = jstr(in, "Token");
    const char *user = jstr(in, "CustomUserData");
    json_t *attrs = json_object_get(in, "Attributes");
    if (load_app(c, app_arn, &app, &a)) return -1;
    json_decref(app);
    if (authorize(c, "SNS:CreatePlatformEndpoint", app_arn)) return -1;
    if (check_endpoint_attr(c, "Token", token)) return -1;
    if (user && check_endpoint_attr(c, "CustomUserData", user)) return -1;
    const char *k;
    json_t *v;
    json_object_foreach(attrs, k, v) {
        if (check_endpoint_attr(c, k, json_string_value(v))) return -1;
    }
    json_t *want = json_pack("{s:s, s:s}", "Token", token, "Enabled", "true");
    if (!want || merge_attrs(c, want, attrs) ||
        (user && *user && jset_str(want, "CustomUserData", user))) {
        json_decref(want);
        return ferr_oom(c->err);
    }
    const char *e = jstr(want, "Enabled");
    if (jset_str(want, "Enabled", !strcasecmp(e, "true") ? "true" : "false")) {
        json_decref(want);
        return ferr_oom(c->err);
    }
    const char *app_id = strstr(app_arn, ":app/") + 5;
    const char *prefix = arena_printf(c->a, "%s/", app_id);
    find_token f = {token, NULL};
    if (!prefix || store_list(c->txn, SNS_KIND_ENDPOINT, a.account, a.region, prefix, NULL, 0,
                              token_cb, &f, c->err) < 0) {
        json_decref(want);
        return ferr_isset(c->err) ? -1 : ferr_oom(c->err);
    }
    if (f.found) {
        /* AWS: idempotent for the same token and attributes */
        int same = json_equal(json_object_get(f.found, "Attributes"), want);
        const char *arn = arena_strdup(c->a, jstr(f.found, "EndpointArn"));
        json_decref(f.found);
        json_decref(want);
        if (!same)
            return sns_invalid(c,
                               "Token Reason: Endpoint %s already exists with the same Token, but "
                               "different attributes.",
                               arn);
        *out = svc_out(c, json_pack("{s:s}", "EndpointArn", arn));
        return 0;
    }
    char uuid[37];
    ids_uuid(uuid);
    const char *id = arena_printf(c->a, "%s%s", prefix, uuid);
    const char *arn = id ? arena_printf(c->a, "arn:%s:sns:%s:%s:endpoint/%s",
                                        arn_partition(a.region), a.region, a.account, id)
                         : NULL;
    json_t *ep = arn ? json_pack("{s:s, s:o}", "EndpointArn", arn, "Attributes", want) : NULL;
    if (!ep) return ferr_oom(c->err);
    store_key key = {SNS_KIND_ENDPOINT, a.account, a.region, id};
    int rc = store_put(c->txn, &key, ep, c->err);
    json_decref(ep);
    if (rc) return -1;
    call_resource(c, "AWS::SNS::PlatformEndpoint", arn);
    *out = svc_out(c, json_pack("{s:s}", "EndpointArn", arn));
    return 0;
}

int sns_op_delete_endpoint(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *arn = jstr(in, "EndpointArn"), *rest;
    sns_arn a;
    if (parse_res(c, arn, "endpoint/", &a, &rest)) return sns_invalid(c, "EndpointArn");
    if (authorize(c, "SNS:DeleteEndpoint", arn)) return -1;
    /* AWS: deleting an endpoint that does not exist is no error */
    store_key k = {SNS_KIND_ENDPOINT, a.account, a.region, rest};
    return store_del(c->txn, &k, c->err) < 0 ? -1 : 0;
}

int sns_op_get_platform_application_attributes(call *c, json_t *in, json_t **out)
{
    return get_attrs(c, &APP, jstr(in, APP.param), "SNS:GetPlatformApplicationAttributes", out);
}

int sns_op_set_platform_application_attributes(call *c, json_t *in, json_t **out)
{
    (void)out;
    return set_attrs(c, &APP, in, "SNS:SetPlatformApplicationAttributes");
}

int sns_op_get_endpoint_attributes(call *c, json_t *in, json_t **out)
{
    return get_attrs(c, &ENDPOINT, jstr(in, ENDPOINT.param), "SNS:GetEndpointAttributes", out);
}

int sns_op_set_endpoint_attributes(call *c, json_t *in, json_t **out)
{
    (void)out;
    return set_attrs(c, &ENDPOINT, in, "SNS:SetEndpointAttributes");
}

int sns_op_list_endpoints_by_platform_application(call *c, json_t *in, json_t **out)
{
    json_t *app;
    sns_arn a;
    const char *arn = jstr(in, "PlatformApplicationArn");
    if (load_app(c, arn, &app, &a)) return -1;
    json_decref(app);
    if (authorize(c, "SNS:ListEndpointsByPlatformApplication", arn)) return -1;
    const char *prefix = arena_printf(c->a, "%s/", strstr(arn, ":app/") + 5);
    if (!prefix) return ferr_oom(c->err);
    return sns_list_page(c, SNS_KIND_ENDPOINT, a.account, prefix, collect_cb, jstr(in, "NextToken"),
                         SNS_PAGE, "Endpoints", "NextToken", out);
}

int sns_publish_endpoint(call *c, json_t *in, json_t **out)
{
    json_t *ep;
    sns_arn a;
    const char *arn = jstr(in, "TargetArn");
    if (sns_load_endpoint(c, arn, "TargetArn", &ep, &a)) return -1;
    const char *m = jstr(in, "Message");
    if (!m || !*m) return sns_invalid(c, "Empty message");
    int rc = authorize(c, "SNS:Publish", arn);
    const json_t *attrs = json_object_get(ep, "Attributes");
    if (!rc && strcmp(jstr(attrs, "Enabled") ? jstr(attrs, "Enabled") : "true", "true"))
        rc = ferr_set(c->err, 400, "EndpointDisabled", "Endpoint is disabled");
    char mid[37];
    ids_uuid(mid);
    if (!rc) {
        json_t *rec = json_pack("{s:s, s:s, s:s, s:s, s:O?, s:O?}", "Kind", "push", "MessageId",
                                mid, "EndpointArn", arn, "Token", jstr(attrs, "Token"), "Message",
                                json_object_get(in, "Message"), "MessageStructure",
                                json_object_get(in, "MessageStructure"));
        rc = sns_record_delivery(c, a.account, a.region, rec);
    }
    json_decref(ep);
    if (rc) return -1;
    *out = svc_out(c, json_pack("{s:s}", "MessageId", mid));
    return 0;
}
