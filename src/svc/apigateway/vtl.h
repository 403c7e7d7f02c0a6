/* API Gateway mapping templates: the subset of Velocity (VTL) templates commonly use, with
 * no directives: $input.body, $input.json('$' or '$.a.b'), $input.params('name') (path, then
 * query string, then header), $context.NAME and $context.identity.NAME, $stageVariables.NAME,
 * and $util.escapeJavaScript / urlEncode / base64Encode of one of those; "${x}" and "$!x"
 * forms too. What is not understood is written as it stands (as Velocity writes an unknown
 * reference). */
#ifndef FERRY_SVC_APIGATEWAY_VTL_H
#define FERRY_SVC_APIGATEWAY_VTL_H
#include <jansson.h>
#include <stddef.h>

#include "base/arena.h"
#include "base/buf.h"

typedef struct apigw_vtl_ctx {
    const char *body; /* $input: the request's (or integration response's) body */
    size_t body_len;
    const json_t *path, *query, *headers; /* {name: value}, any may be NULL */
    const json_t *context;                /* $context: {requestId, stage, identity: {...}} */
    const json_t *stage_vars;
} apigw_vtl_ctx;

/* Renders tpl into out: 0, or -1 (out of memory or out over its cap). */
int apigw_vtl_render(arena *a, const char *tpl, const apigw_vtl_ctx *x, buf *out);

#endif
