/* Outbound fetches for handlers (CloudFormation's TemplateURL and StackPolicyURL today;
 * S3 and CodePipeline sources to come), never under the store's write lock: see
 * call_fetch in svc.h. */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/enc.h"
#include "fetch.h"

struct call_fetched {
    struct call_fetched *next;
    const char *url;
    size_t max;
    char *body; /* NULL: the fetch failed */
    size_t len;
};

const char *call_s3_url(call *c, const char *bucket, const char *key, const char *version)
{
    const char *eb = enc_url_encode(c->a, bucket, strlen(bucket), 0);
    const char *ek = enc_url_encode(c->a, key, strlen(key), 1);
    const char *ev = version ? enc_url_encode(c->a, version, strlen(version), 0) : "";
    return eb && ek && ev ? arena_printf(c->a, "https://s3.amazonaws.com/%s/%s%s%s", eb, ek,
                                         version ? "?versionId=" : "", ev)
                          : NULL;
}

int call_fetch(call *c, const char *url, size_t max, const char **body, size_t *len)
{
    for (const call_fetched *f = c->fetched; f; f = f->next)
        if (!strcmp(f->url, url) && f->max == max) {
            if (!f->body) return 1;
            *body = f->body;
            *len = f->len;
            return 0;
        }
    c->fetch_url = arena_strdup(c->a, url);
    c->fetch_max = max;
    if (!c->fetch_url) return ferr_oom(c->err);
    /* svc_exec fetches and runs the call again; inside another call's transaction nothing
     * can, and this error stands */
    return ferr_internal(c->err, "%s cannot fetch %s inside a transaction", c->op, url);
}

static size_t sink(char *ptr, size_t size, size_t n, void *ud)
{
    return buf_put(ud, ptr, size * n) ? 0 : size * n;
}

/* http(s) only, at most max bytes, a few seconds; anything else is a failed fetch. */
static char *get(const char *url, size_t max, size_t *len)
{
    if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) return NULL;
    CURL *h = curl_easy_init();
    if (!h) return NULL;
    buf b;
    buf_init(&b, max);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 5L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    if (rc != CURLE_OK || status != 200 || b.failed) {
        buf_dispose(&b);
        return NULL;
    }
    *len = b.len;
    return b.len ? buf_take(&b) : strdup("");
}

/* An S3 URL (https://s3[.REGION].amazonaws.com/BUCKET/KEY, https://BUCKET.s3[.REGION]
 * .amazonaws.com/KEY, or ferry's own endpoint/BUCKET/KEY) names an object in ferry's S3: it
 * is read there as the caller, as CloudFormation reads a TemplateURL with the caller's
 * credentials. 1 and *bucket, *key (decoded, in the arena) when url is one. */
static int s3_url(call *c, const char *url, const char **bucket, const char **key)
{
    const char *p = !strncmp(url, "https://", 8)  ? url + 8
                    : !strncmp(url, "http://", 7) ? url + 7
                                                  : NULL;
    if (!p) return 0;
    size_t hl = strcspn(p, "/?#");
    const char *path = p + hl;
    char host[256];
    if (hl >= sizeof(host) || *path != '/') return 0;
    memcpy(host, p, hl);
    host[hl] = 0;
    const char *own = strstr(c->env->endpoint, "://");
    int path_style = (own && !strcmp(host, own + 3)) || !strcmp(host, "s3.amazonaws.com") ||
                     (!strncmp(host, "s3.", 3) && strstr(host, ".amazonaws.com")) ||
                     (!strncmp(host, "s3-", 3) && strstr(host, ".amazonaws.com"));
    const char *vh = strstr(host, ".s3.");
    if (!vh) vh = strstr(host, ".s3-");
    size_t plen = strcspn(path, "?#");
    size_t dl;
    char *d = enc_url_decode(c->a, path + 1, plen ? plen - 1 : 0, 0, &dl);
    if (!d || strlen(d) != dl) return 0;
    if (path_style) {
        char *slash = strchr(d, '/');
        if (!slash || slash == d || !slash[1]) return 0;
        *slash = 0;
        *bucket = d;
        *key = slash + 1;
        return 1;
    }
    if (vh && strstr(vh, ".amazonaws.com") && *d) {
        *bucket = arena_strndup(c->a, host, (size_t)(vh - host));
        *key = d;
        return *bucket != NULL;
    }
    return 0;
}

/* The object's bytes through S3 GetObject as the caller (the version url's versionId names,
 * as Lambda's S3ObjectVersion does): a new malloc'd buffer, or NULL. */
static char *get_s3(call *c, const char *url, const char *bucket, const char *key, size_t max,
                    size_t *len)
{
    json_t *in = json_pack("{s:s, s:s}", "Bucket", bucket, "Key", key), *out = NULL;
    const char *q = strchr(url, '?');
    const char *ver = q ? strstr(q, "versionId=") : NULL;
    if (ver && (ver[-1] == '?' || ver[-1] == '&')) {
        size_t vl;
        char *v = enc_url_decode(c->a, ver + 10, strcspn(ver + 10, "&#"), 0, &vl);
        if (!v || jset_str(in, "VersionId", v)) {
            json_decref(in);
            in = NULL;
        }
    }
    ferr e = {0};
    char *body = NULL;
    if (in && c->who &&
        !svc_invoke(c->env, c->who, c->region, "s3", "GetObject", in, &out, NULL, &e)) {
        const char *b64 = jstr(out, "Body");
        size_t n = 0;
        arena *a = arena_new(1024);
        unsigned char *raw = a && b64 ? enc_unb64(a, b64, strlen(b64), &n) : NULL;
        if (raw && n <= max && (body = malloc(n + 1))) {
            memcpy(body, raw, n);
            body[n] = 0;
            *len = n;
        }
        arena_free(a);
    }
    json_decref(in);
    json_decref(out);
    return body;
}

int svc_fetch_pending(call *c)
{
    call_fetched *f = arena_alloc(c->a, sizeof(*f));
    if (!f) return ferr_oom(c->err);
    f->url = c->fetch_url;
    f->max = c->fetch_max;
    c->fetch_url = NULL;
    const char *bucket, *key;
    char *got = s3_url(c, f->url, &bucket, &key) ? get_s3(c, f->url, bucket, key, f->max, &f->len)
                                                 : get(f->url, f->max, &f->len);
    if (got) {
        f->body = arena_alloc(c->a, f->len + 1); /* zeroed: the body ends in a NUL */
        if (f->body) memcpy(f->body, got, f->len);
        free(got);
        if (!f->body) return ferr_oom(c->err);
    }
    f->next = c->fetched;
    c->fetched = f;
    return 0;
}
