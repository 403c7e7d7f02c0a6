/* EventBridge for the rest of ferry: how a service puts its AWS events (CodeCommit's
 * "CodeCommit Repository State Change", CodeBuild's and CodePipeline's state changes) on
 * an account's default bus, and what the delivery engine (engine/events_bus.c) runs. */
#ifndef FERRY_SVC_EVENTS_H
#define FERRY_SVC_EVENTS_H
#include <jansson.h>

#include "svc/svc.h"

/* Puts an event from an AWS service on the default bus of account/region inside t (the
 * caller's write transaction, so the event stands or falls with the change it reports):
 * the envelope {version "0", id, detail-type, source, account, time, region, resources,
 * detail} is matched against the bus's rules and queued for their targets. detail: an
 * object (NULL: {}); resources: an array of ARNs (NULL: []). 0, or -1 with e. */
int events_emit(store_txn *t, const char *account, const char *region, const char *source,
                const char *detail_type, const json_t *detail, const json_t *resources, ferr *e);

/* The engine's: it is woken by waker when events were queued (NULL: none). */
void events_set_waker(void (*waker)(void));
/* Fires the schedules that are due and delivers the queued events that are due. */
void events_sweep(ferry_env *env);
/* FERRY_EVENTS_TIME_SCALE (default 1): what rate() intervals and retry delays are
 * multiplied by (tests use a small one). */
double events_time_scale(void);

#endif
