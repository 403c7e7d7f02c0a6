/* Why the policy engine refused a call, in words and in parts, for the audit trail: CloudTrail's
 * free-form additionalEventData gets {"ferry:decision": {...}} (AWS's own errorCode and
 * errorMessage are left as AWS words them). For an explicit deny: the policy (a managed
 * policy's ARN, an inline policy's name and the user, group or role it is embedded in, an SCP
 * or RCP and the root, OU or account it is attached to, the resource whose policy it is, a
 * permissions boundary, a session policy) and the statement (its Sid, and its index from 0).
 * For a missing allow: which layer had none. It names policies and statements, never their
 * text, the request's context values or credentials.
 *
 * Why here (src/svc/, beside authz.c): it needs what authorization gathered (where each
 * identity policy came from, the organization path), which the engine does not know. Built
 * only for a refusal: allowed calls pay nothing. */
#ifndef FERRY_AUTHZWHY_H
#define FERRY_AUTHZWHY_H
#include "svc/authz.h"

/* The decision object of the refusal res of q ({"type","policyType","policy","statement",
 * "attachedTo","explanation"}; new reference), or NULL on OOM. id: the caller's policies
 * and their sources (may be NULL). *shared (may be NULL) gets 1 when the deciding policy is
 * the resource side's (resource policy, RCP): the resource owner's trail may show it too. */
json_t *authzwhy_decision(const iam_request *q, const iam_result *res, const authz_identity *id,
                          int *shared);

/* The same as the text authorization keeps for the trail: {"ferry:decision": ...} as compact
 * JSON in c's arena, or NULL on OOM. */
const char *authzwhy_event_data(call *c, const iam_request *q, const iam_result *res,
                                const authz_identity *id, int *shared);

#endif
