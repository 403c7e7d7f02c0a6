/* ferry's unsigned SNS endpoints, a route of the sns svc_def under /_ferry/sns/:
 *   GET cert.pem                                 the certificate messages are signed with
 *   GET confirm?TopicArn=...&Token=...           a message's SubscribeURL: confirms
 *   GET unsubscribe?SubscriptionArn=...          a message's UnsubscribeURL: unsubscribes
 * AWS serves the last two as unsigned Action=ConfirmSubscription / Action=Unsubscribe
 * links; the answers are the same XML. */
#ifndef FERRY_SNS_HTTP_H
#define FERRY_SNS_HTTP_H
#include "proto/codec.h"
#include "svc/svc.h"

/* The route handler (svc_route_fn): r->rest is the path after /_ferry/sns/. */
int sns_http_serve(ferry_env *env, arena *a, const svc_request *r, proto_response *resp);
/* POST /_ferry/sns/opt-out?Account=&Region=&PhoneNumber=: a recipient's STOP reply (tests). */
int sns_http_opt_out(ferry_env *env, arena *a, const svc_request *r, proto_response *resp);

#endif
