/* The CloudWatch Logs retention sweep: every interval (FERRY_LOGS_RETENTION_INTERVAL
 * seconds, default 300) it deletes the events older than their log group's retention period
 * (svc/logs/retention.c). */
#ifndef FERRY_ENGINE_LOGS_RETENTION_H
#define FERRY_ENGINE_LOGS_RETENTION_H
#include "engines.h"

extern const engine_def logs_retention_engine;

#endif
