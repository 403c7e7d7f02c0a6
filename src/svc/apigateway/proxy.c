/* The Lambda proxy event (payload format 1.0) and the mapping of a function's answer, as
 * AWS documents them for REST APIs ("Input format of a Lambda function for proxy
 * integration", "Output format of a Lambda function for proxy integration"). */
#include "proxy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/clock.h"
#include "base/enc.h"

void apigw_answer(arena *a, proto_response *resp, int status, const char *type, const char *msg)
{
    apigw_answer_as(a, resp, status, type, "message", msg);
}

void apigw_answer_as(arena *a, proto_response *resp, int status, const char *type, const char *key,
                     const char *msg)
{
    proto_response_init(resp);
    resp->status = status;
    resp->content_type = "application/json";
    json_t *b = json_pack("{s:s}", key, msg);
    char *text = b ? json_dumps(b, JSON_COMPACT) : NULL;
    json_decref(b);
    buf_puts(&resp->body, text ? text : "{}");
    free(text);
    if (type) proto_response_header(a, resp, "x-amzn-ErrorType", type);
}

/* Adds v to the single- and multi-value maps under k (the single map keeps the last). */
static int add_multi(json_t *single, json_t *multi, const char *k, const char *v)
{
    json_t *list = json_object_get(multi, k);
    if (!list && (json_object_set_new(multi, k, list = json_array()) || !list)) return -1;
    return json_array_append_new(list, json_string(v)) ||
           json_object_set_new(single, k, json_string(v));
}

static json_t *or_null(json_t *o)
{
    if (o && !json_object_size(o)) {
        json_decref(o);
        return json_null();
    }
    return o;
}

/* AWS: a binary media type matches the request's Content-Type exactly, or as a wildcard
 * ("image/" + "*"), and "*" "/" "*" matches everything. */
static int binary_body(const apigw_proxy_req *q)
{
    const char *ct = q->r->header ? q->r->header(q->r, "content-type") : NULL;
    if (!ct) ct = "";
    size_t ctl = strcspn(ct, ";");
    size_t i;
    const json_t *t;
    json_array_foreach(q->binary_types, i, t) {
        const char *s = json_string_value(t);
        if (!s) continue;
        size_t sl = strlen(s);
        if (!strcmp(s, "*/*")) return 1;
        if (sl > 2 && !strcmp(s + sl - 2, "/*") && !strncasecmp(ct, s, sl - 1)) return 1;
        if (sl == ctl && !strncasecmp(ct, s, sl)) return 1;
    }
    return 0;
}

static json_t *identity(const apigw_proxy_req *q)
{
    const principal *p = q->caller;
    const char *ua = svc_request_user_agent(q->r);
    json_t *id = json_pack("{s:n, s:n, s:n, s:n, s:s, s:n, s:n, s:n, s:n, s:n, s:s?, s:n}",
                           "cognitoIdentityPoolId", "accountId", "cognitoIdentityId", "caller",
                           "sourceIp", svc_request_source_ip(q->r), "principalOrgId", "accessKey",
                           "cognitoAuthenticationType", "cognitoAuthenticationProvider", "userArn",
                           "userAgent", ua, "user");
    if (id && !ua && json_object_set_new(id, "userAgent", json_null())) json_decref(id), id = NULL;
    if (id && p) {
        /* AWS_IAM: who signed the request */
        const char *caller = p->userid[0] ? p->userid : p->account;
        if (jset_str(id, "accountId", p->account) || jset_str(id, "caller", caller) ||
            jset_str(id, "user", caller) || jset_str(id, "userArn", p->arn) ||
            jset_str(id, "accessKey", p->akid))
            json_decref(id), id = NULL;
    }
    return id;
}

int apigw_query_params(arena *a, const char *query, json_t *single, json_t *multi)
{
    for (const char *p = query; p && *p;) {
        size_t n = strcspn(p, "&");
        const char *eq = memchr(p, '=', n);
        size_t kl = eq ? (size_t)(eq - p) : n, kn = 0, vn = 0;
        char *k = enc_url_decode(a, p, kl, 1, &kn);
        char *v = eq ? enc_url_decode(a, eq + 1, n - kl - 1, 1, &vn) : arena_strdup(a, "");
        if (!k || !v) return -1;
        if (kl && (multi ? add_multi(single, multi, k, v)
                         : json_object_set_new(single, k, json_string(v))))
            return -1;
        p += n;
        if (*p) p++;
    }
    return 0;
}

json_t *apigw_proxy_event(arena *a, const apigw_proxy_req *q)
{
    const svc_request *r = q->r;
    json_t *h = json_object(), *mh = json_object(), *qs = json_object(), *mqs = json_object();
    int bad = !h || !mh || !qs || !mqs;
    for (size_t i = 0; !bad && i < r->nheaders; i++)
        bad |= add_multi(h, mh, r->headers[i].name, r->headers[i].value);
    bad |= apigw_query_params(a, r->query, qs, mqs);
    double now = clock_now();
    char when[40];
    time_t t = (time_t)now;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof(when), "%d/%b/%Y:%H:%M:%S +0000", &tm);
    const char *full = q->ctx_path ? q->ctx_path : arena_printf(a, "/%s%s", q->stage, q->path);
    const char *dot = strchr(q->domain ? q->domain : "", '.');
    const char *prefix = dot ? arena_strndup(a, q->domain, (size_t)(dot - q->domain)) : q->api_id;
    json_t *ctx =
        full && prefix
            ? json_pack("{s:s?, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:o, s:s, "
                        "s:s}",
                        "resourceId", q->resource_id, "resourcePath", q->resource, "httpMethod",
                        r->method, "extendedRequestId", q->request_id, "requestTime", when, "path",
                        full, "accountId", q->account, "protocol", "HTTP/1.1", "stage", q->stage,
                        "domainPrefix", prefix, "requestTimeEpoch", (json_int_t)(now * 1000),
                        "requestId", q->request_id, "identity", identity(q), "domainName",
                        q->domain ? q->domain : "", "apiId", q->api_id)
            : NULL;
    json_t *body = json_null();
    int b64 = 0;
    if (r->body_len) {
        b64 = binary_body(q) || !enc_utf8_valid((const char *)r->body, r->body_len);
        if (b64) {
            char *e = enc_b64(a, r->body, r->body_len);
            body = e ? json_string(e) : NULL;
        } else {
            body = json_stringn((const char *)r->body, r->body_len);
        }
    }
    if (ctx && !q->resource_id) bad |= json_object_set_new(ctx, "resourceId", json_null());
    if (ctx && q->authorizer) bad |= json_object_set(ctx, "authorizer", (json_t *)q->authorizer);
    if (bad || !ctx || !body) {
        json_decref(h), json_decref(mh), json_decref(qs), json_decref(mqs);
        json_decref(ctx), json_decref(body);
        return NULL;
    }
    json_t *ev = json_pack(
        "{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:O?, s:O?, s:o, s:o, s:b}", "resource", q->resource,
        "path", q->path, "httpMethod", r->method, "headers", or_null(h), "multiValueHeaders",
        or_null(mh), "queryStringParameters", or_null(qs), "multiValueQueryStringParameters",
        or_null(mqs), "pathParameters", json_object_size(q->path_params) ? q->path_params : NULL,
        "stageVariables", json_object_size(q->stage_vars) ? q->stage_vars : NULL, "requestContext",
        ctx, "body", body, "isBase64Encoded", b64);
    if (ev && q->version && json_object_set_new(ev, "version", json_string(q->version)))
        json_decref(ev), ev = NULL;
    return ev;
}

/* A header value as AWS takes it from the function's map: strings, and numbers and booleans
 * written as JSON writes them. */
static const char *header_value(arena *a, const json_t *v)
{
    if (json_is_string(v)) return json_string_value(v);
    if (json_is_integer(v)) return arena_printf(a, "%lld", (long long)json_integer_value(v));
    if (json_is_real(v)) return arena_printf(a, "%g", json_real_value(v));
    if (json_is_boolean(v)) return json_is_true(v) ? "true" : "false";
    return NULL;
}

static int set_header(arena *a, proto_response *resp, const char *k, const char *v)
{
    if (!strcasecmp(k, "content-type")) {
        resp->content_type = arena_strdup(a, v);
        return resp->content_type ? 0 : -1;
    }
    return proto_response_header(a, resp, k, v) ? -1 : 0;
}

int apigw_proxy_response(arena *a, const char *payload, size_t len, proto_response *resp)
{
    proto_response_init(resp);
    json_t *o = json_loadb(payload ? payload : "", len, 0, NULL);
    int rc = -1;
    if (!json_is_object(o)) goto out;
    const char *k;
    json_t *v;
    /* AWS: any other member makes the output malformed */
    json_object_foreach(o, k, v) {
        if (strcmp(k, "statusCode") && strcmp(k, "headers") && strcmp(k, "multiValueHeaders") &&
            strcmp(k, "body") && strcmp(k, "isBase64Encoded") && strcmp(k, "cookies"))
            goto out;
    }
    json_t *sc = json_object_get(o, "statusCode");
    long long status = json_is_integer(sc)  ? json_integer_value(sc)
                       : json_is_string(sc) ? atoll(json_string_value(sc))
                                            : 0;
    if (status < 100 || status > 599) goto out;
    resp->status = (int)status;
    resp->content_type = "application/json";
    json_t *hs = json_object_get(o, "headers"), *mhs = json_object_get(o, "multiValueHeaders");
    if ((hs && !json_is_object(hs) && !json_is_null(hs)) ||
        (mhs && !json_is_object(mhs) && !json_is_null(mhs)))
        goto out;
    json_object_foreach(mhs, k, v) {
        if (!json_is_array(v)) goto out;
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            const char *s = header_value(a, x);
            if (!s || set_header(a, resp, k, s)) goto out;
        }
    }
    json_object_foreach(hs, k, v) {
        /* a name in both maps: AWS keeps the multi-value one's values */
        if (json_object_get(mhs, k)) continue;
        const char *s = header_value(a, v);
        if (!s || set_header(a, resp, k, s)) goto out;
    }
    json_t *body = json_object_get(o, "body");
    if (body && !json_is_null(body) && !json_is_string(body)) goto out;
    if (json_is_string(body)) {
        const char *s = json_string_value(body);
        size_t n = json_string_length(body);
        if (json_is_true(json_object_get(o, "isBase64Encoded"))) {
            size_t dn = 0;
            unsigned char *d = enc_unb64(a, s, n, &dn);
            if (!d || buf_put(&resp->body, d, dn)) goto out;
        } else if (buf_put(&resp->body, s, n)) {
            goto out;
        }
    }
    rc = 0;
out:
    json_decref(o);
    if (rc) {
        buf_dispose(&resp->body);
        proto_response_init(resp);
    }
    return rc;
}
