/* What the files of src/svc/codestarnotifications/ share. A notification rule is the document
 * CSN_RULE_KIND of (account, region, its 40-hex id): {Arn, Name, Resource, EventTypeIds [],
 * Targets [{TargetType, TargetAddress, TargetStatus}], DetailType, Status, CreatedBy,
 * CreatedTimestamp, LastModifiedTimestamp, Tags {}, Token (its ClientRequestToken)}. A
 * notification waiting for delivery is CSN_OUT_KIND of (account, region, a time-ordered
 * id): {Rule (ARN), Target (address), Message}. */
#ifndef FERRY_SVC_CSN_INT_H
#define FERRY_SVC_CSN_INT_H
#include "svc/svc.h"

#define CSN_RULE_KIND "codestar-notifications.rule"
#define CSN_OUT_KIND  "codestar-notifications.out"

/* One event type of the catalogue (ListEventTypes). */
typedef struct csn_type {
    const char *id, *service, *resource_type;
    const char *detail_type; /* the EventBridge detail-type it answers */
    const char *state;       /* detail.state it answers */
    int approval;            /* only for Manual approval actions */
} csn_type;
extern const csn_type csn_types[];
extern const size_t csn_ntypes;
const csn_type *csn_type_find(const char *id);

/* The rule's id out of its ARN in the caller's account and region, or NULL. */
const char *csn_rule_id(call *c, const char *arn);

#endif
