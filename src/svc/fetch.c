/* Outbound fetches for handlers (CloudFormation's TemplateURL and StackPolicyURL today;
 * S3 and CodePipeline sources to come), never under the store's write lock: see
 * call_fetch in svc.h. */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "fetch.h"

struct call_fetched {
    struct call_fetched *next;
    const char *url;
    size_t max;
    char *body; /* NULL: the fetch failed */
    size_t len;
};

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

int svc_fetch_pending(call *c)
{
    call_fetched *f = arena_alloc(c->a, sizeof(*f));
    if (!f) return ferr_oom(c->err);
    f->url = c->fetch_url;
    f->max = c->fetch_max;
    c->fetch_url = NULL;
    char *got = get(f->url, f->max, &f->len);
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
