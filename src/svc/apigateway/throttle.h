/* Request throttling for API Gateway (REST APIs' stage and method settings, usage plans'
 * per-key limits): a token bucket per key, in memory (a restart refills every bucket; on a
 * team server each node counts its own requests). */
#ifndef FERRY_SVC_APIGATEWAY_THROTTLE_H
#define FERRY_SVC_APIGATEWAY_THROTTLE_H

/* Takes one token from key's bucket, which holds at most burst tokens and gains rate a
 * second (full when first seen): 1 when the request may pass, 0 when it is throttled. */
int apigw_throttle_take(const char *key, double rate, long long burst);

#endif
