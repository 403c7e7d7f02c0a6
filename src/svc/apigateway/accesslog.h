/* API Gateway access logs (REST APIs' accessLogSettings, HTTP APIs' AccessLogSettings): the
 * format's $context variables rendered per request and the line written to the stage's
 * CloudWatch Logs group. */
#ifndef FERRY_SVC_APIGATEWAY_ACCESSLOG_H
#define FERRY_SVC_APIGATEWAY_ACCESSLOG_H
#include <jansson.h>

#include "base/buf.h"
#include "base/err.h"

/* Renders fmt into out: every $context.NAME (NAME dotted: identity.sourceIp) replaced by
 * ctx's value for it ({"identity": {"sourceIp": ...}}), "-" when it has none (AWS's
 * placeholder); the rest as it stands. 0, or -1 (out of memory). */
int apigw_accesslog_render(const char *fmt, const json_t *ctx, buf *out);

/* AWS's checks of a stage's settings: destination a log group ARN of account in region,
 * format one line naming $context.requestId or $context.extendedRequestId. 0, or -1 with
 * code (BadRequestException) in e. */
int apigw_accesslog_check(const char *dest, const char *fmt, const char *account,
                          const char *region, const char *code, ferr *e);

/* Queues line for the group dest (a log group ARN) in stream, written as account (by API
 * Gateway) within a moment; best effort, as AWS's delivery is. */
void apigw_accesslog_write(const char *account, const char *dest, const char *stream,
                           const char *line);

/* Queues line for group (a name) in region: written as account, on API Gateway's behalf
 * (execution logs and access logs alike). */
void apigw_logs_put(const char *account, const char *region, const char *group, const char *stream,
                    const char *line);

#endif
