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

static int app_not_found(call *c)
{
    return ferr_set(c->err, 404, "NotFound", "PlatformApplication does not exist");
}

static int endpoint_not_found(call *c)
{
    return ferr_set(c->err, 404, "NotFound", "Endpoint does not exist");
}

/* Loads the application arn names (param: the input member, for the message). */
static int load_app(call *c, const char *arn, const char *param, json_t **app, sns_arn *a)
{
    const char *rest;
    if (parse_res(c, arn, "app/", a, &rest)) return sns_invalid(c, "%s", param);
    store_key k = {SNS_KIND_APP, a->account, a->region, rest};
    int rc = store_get(c->txn, &k, app, c->err);
    if (rc < 0) return -1;
    return rc ? 0 : app_not_found(c);
}

int sns_load_endpoint(call *c, const char *arn, const char *param, json_t **ep, sns_arn *a)
{
    const char *rest;
    if (parse_res(c, arn, "endpoint/", a, &rest)) return sns_invalid(c, "%s", param);
    store_key k = {SNS_KIND_ENDPOINT, a->account, a->region, rest};
    int rc = store_get(c->txn, &k, ep, c->err);
    if (rc < 0) return -1;
    return rc ? 0 : endpoint_not_found(c);
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

int sns_op_get_platform_application_attributes(call *c, json_t *in, json_t **out)
{
    json_t *app;
    sns_arn a;
    const char *arn = jstr(in, "PlatformApplicationArn");
    if (load_app(c, arn, "PlatformApplicationArn", &app, &a)) return -1;
    int rc = authorize(c, "SNS:GetPlatformApplicationAttributes", arn);
    json_t *attrs = rc ? NULL : public_attrs(json_object_get(app, "Attributes"));
    json_decref(app);
    if (rc) return -1;
    return sns_attributes_out(c, attrs ? attrs : json_object(), NULL, !attrs, out);
}

int sns_op_set_platform_application_attributes(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *app;
    sns_arn a;
    const char *arn = jstr(in, "PlatformApplicationArn");
    json_t *attrs = json_object_get(in, "Attributes");
    if (load_app(c, arn, "PlatformApplicationArn", &app, &a)) return -1;
    int rc = authorize(c, "SNS:SetPlatformApplicationAttributes", arn);
    const char *k;
    json_t *v;
    json_object_foreach(attrs, k, v) {
        if (!rc) rc = check_app_attr(c, k, json_string_value(v));
    }
    if (!rc) rc = merge_attrs(c, json_object_get(app, "Attributes"), attrs);
    const char *rest = strstr(arn, ":app/") + 5;
    store_key key = {SNS_KIND_APP, a.account, a.region, rest};
    if (!rc) rc = store_put(c->txn, &key, app, c->err);
    json_decref(app);
    return rc;
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

/* Every document of kind under prefix as [{<Arn>, Attributes}], paged into *out. */
static int list_page(call *c, const char *kind, const char *account, const char *prefix,
                     const char *token, const char *key, json_t **out)
{
    json_t *all = json_array();
    int n = store_list(c->txn, kind, account, c->region, prefix, NULL, 0, collect_cb, all, c->err);
    if (n < 0 || (size_t)n != json_array_size(all)) {
        json_decref(all);
        return n < 0 ? -1 : ferr_oom(c->err);
    }
    *out = svc_out(c, json_object());
    int rc =
        *out ? svc_page(c, all, token, SNS_PAGE, *out, key, "NextToken", "InvalidParameter") : -1;
    json_decref(all);
    return rc;
}

int sns_op_list_platform_applications(call *c, json_t *in, json_t **out)
{
    if (authorize(c, "SNS:ListPlatformApplications", "*")) return -1;
    return list_page(c, SNS_KIND_APP, c->account, NULL, jstr(in, "NextToken"),
                     "PlatformApplications", out);
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
    if (load_app(c, app_arn, "PlatformApplicationArn", &app, &a)) return -1;
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

int sns_op_get_endpoint_attributes(call *c, json_t *in, json_t **out)
{
    json_t *ep;
    sns_arn a;
    const char *arn = jstr(in, "EndpointArn");
    if (sns_load_endpoint(c, arn, "EndpointArn", &ep, &a)) return -1;
    int rc = authorize(c, "SNS:GetEndpointAttributes", arn);
    json_t *attrs = rc ? NULL : json_deep_copy(json_object_get(ep, "Attributes"));
    json_decref(ep);
    if (rc) return -1;
    return sns_attributes_out(c, attrs ? attrs : json_object(), NULL, !attrs, out);
}

int sns_op_set_endpoint_attributes(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *ep;
    sns_arn a;
    const char *arn = jstr(in, "EndpointArn");
    json_t *attrs = json_object_get(in, "Attributes");
    if (sns_load_endpoint(c, arn, "EndpointArn", &ep, &a)) return -1;
    int rc = authorize(c, "SNS:SetEndpointAttributes", arn);
    const char *k;
    json_t *v;
    json_object_foreach(attrs, k, v) {
        if (!rc) rc = check_endpoint_attr(c, k, json_string_value(v));
    }
    json_t *have = json_object_get(ep, "Attributes");
    if (!rc) rc = merge_attrs(c, have, attrs);
    const char *e = jstr(have, "Enabled");
    if (!rc && e) rc = jset_str(have, "Enabled", !strcasecmp(e, "true") ? "true" : "false");
    store_key key = {SNS_KIND_ENDPOINT, a.account, a.region, strstr(arn, ":endpoint/") + 10};
    if (!rc) rc = store_put(c->txn, &key, ep, c->err);
    json_decref(ep);
    return rc ? (ferr_isset(c->err) ? -1 : ferr_oom(c->err)) : 0;
}

int sns_op_list_endpoints_by_platform_application(call *c, json_t *in, json_t **out)
{
    json_t *app;
    sns_arn a;
    const char *arn = jstr(in, "PlatformApplicationArn");
    if (load_app(c, arn, "PlatformApplicationArn", &app, &a)) return -1;
    json_decref(app);
    if (authorize(c, "SNS:ListEndpointsByPlatformApplication", arn)) return -1;
    const char *prefix = arena_printf(c->a, "%s/", strstr(arn, ":app/") + 5);
    if (!prefix) return ferr_oom(c->err);
    return list_page(c, SNS_KIND_ENDPOINT, a.account, prefix, jstr(in, "NextToken"), "Endpoints",
                     out);
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
