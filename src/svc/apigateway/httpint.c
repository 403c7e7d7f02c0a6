/* HTTP_PROXY integrations (httpint.h). */
#include "httpint.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/enc.h"
#include "base/log.h"
#include "http/hreq.h"
#include "proxy.h"

#define RESPONSE_MAX (10u << 20) /* AWS: 10 MB payloads */

/* Headers that belong to one hop, never passed on. */
static int hop_header(const char *n)
{
    static const char *const hop[] = {"host",    "connection",        "content-length",
                                      "expect",  "transfer-encoding", "keep-alive",
                                      "upgrade", "proxy-connection"};
    for (size_t i = 0; i < sizeof(hop) / sizeof(hop[0]); i++)
        if (!strcasecmp(n, hop[i])) return 1;
    return 0;
}

/* {name} and {name+} in url replaced by the path parameter of that name. */
static const char *expand(arena *a, const char *url, const json_t *params)
{
    buf b;
    buf_init(&b, 0);
    for (const char *p = url; *p;) {
        const char *open = strchr(p, '{'), *close = open ? strchr(open, '}') : NULL;
        if (!open || !close) {
            buf_puts(&b, p);
            break;
        }
        buf_put(&b, p, (size_t)(open - p));
        char name[128];
        size_t nl = (size_t)(close - open - 1);
        if (nl && open[nl] == '+') nl--;
        snprintf(name, sizeof(name), "%.*s", (int)nl, open + 1);
        const char *v = jstr(params, name);
        if (v) {
            char *e = enc_url_encode(a, v, strlen(v), 1);
            buf_puts(&b, e ? e : "");
        }
        p = close + 1;
    }
    const char *out = arena_strdup(a, buf_str(&b));
    buf_dispose(&b);
    return out;
}

typedef struct answer {
    arena *a;
    proto_response *resp;
} answer;

static size_t on_body(char *ptr, size_t size, size_t n, void *ud)
{
    answer *x = ud;
    return buf_put(&x->resp->body, ptr, size * n) ? 0 : size * n;
}

static size_t on_header(char *ptr, size_t size, size_t n, void *ud)
{
    answer *x = ud;
    size_t len = size * n, l = len;
    while (l && (ptr[l - 1] == '\r' || ptr[l - 1] == '\n')) l--;
    const char *colon = memchr(ptr, ':', l);
    if (!strncmp(ptr, "HTTP/", 5)) {
        /* a new response (after a 100 Continue): its headers replace the earlier ones */
        x->resp->nheaders = 0;
        return len;
    }
    if (!colon) return len;
    char *name = arena_strndup(x->a, ptr, (size_t)(colon - ptr));
    const char *v = colon + 1;
    while (v < ptr + l && (*v == ' ' || *v == '\t')) v++;
    char *value = arena_strndup(x->a, v, (size_t)(ptr + l - v));
    if (!name || !value) return 0;
    if (!strcasecmp(name, "content-type"))
        x->resp->content_type = value;
    else if (!hop_header(name))
        proto_response_header(x->a, x->resp, name, value);
    return len;
}

void apigw_http_proxy(arena *a, const svc_request *r, const char *url, const json_t *path_params,
                      long timeout_ms, proto_response *resp)
{
    const char *target = expand(a, url, path_params);
    if (target && r->query && *r->query)
        target = arena_printf(a, "%s%c%s", target, strchr(target, '?') ? '&' : '?', r->query);
    CURL *h = target ? curl_easy_init() : NULL;
    if (!h) {
        apigw_answer(a, resp, 500, NULL, "Internal server error");
        return;
    }
    proto_response_init(resp);
    buf_init(&resp->body, RESPONSE_MAX);
    struct curl_slist *hs = NULL;
    for (size_t i = 0; i < r->nheaders; i++) {
        if (hop_header(r->headers[i].name)) continue;
        const char *line = arena_printf(a, "%s: %s", r->headers[i].name, r->headers[i].value);
        struct curl_slist *n = line ? curl_slist_append(hs, line) : NULL;
        if (n) hs = n;
    }
    struct curl_slist *n = curl_slist_append(hs, "Expect:");
    if (n) hs = n;
    answer x = {a, resp};
    curl_easy_setopt(h, CURLOPT_URL, target);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
    if (!strcmp(r->method, "HEAD")) curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    if (r->body_len) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    curl_slist_free_all(hs);
    if (rc == CURLE_OPERATION_TIMEDOUT) {
        buf_dispose(&resp->body);
        apigw_answer(a, resp, 504, NULL, "Endpoint request timed out");
    } else if (rc != CURLE_OK || status < 100) {
        log_info("apigateway: HTTP_PROXY to %s failed: %s", target, curl_easy_strerror(rc));
        buf_dispose(&resp->body);
        apigw_answer(a, resp, 500, NULL, "Internal server error");
    } else {
        resp->status = (int)status;
    }
}
