/* What other parts of ferry may pass KMS that clients cannot. */
#ifndef FERRY_SVC_KMS_KEYID_H
#define FERRY_SVC_KMS_KEYID_H

/* A CreateKey input member honoured only from internal callers (svc_invoke): the new key's
 * id (a UUID the caller made), so that CloudFormation can announce the key (cfn_intent)
 * before it exists. A key of that id already there is AlreadyExistsException. */
#define KMS_CREATE_KEY_ID "ferry:KeyId"

#endif
