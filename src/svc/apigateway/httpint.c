/* HTTP_PROXY integrations (httpint.h). */
#include "httpint.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/enc.h"
#include "base/log.h"
#include "proxy.h"
#include "svc/httpc.h"

#define RESPONSE_MAX (10u << 20) /* AWS: 10 MB payloads */

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

void apigw_http_proxy(arena *a, const svc_request *r, const char *url, const json_t *path_params,
                      long timeout_ms, proto_response *resp)
{
    const char *target = expand(a, url, path_params);
    if (target && r->query && *r->query)
        target = arena_printf(a, "%s%c%s", target, strchr(target, '?') ? '&' : '?', r->query);
    httpc_header hs[64];
    size_t nh = httpc_pass_headers(r->headers, r->nheaders, hs, 64);
    httpc_resp hr;
    int rc = target ? httpc_do(a, r->method, target, hs, nh, r->body, r->body_len, timeout_ms,
                               RESPONSE_MAX, &hr)
                    : HTTPC_FAILED;
    if (rc) {
        if (target) buf_dispose(&hr.body);
        if (rc == HTTPC_TIMEOUT) {
            apigw_answer(a, resp, 504, NULL, "Endpoint request timed out");
            return;
        }
        log_info("apigateway: HTTP_PROXY to %s failed", target ? target : url);
        apigw_answer(a, resp, 500, NULL, "Internal server error");
        return;
    }
    proto_response_init(resp);
    resp->status = (int)hr.status;
    resp->body = hr.body; /* taken: the response disposes it */
    for (size_t i = 0; i < hr.nheaders; i++) {
        if (httpc_hop_header(hr.headers[i].name)) continue;
        if (!strcmp(hr.headers[i].name, "content-type"))
            resp->content_type = hr.headers[i].value;
        else
            proto_response_header(a, resp, hr.headers[i].name, hr.headers[i].value);
    }
}
