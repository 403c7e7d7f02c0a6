/* SNS delivery policies: how often and how long a failed delivery is retried.
 * AWS: "Each delivery policy is comprised of four phases": immediate retries, pre-backoff
 * (minDelayTarget apart), backoff (minDelayTarget to maxDelayTarget along backoffFunction)
 * and post-backoff (maxDelayTarget apart). Only HTTP/S policies can be changed. */
#ifndef FERRY_DELIVERY_POLICY_H
#define FERRY_DELIVERY_POLICY_H
#include <jansson.h>

#include "base/err.h"

enum { DP_LINEAR, DP_ARITHMETIC, DP_GEOMETRIC, DP_EXPONENTIAL };

typedef struct delivery_policy {
    int min_delay, max_delay; /* seconds */
    int num_retries;          /* total retries after the first attempt */
    int num_no_delay, num_min_delay, num_max_delay;
    int backoff;           /* DP_* */
    int max_per_second;    /* throttlePolicy.maxReceivesPerSecond, 0 = none */
    char content_type[64]; /* requestPolicy.headerContentType */
} delivery_policy;

/* AWS's HTTP/S default: "up to three retries with a delay between failed attempts set at
 * 20 seconds", text/plain; charset=UTF-8. */
void delivery_policy_http_default(delivery_policy *p);
/* AWS managed endpoints (SQS, Lambda): 3 immediate, 2 one second apart, 10 backing off
 * from 1 to 20 seconds, then 100,000 20 seconds apart (100,015 attempts over 23 days). */
void delivery_policy_managed(delivery_policy *p);

/* Validates a DeliveryPolicy attribute value. topic=1: the topic form
 * {"http": {"defaultHealthyRetryPolicy", "disableSubscriptionOverrides",
 * "defaultThrottlePolicy", "defaultRequestPolicy"}}; topic=0: the subscription form
 * {"healthyRetryPolicy", "throttlePolicy", "requestPolicy"}. 0, or -1 with
 * InvalidParameter "Invalid parameter: DeliveryPolicy: ..." as AWS words it. */
int delivery_policy_validate(const char *text, int topic, ferr *e);

/* The policy an HTTP/S subscription runs under: its own DeliveryPolicy unless the
 * topic's says disableSubscriptionOverrides, else the topic's defaults, else AWS's. Both
 * texts may be NULL/"" and are assumed valid. */
void delivery_policy_effective(const char *topic_policy, const char *sub_policy,
                               delivery_policy *out);

/* The EffectiveDeliveryPolicy attribute of a topic (given its DeliveryPolicy, may be
 * NULL) or of an HTTP/S subscription. New strings, caller frees. */
char *delivery_policy_topic_effective_json(const char *topic_policy);
char *delivery_policy_sub_effective_json(const delivery_policy *p);

/* Delay in seconds before retry number `retry` (1 = the first retry), or -1 when the
 * policy allows no more retries. */
double delivery_policy_delay(const delivery_policy *p, int retry);

#endif
