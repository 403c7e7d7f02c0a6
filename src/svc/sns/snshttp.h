/* ferry's SNS endpoints, routes of the sns svc_def under /_ferry/sns/:
 *   GET cert.pem                                 the certificate messages are signed with
 *   GET confirm?TopicArn=...&Token=...           a message's SubscribeURL: confirms
 *   GET unsubscribe?SubscriptionArn=...          a message's UnsubscribeURL: unsubscribes
 *   GET deliveries[?Region=]                     signed: the caller's recorded push and SMS
 * AWS serves confirm and unsubscribe as unsigned Action=ConfirmSubscription /
 * Action=Unsubscribe links; the answers are the same XML. Every action runs as an operation
 * (svc_exec): authorized, audited, errors in SNS's shape. */
#ifndef FERRY_SNS_HTTP_H
#define FERRY_SNS_HTTP_H
#include "proto/codec.h"
#include "svc/svc.h"

/* The route handler (svc_route_fn): r->rest is the path after /_ferry/sns/. */
int sns_http_serve(ferry_env *env, arena *a, const svc_request *r, proto_response *resp);
/* POST /_ferry/sns/opt-out?Account=&Region=&PhoneNumber=: a recipient's STOP reply (tests). */
int sns_http_opt_out(ferry_env *env, arena *a, const svc_request *r, proto_response *resp);

#endif
