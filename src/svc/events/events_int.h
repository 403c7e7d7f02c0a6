/* What the EventBridge folder's files share. events.c: the service, names, ARNs, errors,
 * buses, permissions and tags; rules.c: rules and targets; put.c: PutEvents,
 * TestEventPattern, matching and queueing (events_emit); transform.c: a target's input
 * (Input, InputPath, InputTransformer); deliver.c: schedules and deliveries (the engine's
 * sweep); prov_events.c: the CloudFormation providers. */
#ifndef FERRY_EVENTS_INT_H
#define FERRY_EVENTS_INT_H
#include "documents.h"
#include "events.h"

#define EVENTS_MAX_TARGETS 5             /* AWS: targets per rule */
#define EVENTS_MAX_ENTRIES 10            /* AWS: PutEvents entries per request */
#define EVENTS_MAX_BYTES   (1024 * 1024) /* AWS: PutEvents request, 1 MB */

int events_invalid(call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int events_not_found(call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A bus named by name or ARN ("default" when NULL): its owner and name in c->a. */
int events_bus_ref(call *c, const char *name_or_arn, const char **account, const char **name);
const char *events_bus_arn(arena *a, const char *region, const char *account, const char *bus);
const char *events_rule_arn(arena *a, const char *region, const char *account, const char *bus,
                            const char *rule);
const char *events_rule_id(arena *a, const char *bus, const char *rule);
/* The bus's document (*doc borrowed from c->a; NULL for a default bus without one): 0, or
 * -1 with ResourceNotFoundException when there is no such bus. */
int events_bus_get(call *c, const char *account, const char *bus, json_t **doc);

/* Parses a pattern as PutRule does: 0, or -1 with InvalidEventPatternException. */
int events_pattern_check(call *c, const char *text);

/* Matches event against the enabled rules of bus (only_rule: that rule only, NULL: every
 * pattern rule) and queues a delivery per target, inside t. 0, or -1 with e. */
int events_enqueue(store_txn *t, const char *account, const char *region, const char *bus,
                   const json_t *event, const char *only_rule, ferr *e);
/* A new envelope (new reference, NULL out of memory). */
json_t *events_envelope(const char *account, const char *region, const char *source,
                        const char *detail_type, const json_t *detail, const json_t *resources,
                        double t);
void events_kick(void);

/* rate(...) / cron(...) as EventBridge takes them: 0 with the next firing after `after`
 * (rates scaled by events_time_scale()), or -1. */
int events_schedule_next(const char *expr, double after, double *next);

/* The text a target receives for event (malloc'd; NULL with e for a bad path or template). */
char *events_target_input(const json_t *target, const json_t *event, const char *rule_arn,
                          const char *rule_name, ferr *e);
/* Checks a target's InputPath / InputTransformer as PutTargets does: NULL, or why. */
const char *events_target_check(const json_t *target);

/* The internal entry point a bus target's delivery runs as PutEvents in the receiving
 * account (c->arg: the envelope); authorized with the receiving bus's policy. */
extern const svc_op events_forward_op;

#endif
