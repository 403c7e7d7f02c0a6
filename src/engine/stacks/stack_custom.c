/* AWS::CloudFormation::CustomResource and Custom::*, built into the stack engine.
 *
 * AWS: CloudFormation sends the custom resource provider a request (RequestType Create,
 * Update or Delete) by invoking the ServiceToken's Lambda function asynchronously or by
 * publishing it to its SNS topic, as the stack's identity; the provider PUTs its response
 * document to the request's ResponseURL (a presigned S3 URL valid for two hours) within the
 * ServiceTimeout (1-3600 seconds, default 3600). A FAILED response fails the resource with
 * its Reason; a SUCCESS gives the physical id (another one on Update is a replacement: the
 * old one gets a Delete in the cleanup) and Data, read with Fn::GetAtt.
 *
 * ferry serves the ResponseURL itself: /_ferry/cloudformation/custom/ACCOUNT/REGION/UUID/
 * LOGICAL/REQUESTID?Expires=N&Signature=HMAC, signed with a secret of the request. The
 * request in flight is a cfn.custom document (id "UUID/LOGICAL", in the stack's account and
 * region) committed before the request is sent, and the response is written into it; the
 * provider polls it. A server killed while waiting finds the request again when the step is
 * done again (cfn_provider.resumes), so the response that arrives after a restart completes
 * the stack. */
#include "stack_custom.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/clock.h"
#include "base/enc.h"
#include "base/ids.h"
#include "base/jval.h"
#include "base/log.h"
#include "engine.h"
#include "proto/codec.h"
#include "proto/model.h"
#include "proto/pcommon.h"
#include "template.h"

#define CUSTOM_PREFIX   "/_ferry/cloudformation/custom/"
#define RESPONSE_MAX    4096  /* AWS: the response body can't exceed 4096 bytes */
#define RESPONSE_STORED 65536 /* beyond this a PUT is refused; beyond RESPONSE_MAX: too long */
#define URL_TTL         7200  /* AWS: the presigned ResponseURL is valid for two hours */
#define TIMEOUT_DEFAULT 3600
#define PHYSICAL_MAX    1024 /* AWS: up to 1 KB */

int cfn_custom_type(const char *type)
{
    if (!type) return 0;
    if (!strcmp(type, "AWS::CloudFormation::CustomResource")) return 1;
    if (strncmp(type, "Custom::", 8)) return 0;
    size_t n = strlen(type + 8);
    if (!n || n > 60) return 0;
    for (const char *s = type + 8; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("_@-", *s)) return 0;
    return 1;
}

/* ------------------------------------------------------------------ the URL */

/* One path segment of [A-Za-z0-9._-], 1..n-1 bytes, into out; the rest after its '/' (or
 * its end when last). NULL when not one. */
static const char *segment(const char *s, char *out, size_t n, int last)
{
    size_t len = strcspn(s, "/");
    if (!len || len >= n) return NULL;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i])) return NULL;
    memcpy(out, s, len);
    out[len] = 0;
    if (last) return s[len] ? NULL : s + len;
    return s[len] == '/' ? s + len + 1 : NULL;
}

int cfn_custom_ref_parse(const char *rest, cfn_custom_ref *r)
{
    memset(r, 0, sizeof(*r));
    const char *s = rest;
    if (!s || !(s = segment(s, r->account, sizeof(r->account), 0)) ||
        !(s = segment(s, r->region, sizeof(r->region), 0)) ||
        !(s = segment(s, r->uuid, sizeof(r->uuid), 0)) ||
        !(s = segment(s, r->logical, sizeof(r->logical), 0)) ||
        !(s = segment(s, r->request, sizeof(r->request), 1)))
        return -1;
    if (strlen(r->account) != 12) return -1;
    for (const char *c = r->account; *c; c++)
        if (!isdigit((unsigned char)*c)) return -1;
    return 0;
}

static void sign(const char *secret, const cfn_custom_ref *r, long long expires, char out[65])
{
    char msg[512];
    int n = snprintf(msg, sizeof(msg), "%s/%s/%s/%s/%s|%lld", r->account, r->region, r->uuid,
                     r->logical, r->request, expires);
    unsigned char mac[32];
    enc_hmac_sha256(secret, strlen(secret), msg, n < 0 ? 0 : (size_t)n, mac);
    enc_hex(mac, sizeof(mac), out);
}

/* ------------------------------------------------------------------ the response */

int cfn_custom_response_parse(const char *text, size_t len, json_t **out, ferr *e)
{
    *out = NULL;
    if (len > RESPONSE_MAX) return ferr_validation(e, "Response object is too long.");
    json_error_t je;
    json_t *j = json_loadb(text, len, 0, &je);
    if (!j) {
        if (jload_oom(&je)) return ferr_oom(e);
        return ferr_validation(e, "Response object is not valid JSON: %s", je.text);
    }
    const char *st = jstr(j, "Status");
    if (!st || (strcmp(st, "SUCCESS") && strcmp(st, "FAILED"))) {
        json_decref(j);
        return ferr_validation(e, "Invalid response object: Status must be SUCCESS or FAILED");
    }
    json_t *reason = json_object_get(j, "Reason"), *pid = json_object_get(j, "PhysicalResourceId");
    json_t *data = json_object_get(j, "Data"), *noecho = json_object_get(j, "NoEcho");
    if ((reason && !json_is_string(reason) && !json_is_null(reason)) ||
        (pid && !json_is_string(pid) && !json_is_null(pid)) ||
        (data && !json_is_object(data) && !json_is_null(data))) {
        json_decref(j);
        return ferr_validation(e, "Invalid response object: Reason and PhysicalResourceId must "
                                  "be strings, Data an object");
    }
    if (json_is_string(pid) && json_string_length(pid) > PHYSICAL_MAX) {
        json_decref(j);
        return ferr_validation(e, "Invalid PhysicalResourceId");
    }
    int masked = json_is_true(noecho) ||
                 (json_is_string(noecho) && !strcasecmp(json_string_value(noecho), "true"));
    json_t *r = json_pack("{s:s, s:b, s:o}", "Status", st, "NoEcho", masked, "Data",
                          json_is_object(data) ? json_incref(data) : json_object());
    int bad = !r || (json_is_string(reason) && json_object_set(r, "Reason", reason)) ||
              (json_is_string(pid) && json_object_set(r, "PhysicalResourceId", pid));
    json_decref(j);
    if (bad) {
        json_decref(r);
        return ferr_oom(e);
    }
    *out = r;
    return 0;
}

/* ------------------------------------------------------------------ the route */

/* The ResponseURL stands for a presigned S3 URL: its refusals are S3's errors, in proto's
 * S3 shape (escaped, with a RequestId). */
static int s3_error(arena *a, proto_response *resp, int status, const char *code, const char *msg)
{
    ferr e = {0};
    ferr_set(&e, status, code, "%s", msg);
    buf_dispose(&resp->body);
    proto_encode_error(a, proto_service_by_signing_name("s3"), &e, NULL, resp);
    return 1;
}

int cfn_custom_serve(ferry_env *env, arena *a, const svc_request *r, proto_response *resp)
{
    proto_response_init(resp);
    cfn_custom_ref ref;
    if (cfn_custom_ref_parse(r->rest, &ref))
        return s3_error(a, resp, 404, "NoSuchKey", "The specified key does not exist.");
    const char *exp = proto_qs_param(a, r->query, "Expires");
    const char *given = proto_qs_param(a, r->query, "Signature");
    if (!exp || !given || strlen(given) != 64)
        return s3_error(a, resp, 403, "AccessDenied",
                        "Query-string authentication requires the Signature and Expires "
                        "parameters");
    if (r->body_len > RESPONSE_STORED)
        return s3_error(a, resp, 400, "EntityTooLarge",
                        "Your proposed upload exceeds the maximum allowed size");
    long long expires = atoll(exp);
    char id[300];
    snprintf(id, sizeof(id), "%s/%s", ref.uuid, ref.logical);
    store_key k = {CFN_KIND_CUSTOM, ref.account, ref.region, id};
    ferr e = {0};
    store_txn *t = NULL;
    json_t *doc = NULL;
    if (store_begin(env->st, 1, &t, &e))
        return s3_error(a, resp, 500, "InternalError", "We encountered an internal error.");
    int rc = store_get(t, &k, &doc, &e);
    const char *secret = jstr(doc, "Secret");
    char sig[65];
    if (rc == 1 && secret) sign(secret, &ref, expires, sig);
    if (rc < 0) {
        store_rollback(t);
        return s3_error(a, resp, 500, "InternalError", "We encountered an internal error.");
    }
    /* a request no longer waited for (answered, timed out) cannot be checked: refused */
    if (rc == 0 || !secret ||
        strcmp(jstr(doc, "RequestId") ? jstr(doc, "RequestId") : "", ref.request) ||
        !enc_ct_equal(sig, given)) {
        json_decref(doc);
        store_rollback(t);
        return s3_error(a, resp, 403, "SignatureDoesNotMatch",
                        "The request signature we calculated does not match the signature you "
                        "provided.");
    }
    if (expires < (long long)clock_now()) {
        json_decref(doc);
        store_rollback(t);
        return s3_error(a, resp, 403, "AccessDenied", "Request has expired");
    }
    /* the first response counts (CloudFormation reads the object once) */
    int bad = 0;
    if (!json_object_get(doc, "Response") && !json_object_get(doc, "ResponseTooLong")) {
        json_t *text = r->body_len > RESPONSE_MAX
                           ? NULL
                           : json_stringn_nocheck((const char *)r->body, r->body_len);
        bad = r->body_len > RESPONSE_MAX ? json_object_set_new(doc, "ResponseTooLong", json_true())
                                         : json_object_set_new(doc, "Response", text);
        if (!bad) bad = store_put(t, &k, doc, &e);
    }
    json_decref(doc);
    if (bad || store_commit(t, &e)) {
        if (bad) store_rollback(t);
        return s3_error(a, resp, 500, "InternalError", "We encountered an internal error.");
    }
    resp->status = 200;
    return 1;
}

/* ------------------------------------------------------------------ the provider */

static int invalid(cfn_pctx *p, const char *msg)
{
    return ferr_validation(p->e, "Properties validation failed for resource %s with message: %s",
                           p->logical_id, msg);
}

/* svc_invoke as the stack in region; in is stolen. */
static int call_in(cfn_pctx *p, const char *region, const char *service, const char *op, json_t *in)
{
    if (!in) return ferr_oom(p->e);
    json_t *out = NULL;
    int rc = svc_invoke(p->env, p->as, region, service, op, in, &out, NULL, p->e);
    json_decref(out);
    json_decref(in);
    return rc;
}

/* Properties as the request carries them: every scalar as its text (AWS stringifies
 * numbers and booleans), lists and objects kept. New reference, NULL: out of memory. */
static json_t *stringified(const json_t *v)
{
    if (json_is_object(v)) {
        json_t *o = json_object();
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x) {
            if (!o || json_object_set_new(o, k, stringified(x))) {
                json_decref(o);
                return NULL;
            }
        }
        return o;
    }
    if (json_is_array(v)) {
        json_t *l = json_array();
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            if (!l || json_array_append_new(l, stringified(x))) {
                json_decref(l);
                return NULL;
            }
        }
        return l;
    }
    if (json_is_string(v) || json_is_null(v) || !v) return v ? json_incref((json_t *)v) : NULL;
    char *s = cfn_scalar_text(v);
    json_t *r = s ? json_string(s) : NULL;
    free(s);
    return r;
}

static double timeout_scale(void)
{
    const char *s = getenv("FERRY_CFN_CUSTOM_TIMEOUT_SCALE");
    double f = s ? atof(s) : 1.0;
    return f > 0 ? f : 1.0;
}

/* The record of the request in flight for the resource: 1 (*doc), 0 none, -1. */
static int load_request(cfn_pctx *p, json_t **doc)
{
    char id[300];
    snprintf(id, sizeof(id), "%s/%s", strrchr(p->stack_id, '/') + 1, p->logical_id);
    store_key k = {CFN_KIND_CUSTOM, p->account, p->region, id};
    store_txn *t = NULL;
    if (store_begin(p->env->st, 0, &t, p->e)) return -1;
    int rc = store_get(t, &k, doc, p->e);
    store_rollback(t);
    return rc;
}

/* Writes (doc) or removes (NULL) the record. 0 or -1. */
static int save_request(cfn_pctx *p, const json_t *doc)
{
    char id[300];
    snprintf(id, sizeof(id), "%s/%s", strrchr(p->stack_id, '/') + 1, p->logical_id);
    store_key k = {CFN_KIND_CUSTOM, p->account, p->region, id};
    store_txn *t = NULL;
    if (store_begin(p->env->st, 1, &t, p->e)) return -1;
    if (doc ? store_put(t, &k, doc, p->e) : store_del(t, &k, p->e) < 0) {
        store_rollback(t);
        return -1;
    }
    return store_commit(t, p->e);
}

/* The resource's type as the step recorded it (the request names it). */
static char *res_type(cfn_pctx *p)
{
    char id[300];
    snprintf(id, sizeof(id), "%s/%s", strrchr(p->stack_id, '/') + 1, p->logical_id);
    store_key k = {CFN_KIND_RES, p->account, p->region, id};
    store_txn *t = NULL;
    json_t *d = NULL;
    ferr e = {0};
    if (store_begin(p->env->st, 0, &t, &e)) return strdup("AWS::CloudFormation::CustomResource");
    int rc = store_get(t, &k, &d, &e);
    store_rollback(t);
    char *s = strdup(rc == 1 && jstr(d, "ResourceType") ? jstr(d, "ResourceType")
                                                        : "AWS::CloudFormation::CustomResource");
    json_decref(d);
    return s;
}

/* Sends the request event to the ServiceToken: Lambda's Invoke (Event) or SNS's Publish, as
 * the stack, in the token's region. */
static int send_request(cfn_pctx *p, const char *token, const json_t *event)
{
    char service[16], region[32];
    if (sscanf(token, "arn:%*[^:]:%15[^:]:%31[^:]:", service, region) != 2)
        return ferr_validation(p->e, "Invalid service token %s", token);
    char *text = json_dumps(event, JSON_COMPACT);
    if (!text) return ferr_oom(p->e);
    int rc;
    if (!strcmp(service, "lambda")) {
        arena *a = arena_new(strlen(text) * 2 + 64);
        const char *b64 = a ? enc_b64(a, (const unsigned char *)text, strlen(text)) : NULL;
        rc = b64 ? call_in(p, region, "lambda", "Invoke",
                           json_pack("{s:s, s:s, s:s}", "FunctionName", token, "InvocationType",
                                     "Event", "Payload", b64))
                 : ferr_oom(p->e);
        arena_free(a);
    } else if (!strcmp(service, "sns")) {
        rc = call_in(p, region, "sns", "Publish",
                     json_pack("{s:s, s:s, s:s}", "TopicArn", token, "Subject",
                               "AWS CloudFormation custom resource request", "Message", text));
    } else {
        rc = ferr_validation(p->e, "Invalid service token %s", token);
    }
    free(text);
    return rc;
}

/* A record for the same request (type, physical id and properties) that a server that
 * stopped was waiting on. */
static int same_request(const json_t *doc, const char *rtype, const char *physical,
                        const json_t *props, const json_t *old)
{
    const char *t = jstr(doc, "RequestType"), *ph = jstr(doc, "PhysicalResourceId");
    return t && !strcmp(t, rtype) && !strcmp(ph ? ph : "", physical ? physical : "") &&
           json_equal(json_object_get(doc, "Props"), (json_t *)props) &&
           (!old || json_equal(json_object_get(doc, "OldProps"), (json_t *)old));
}

/* A new request record and its event. 0, or -1. */
static int new_request(cfn_pctx *p, const char *rtype, const char *token, long timeout,
                       const json_t *props, const json_t *old, const char *physical, json_t **docp,
                       json_t **eventp)
{
    char rid[37];
    ids_uuid(rid);
    unsigned char raw[32];
    ids_random(raw, sizeof(raw));
    char secret[65];
    enc_hex(raw, sizeof(raw), secret);
    double now = clock_now();
    long long expires = (long long)now + URL_TTL;
    cfn_custom_ref ref = {0};
    snprintf(ref.account, sizeof(ref.account), "%s", p->account);
    snprintf(ref.region, sizeof(ref.region), "%s", p->region);
    snprintf(ref.uuid, sizeof(ref.uuid), "%s", strrchr(p->stack_id, '/') + 1);
    snprintf(ref.logical, sizeof(ref.logical), "%s", p->logical_id);
    snprintf(ref.request, sizeof(ref.request), "%s", rid);
    char sig[65];
    sign(secret, &ref, expires, sig);
    char url[1024];
    snprintf(url, sizeof(url), "%s" CUSTOM_PREFIX "%s/%s/%s/%s/%s?Expires=%lld&Signature=%s",
             p->env->endpoint[0] ? p->env->endpoint : "http://127.0.0.1:4566", ref.account,
             ref.region, ref.uuid, ref.logical, ref.request, expires, sig);
    char *type = res_type(p);
    json_t *doc =
        json_pack("{s:s, s:s, s:s, s:f, s:s, s:O, s:s}", "RequestId", rid, "RequestType", rtype,
                  "Secret", secret, "Deadline", now + (double)timeout * timeout_scale(),
                  "PhysicalResourceId", physical ? physical : "", "Props", props, "URL", url);
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:O}", "RequestType", rtype,
                           "ServiceToken", token, "ResponseURL", url, "StackId", p->stack_id,
                           "RequestId", rid, "LogicalResourceId", p->logical_id, "ResourceType",
                           type ? type : "", "ResourceProperties", props);
    free(type);
    int bad = !doc || !ev ||
              (old && (json_object_set(doc, "OldProps", (json_t *)old) ||
                       json_object_set(ev, "OldResourceProperties", (json_t *)old))) ||
              (physical && json_object_set_new(ev, "PhysicalResourceId", json_string(physical)));
    if (bad) {
        json_decref(doc);
        json_decref(ev);
        return ferr_oom(p->e);
    }
    *docp = doc;
    *eventp = ev;
    return 0;
}

/* Runs one request: sends it (or picks up the one a stopped server sent) and waits for
 * the response. 0 with *resp the parsed response of a SUCCESS; -1 with *answered set when
 * the provider answered (*resp then the parsed FAILED response, else NULL). */
static int run_request(cfn_pctx *p, const char *rtype, const json_t *props_in, const json_t *old_in,
                       const char *physical, json_t **resp, int *answered)
{
    *resp = NULL;
    *answered = 0;
    const char *token = jstr(props_in, "ServiceToken");
    if (!token || !*token) return invalid(p, "#: required key [ServiceToken] not found");
    long timeout = TIMEOUT_DEFAULT;
    json_t *st = json_object_get(props_in, "ServiceTimeout");
    if (st) {
        char *s = json_is_string(st) ? strdup(json_string_value(st)) : cfn_scalar_text(st);
        char *end = NULL;
        long v = s ? strtol(s, &end, 10) : 0;
        int ok = s && end != s && !*end && v >= 1 && v <= 3600;
        free(s);
        if (!ok)
            return invalid(p, "#/ServiceTimeout: ServiceTimeout must be an integer between 1 "
                              "and 3600 (seconds)");
        timeout = v;
    }
    json_t *props = stringified(props_in), *old = old_in ? stringified(old_in) : NULL;
    json_t *doc = NULL, *ev = NULL;
    int rc = (!props || (old_in && !old)) ? ferr_oom(p->e) : load_request(p, &doc);
    if (rc == 1 && !same_request(doc, rtype, physical, props, old)) {
        json_decref(doc);
        doc = NULL;
        rc = 0;
    }
    if (rc == 0) {
        /* committed before it is sent: a restart waits for its response instead of
         * sending another */
        rc = new_request(p, rtype, token, timeout, props, old, physical, &doc, &ev);
        if (!rc) rc = save_request(p, doc);
        if (!rc && send_request(p, token, ev)) {
            ferr keep = *p->e;
            ferr_clear(p->e);
            save_request(p, NULL);
            *p->e = keep;
            rc = -1;
        }
    } else if (rc == 1) {
        log_info("cfn: %s: waiting again for the response to request %s", p->logical_id,
                 jstr(doc, "RequestId"));
        rc = 0;
    }
    json_decref(ev);
    json_decref(props);
    json_decref(old);
    if (rc) {
        json_decref(doc);
        return -1;
    }
    char rid[40];
    snprintf(rid, sizeof(rid), "%s", jstr(doc, "RequestId"));
    double deadline = json_number_value(json_object_get(doc, "Deadline"));
    json_decref(doc);
    for (;;) {
        doc = NULL;
        rc = load_request(p, &doc);
        if (rc < 0) return -1;
        if (rc == 0 || strcmp(jstr(doc, "RequestId") ? jstr(doc, "RequestId") : "", rid)) {
            json_decref(doc);
            return ferr_internal(p->e, "the custom resource request %s is gone", rid);
        }
        const char *text = jstr(doc, "Response");
        if (text || json_is_true(json_object_get(doc, "ResponseTooLong"))) {
            json_t *r = NULL;
            rc = text ? cfn_custom_response_parse(
                            text, json_string_length(json_object_get(doc, "Response")), &r, p->e)
                      : ferr_validation(p->e, "Response object is too long.");
            json_decref(doc);
            ferr keep = *p->e;
            ferr_clear(p->e);
            if (save_request(p, NULL))
                log_warn("cfn: %s: cannot drop request %s", p->logical_id, rid);
            *p->e = keep;
            if (rc) return *answered = 1, -1;
            if (!strcmp(jstr(r, "Status"), "FAILED")) {
                ferr_set(p->e, 400, "InvalidRequest",
                         "Received response status [FAILED] from custom resource. Message "
                         "returned: %s (RequestId: %s)",
                         jstr(r, "Reason") ? jstr(r, "Reason") : "", rid);
                *answered = 1;
                *resp = r;
                return -1;
            }
            *resp = r;
            return 0;
        }
        json_decref(doc);
        if (clock_now() >= deadline) {
            save_request(p, NULL);
            ferr_clear(p->e);
            return ferr_set(p->e, 400, "InvalidRequest",
                            "CloudFormation did not receive a response from your Custom "
                            "Resource. Please check your logs for requestId [%s]. If you are "
                            "using the Python cfn-response module, you may need to update your "
                            "Lambda function code so that CloudFormation can attach the updated "
                            "version.",
                            rid);
        }
        /* the engine stopping ends the wait; the request stays recorded for the restart */
        if (cfn_engine_stopping())
            return ferr_set(p->e, 503, "ServiceUnavailable", "the server stopped while waiting");
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* The provider's result from a SUCCESS response. */
static int success(cfn_pctx *p, json_t *r, json_t **result)
{
    const char *pid = jstr(r, "PhysicalResourceId");
    if (!pid || !*pid) {
        json_decref(r);
        return ferr_validation(p->e, "Invalid PhysicalResourceId");
    }
    *result = json_pack("{s:s, s:O, s:O}", "PhysicalResourceId", pid, "Attributes",
                        json_object_get(r, "Data"), "NoEcho", json_object_get(r, "NoEcho"));
    json_decref(r);
    return *result ? 0 : ferr_oom(p->e);
}

static int custom_create(cfn_pctx *p, const json_t *props, json_t **result)
{
    json_t *r = NULL;
    int answered = 0;
    if (!run_request(p, "Create", props, NULL, NULL, &r, &answered)) {
        if (!success(p, r, result)) return 0;
        r = NULL; /* success consumed it: answered without a usable id */
        answered = 1;
    }
    if (answered) {
        /* AWS: a create the provider answered but failed gets a Delete in the rollback, with
         * the physical id of the FAILED response (else one CloudFormation makes up); the
         * engine keeps the id of a failed create of a provider that resumes */
        const char *pid = jstr(r, "PhysicalResourceId");
        char *gen = pid && *pid ? NULL : cfn_physical_name(p, 255, 0);
        *result = json_pack("{s:s}", "PhysicalResourceId", pid && *pid ? pid : gen ? gen : "");
        free(gen);
    }
    json_decref(r);
    return -1;
}

static int custom_update(cfn_pctx *p, const char *physical_id, const json_t *old_props,
                         const json_t *new_props, json_t **result)
{
    /* AWS refuses an update that changes the token; the rollback of such an update (a step
     * without cfn_intent, provider.h) goes back to the old token with the old properties */
    const char *a = jstr(old_props, "ServiceToken"), *b = jstr(new_props, "ServiceToken");
    if (p->intent && a && b && strcmp(a, b))
        return ferr_validation(p->e, "Modifying service token is not allowed.");
    json_t *r = NULL;
    int answered;
    if (run_request(p, "Update", new_props, old_props, physical_id, &r, &answered)) {
        json_decref(r);
        return -1;
    }
    return success(p, r, result);
}

static int custom_del(cfn_pctx *p, const char *physical_id, const json_t *props)
{
    json_t *r = NULL;
    int answered;
    int rc = run_request(p, "Delete", props, NULL, physical_id, &r, &answered);
    json_decref(r);
    return rc;
}

const cfn_provider cfn_provider_cfn_custom = {
    .type = "AWS::CloudFormation::CustomResource",
    .create = custom_create,
    .update = custom_update,
    .del = custom_del,
    .resumes = 1,
    .update_may_replace = 1,
};

/* ------------------------------------------------------------------ NoEcho */

static int masked_name(const char *res, const json_t *resv)
{
    return res && json_is_true(json_object_get(json_object_get(resv, res), "NoEcho"));
}

int cfn_custom_masked(const json_t *v, const json_t *resv)
{
    if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x)
            if (cfn_custom_masked(x, resv)) return 1;
        return 0;
    }
    if (!json_is_object(v)) return 0;
    json_t *ga = json_object_get(v, "Fn::GetAtt");
    if (ga) {
        if (json_is_array(ga)) return masked_name(json_string_value(json_array_get(ga, 0)), resv);
        const char *s = json_string_value(ga), *dot = s ? strchr(s, '.') : NULL;
        if (dot) {
            char name[256];
            snprintf(name, sizeof(name), "%.*s", (int)(dot - s), s);
            return masked_name(name, resv);
        }
    }
    json_t *sub = json_object_get(v, "Fn::Sub");
    const char *s = json_string_value(json_is_array(sub) ? json_array_get(sub, 0) : sub);
    for (const char *q = s ? strstr(s, "${") : NULL; q; q = strstr(q + 2, "${")) {
        const char *end = strchr(q, '}'), *dot = strchr(q, '.');
        if (q[2] == '!' || !end || !dot || dot > end) continue;
        char name[256];
        const char *n = q + 2;
        while (*n == ' ') n++;
        snprintf(name, sizeof(name), "%.*s", (int)(dot - n), n);
        if (masked_name(name, resv)) return 1;
    }
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)v, k, x)
        if (cfn_custom_masked(x, resv)) return 1;
    return 0;
}
