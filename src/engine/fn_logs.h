/* Output lines of processes ferry runs (Lambda functions, CodeBuild builds) shipped to
 * CloudWatch Logs: queued per log stream, sent once a second in PutLogEvents batches through
 * svc_invoke as the writer's role, the group and stream created on first use. Best effort,
 * as AWS's are for a role that cannot write logs. One shipper thread serves every engine:
 * start and stop are counted. */
#ifndef FERRY_ENGINE_FN_LOGS_H
#define FERRY_ENGINE_FN_LOGS_H
#include <stddef.h>

#include "svc/svc.h"

int fn_logs_start(ferry_env *env, ferr *e);
void fn_logs_stop(void);
/* Queues one event (msg of len bytes, at epoch seconds t) for group/stream in region, written
 * as who. All copied. */
void fn_logs_put(const char *region, const char *group, const char *stream, const principal *who,
                 double t, const char *msg, size_t len);

#endif
