/* libFuzzer target: API Gateway access log formats (src/svc/apigateway/accesslog.c): the
 * renderer and the stage settings' check. Rendering never fails but for memory, and text
 * without "$context." comes out as it went in.
 * Seeds: fuzz/corpus/apigw_accesslog_fuzz/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "svc/apigateway/accesslog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *fmt = malloc(size + 1);
    if (!fmt) return 0;
    memcpy(fmt, data, size);
    fmt[size] = 0;
    json_t *ctx =
        json_pack("{s:s, s:i, s:f, s:b, s:{s:s, s:n}, s:[]}", "requestId", "r", "status", 200,
                  "latency", 1.5, "flag", 1, "identity", "sourceIp", "1.2.3.4", "caller", "list");
    buf out;
    buf_init(&out, 1 << 20);
    int rc = apigw_accesslog_render(fmt, ctx, &out);
    size_t fl = strlen(fmt);
    if (!rc && !strstr(fmt, "$context.") && (out.len != fl || memcmp(buf_str(&out), fmt, fl)))
        abort();
    ferr e = {0};
    (void)apigw_accesslog_check(fmt, fmt, "123456789012", "us-east-1", "BadRequestException", &e);
    buf_dispose(&out);
    json_decref(ctx);
    free(fmt);
    return 0;
}
