/* What the files of src/svc/health/ share: the stored event. An event is the document
 * HEALTH_EVENT_KIND of (account, "", its ARN): Health is global (its endpoint is us-east-1),
 * an event names its own region. The document is the API's Event members plus
 * "description", "metadata" {} and "entities" [AffectedEntity without eventArn]. */
#ifndef FERRY_SVC_HEALTH_INT_H
#define FERRY_SVC_HEALTH_INT_H
#include "svc/svc.h"

#define HEALTH_EVENT_KIND "health-event"

/* The store key of account's event arn. */
store_key health_key(const char *account, const char *arn);
/* The Event members of a stored event (a new reference; NULL out of memory). */
json_t *health_event_view(const json_t *doc);

#endif
