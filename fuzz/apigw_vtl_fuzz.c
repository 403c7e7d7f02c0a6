/* libFuzzer target: API Gateway's mapping templates (src/svc/apigateway/vtl.c). The input
 * is the template and, after its first NUL, the body $input reads; rendering never fails
 * but for memory, and text without '$' comes out as it went in.
 * Seeds: fuzz/corpus/apigw_vtl_fuzz/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "svc/apigateway/vtl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena *a = arena_new(4096);
    char *tpl = a ? arena_strndup(a, (const char *)data, size) : NULL;
    if (!tpl) {
        arena_free(a);
        return 0;
    }
    size_t tl = strlen(tpl);
    const char *body = tl < size ? (const char *)data + tl + 1 : "";
    size_t bl = tl < size ? size - tl - 1 : 0;
    json_t *path = json_pack("{s:s}", "id", "42"), *q = json_pack("{s:s}", "q", "a\"b"),
           *ctx = json_pack("{s:s, s:{s:s}}", "requestId", "r", "identity", "sourceIp", "1.2.3.4"),
           *vars = json_pack("{s:s}", "color", "red");
    apigw_vtl_ctx x = {.body = body,
                       .body_len = bl,
                       .path = path,
                       .query = q,
                       .context = ctx,
                       .stage_vars = vars};
    buf out;
    buf_init(&out, 1 << 20);
    int rc = apigw_vtl_render(a, tpl, &x, &out);
    if (!rc && !strchr(tpl, '$') && (out.len != tl || memcmp(buf_str(&out), tpl, tl))) abort();
    buf_dispose(&out);
    json_decref(path), json_decref(q), json_decref(ctx), json_decref(vars);
    arena_free(a);
    return 0;
}
