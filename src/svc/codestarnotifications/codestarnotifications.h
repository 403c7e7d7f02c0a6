/* AWS CodeStar Notifications for the rest of ferry: how a service hands it the events its
 * notification rules may match (CodePipeline's state changes today), and what the delivery
 * engine (engine/notifications.c) runs. */
#ifndef FERRY_SVC_CODESTARNOTIFICATIONS_H
#define FERRY_SVC_CODESTARNOTIFICATIONS_H
#include <jansson.h>

#include "svc/svc.h"

/* An event of account/region, inside t (the change it reports): source "aws.codepipeline",
 * detail_type and detail as on EventBridge, resource the ARN the rules name, additional the
 * FULL notifications' additionalAttributes (NULL: {}). Each enabled rule of that resource
 * whose event types include the event's queues the notification for each of its targets
 * (delivered after the commit, as codestar-notifications.amazonaws.com). 0, or -1 with e. */
int csn_emit(store_txn *t, const char *account, const char *region, const char *source,
             const char *detail_type, const json_t *detail, const char *resource,
             const json_t *additional, ferr *e);

/* The engine's: woken after notifications were queued (NULL: none). */
void csn_set_waker(void (*waker)(void));
/* Delivers the queued notifications. */
void csn_sweep(ferry_env *env);

#endif
