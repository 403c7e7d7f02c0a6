/* Encoded authorization failure messages: what a refusal of the services that return one
 * (EC2: "Encoded authorization failure message: ...") tells only whoever may call
 * sts:DecodeAuthorizationMessage in the caller's account. The message is the JSON document
 * DecodeAuthorizationMessage returns ({"allowed","explicitDeny","matchedStatements",
 * "failures","context":{"principal","action","resource","conditions"}}), sealed with
 * AES-256-GCM under a key of the installation (a key file beside the store, created on first
 * use, never logged or returned) with the caller's account as associated data, so a message
 * opens only in that account and a changed one does not open at all. It carries no
 * credentials: no keys, no session tokens, no policy text.
 *
 * Why here (src/svc/, beside authz.c): authorization seals, STS opens; neither may reach
 * into the other's folder. */
#ifndef FERRY_AUTHZMSG_H
#define FERRY_AUTHZMSG_H
#include "iam/eval.h"
#include "svc/svc.h"

/* The encoded message of the refusal res of q (URL-safe base64, in c->a), or NULL when it
 * cannot be made (out of memory, no key): the refusal is then worded without it. */
const char *authzmsg_encode(call *c, const iam_request *q, const iam_result *res);

/* The decoded document (JSON text, in c->a) of token, for a caller of account: 0, or -1 with
 * InvalidAuthorizationMessageException (not a message, another account's, altered). */
int authzmsg_decode(call *c, const char *account, const char *token, const char **out);

#endif
