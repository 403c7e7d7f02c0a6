/* CloudWatch Logs for the rest of ferry: the retention sweep's work (engine/logs_retention.c). */
#ifndef FERRY_SVC_LOGS_H
#define FERRY_SVC_LOGS_H
#include "store/store.h"

/* Deletes, in one write transaction, up to max batches of events whose last event is older
 * than their log group's retention period at now (epoch ms). AWS deletes expired events
 * without a trail, so this is no API call. Returns the count deleted, or -1. */
long long logs_retention_sweep(store *st, long long now_ms, int max, ferr *e);

#endif
