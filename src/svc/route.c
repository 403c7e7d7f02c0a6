/* Routes: the URLs services serve outside the signed API (svc.h). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "proto/codec.h"
#include "svc.h"

/* The host without its port ("[::1]:80" keeps its brackets). */
static size_t host_len(const char *h)
{
    const char *colon = strrchr(h, ':');
    if (colon && !strchr(colon, ']')) return (size_t)(colon - h);
    return strlen(h);
}

int svc_route_match(const svc_route *rt, arena *a, svc_request *r)
{
    r->rest = r->path;
    r->host_label = NULL;
    if (rt->path_prefix) {
        size_t n = strlen(rt->path_prefix);
        if (strncmp(r->path, rt->path_prefix, n)) return 0;
        r->rest = r->path + n;
    }
    if (rt->host_suffix) {
        const char *h = r->host ? r->host : "";
        size_t hl = host_len(h), sl = strlen(rt->host_suffix);
        if (hl <= sl || strncasecmp(h + hl - sl, rt->host_suffix, sl)) return 0;
        r->host_label = arena_strndup(a, h, hl - sl);
        if (!r->host_label) return 0;
    }
    return 1;
}

static int method_allowed(const char *methods, const char *m)
{
    if (!methods) return 1;
    size_t n = strlen(m);
    for (const char *p = methods; *p;) {
        size_t len = strcspn(p, " ");
        if (len == n && !strncmp(p, m, n)) return 1;
        p += len;
        p += strspn(p, " ");
    }
    return 0;
}

int svc_route_dispatch(ferry_env *env, arena *a, svc_request *r, proto_response *resp)
{
    for (size_t i = 0; i < svc_ntables; i++) {
        const svc_def *d = svc_tables[i].def;
        for (size_t j = 0; j < d->nroutes; j++) {
            const svc_route *rt = &d->routes[j];
            if (!svc_route_match(rt, a, r)) continue;
            if (!method_allowed(rt->methods, r->method)) {
                proto_response_init(resp);
                resp->status = 405;
                resp->content_type = "text/plain";
                buf_puts(&resp->body, "method not allowed\n");
                char *allow = arena_alloc(a, 2 * strlen(rt->methods) + 1), *o = allow;
                for (const char *m = rt->methods; allow && *m; m++) {
                    if (*m != ' ')
                        *o++ = *m;
                    else if (m[1] && m[1] != ' ' && o > allow)
                        *o++ = ',', *o++ = ' ';
                }
                if (allow) *o = 0, proto_response_header(a, resp, "Allow", allow);
                return 1;
            }
            if (rt->fn(env, a, r, resp)) return 1;
        }
    }
    return 0;
}
