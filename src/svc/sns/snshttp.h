/* ferry's unsigned SNS endpoints, under /_ferry/sns/ (the gateway's ferry_endpoint hook):
 *   GET cert.pem                                 the certificate messages are signed with
 *   GET confirm?TopicArn=...&Token=...           a message's SubscribeURL: confirms
 *   GET unsubscribe?SubscriptionArn=...          a message's UnsubscribeURL: unsubscribes
 * AWS serves the last two as unsigned Action=ConfirmSubscription / Action=Unsubscribe
 * links; the answers are the same XML. */
#ifndef FERRY_SNS_HTTP_H
#define FERRY_SNS_HTTP_H
#include "proto/codec.h"
#include "svc/svc.h"

/* 1 when r was one of these endpoints (resp filled; caller disposes resp->body), else 0. */
int sns_http_endpoint(ferry_env *env, const hreq *r, proto_response *resp);

#endif
