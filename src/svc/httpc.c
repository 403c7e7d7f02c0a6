#include "httpc.h"

#include <curl/curl.h>
#include <string.h>
#include <strings.h>

int httpc_hop_header(const char *n)
{
    static const char *const h[] = {"connection",       "keep-alive", "transfer-encoding", "te",
                                    "upgrade",          "host",       "content-length",    "expect",
                                    "proxy-connection", "trailer"};
    for (size_t i = 0; i < sizeof(h) / sizeof(h[0]); i++)
        if (!strcasecmp(n, h[i])) return 1;
    return 0;
}

size_t httpc_pass_headers(const hdr *in, size_t n, httpc_header *out, size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k < max; i++)
        if (!httpc_hop_header(in[i].name)) out[k++] = (httpc_header){in[i].name, in[i].value};
    return k;
}

typedef struct sink {
    arena *a;
    httpc_resp *r;
    size_t max;
    int over;
} sink;

static size_t body_cb(char *p, size_t size, size_t n, void *ud)
{
    sink *s = ud;
    if (s->r->body.len + size * n > s->max || buf_put(&s->r->body, p, size * n)) {
        s->over = 1;
        return 0;
    }
    return size * n;
}

static size_t header_cb(char *p, size_t size, size_t n, void *ud)
{
    sink *s = ud;
    size_t len = size * n;
    const char *colon = memchr(p, ':', len);
    if (!len || !colon) return len;
    if (!strncmp(p, "HTTP/", 5)) { /* a new response (after a 100 Continue): start again */
        s->r->nheaders = 0;
        return len;
    }
    httpc_resp *r = s->r;
    if (r->nheaders == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 16;
        httpc_header *h = arena_alloc(s->a, cap * sizeof(*h));
        if (!h) return 0;
        if (r->nheaders) memcpy(h, r->headers, r->nheaders * sizeof(*h));
        r->headers = h;
        r->cap = cap;
    }
    const char *v = colon + 1, *end = p + len;
    while (v < end && (*v == ' ' || *v == '\t')) v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ')) end--;
    char *name = arena_strndup(s->a, p, (size_t)(colon - p));
    char *val = arena_strndup(s->a, v, (size_t)(end - v));
    if (!name || !val) return 0;
    for (char *q = name; *q; q++)
        if (*q >= 'A' && *q <= 'Z') *q = (char)(*q - 'A' + 'a');
    r->headers[r->nheaders++] = (httpc_header){name, val};
    return len;
}

int httpc_do(arena *a, const char *method, const char *url, const httpc_header *hs, size_t nh,
             const void *body, size_t len, long timeout_ms, size_t max, httpc_resp *out)
{
    memset(out, 0, sizeof(*out));
    buf_init(&out->body, 0);
    CURL *h = curl_easy_init();
    if (!h) return HTTPC_FAILED;
    struct curl_slist *list = NULL;
    int bad = 0;
    for (size_t i = 0; i < nh && !bad; i++) {
        const char *line = arena_printf(a, "%s: %s", hs[i].name, hs[i].value);
        struct curl_slist *l = line ? curl_slist_append(list, line) : NULL;
        if (!l)
            bad = 1;
        else
            list = l;
    }
    /* curl adds neither of these by itself for a proxied request: its own would lie */
    struct curl_slist *l = curl_slist_append(list, "Expect:");
    if (l) list = l;
    sink s = {a, out, max, 0};
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, body_cb);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &s);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (!strcasecmp(method, "HEAD")) curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    if (len || strcasecmp(method, "GET")) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    }
    CURLcode rc = bad ? CURLE_OUT_OF_MEMORY : curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
    curl_easy_cleanup(h);
    curl_slist_free_all(list);
    if (rc == CURLE_OPERATION_TIMEDOUT) return HTTPC_TIMEOUT;
    return rc == CURLE_OK && !s.over ? 0 : HTTPC_FAILED;
}
