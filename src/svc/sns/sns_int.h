/* Shared inside src/svc/sns/: ARNs, documents and checks the operation files use.
 *
 * Documents (JSON in the store):
 *   sns_topic  (owner, region, name)          {"Name", "TopicArn", "Owner", "Attributes": {settable
 *                                              attributes as strings}, "Tags": {k: v},
 *                                              "SubscriptionsDeleted", "Seq" (FIFO)}
 *   sns_sub    (topic owner, region, "name:uuid") see engine/delivery.h
 *   sns_mysub  (subscriber, region, subscription ARN) {"TopicAccount", "Key"}: ListSubscriptions
 *   sns_dedup  (topic owner, region, "name:dedupid") {"MessageId", "SequenceNumber", "Time"}
 *   sns_msg, sns_dlv: see engine/delivery.h
 *   sns_app    (owner, region, "PLATFORM/name") {"PlatformApplicationArn", "Name", "Platform",
 *                                              "Attributes" (credentials included: never
 *                                              answered)}
 *   sns_endpoint (owner, region, "PLATFORM/app/uuid") {"EndpointArn", "Attributes": {Token,
 *                                              Enabled, CustomUserData}}
 *   sns_sent   (account, region, uuid7)        a recorded push or SMS delivery (nothing is
 *                                              sent): {"Kind": "push"|"sms", "MessageId",
 *                                              "Message", "Timestamp", ...}
 *   sns_sms    (account, region, "attributes") SetSMSAttributes' attributes
 *   sns_optout (account, region, phone)        an opted-out number
 *   sns_sandbox (account, region, phone)       {"PhoneNumber", "Status", "Otp" (pending)} */
#ifndef FERRY_SVC_SNS_INT_H
#define FERRY_SVC_SNS_INT_H
#include "svc/sns/documents.h"
#include "svc/svc.h"

#define SNS_KIND_TOPIC    "sns_topic"
#define SNS_KIND_MYSUB    "sns_mysub"
#define SNS_KIND_DEDUP    "sns_dedup"
#define SNS_KIND_APP      "sns_app"
#define SNS_KIND_ENDPOINT "sns_endpoint"
#define SNS_KIND_SENT     "sns_sent"
#define SNS_KIND_SMS      "sns_sms"
#define SNS_KIND_OPTOUT   "sns_optout"
#define SNS_KIND_SANDBOX  "sns_sandbox"

#define SNS_MAX_MESSAGE 262144 /* AWS: 256 KiB, message and attributes together */
#define SNS_PAGE        100    /* AWS pages ListTopics and ListSubscriptions* by 100 */

/* The parts of arn:aws:sns:REGION:ACCOUNT:TOPIC[:SUBSCRIPTION-ID]. */
typedef struct sns_arn {
    char region[32];
    char account[13];
    char topic[257];
    char sub[64]; /* "" for a topic ARN */
} sns_arn;

/* 0 when arn is a topic ARN (want_sub=0) or a subscription ARN (want_sub=1). */
int sns_parse_arn(const char *arn, int want_sub, sns_arn *out);

/* InvalidParameter "Invalid parameter: <what>". */
int sns_invalid(call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* NotFound "Topic does not exist" (404). */
int sns_topic_not_found(call *c);
/* Answers {"Attributes": attrs} (taken), with its EffectiveDeliveryPolicy edp (taken and
 * freed; NULL: none); bad (out of memory while building attrs) fails the call instead. */
/* Set*Attributes' change to attrs: name = value ("true"/"false" for the attribute named
 * boolean, absent for an empty value). Non-zero when out of memory. */
int sns_set_attr(json_t *attrs, const char *name, const char *value, const char *boolean);
int sns_attributes_out(call *c, json_t *attrs, char *edp, int bad, json_t **out);

/* Loads the topic named by arn (param names the input member for the message of a
 * malformed ARN). 0 with *topic (caller decrefs) and *a, or -1 (InvalidParameter,
 * NotFound). */
int sns_load_topic(call *c, const char *arn, const char *param, json_t **topic, sns_arn *a);
store_key sns_topic_key(const sns_arn *a);

/* Authorizes action ("sns:Publish") on the topic with its Policy as the resource
 * policy. AWS's SNS names a refusal AuthorizationError (403). */
int sns_authorize(call *c, const char *action, const json_t *topic);

/* The topic Policy AWS writes for a new topic: every principal of the owner account may
 * use the topic (Condition StringEquals AWS:SourceOwner = owner). New string. */

int sns_is_fifo(const json_t *topic);
const char *sns_topic_attr(const json_t *topic, const char *name); /* borrowed, NULL */

/* Validates one topic attribute (for CreateTopic when creating=1, else
 * SetTopicAttributes). prefix starts the error message. */
int sns_check_topic_attr(call *c, const char *name, const char *value, int fifo, int creating,
                         const char *prefix);
/* Validates one subscription attribute for protocol. prefix as above. */
int sns_check_sub_attr(call *c, const char *name, const char *value, const char *protocol,
                       const char *prefix);

/* Operation handlers, by file. */
int sns_op_create_topic(call *c, json_t *in, json_t **out);
int sns_op_delete_topic(call *c, json_t *in, json_t **out);
int sns_op_list_topics(call *c, json_t *in, json_t **out);
int sns_op_get_topic_attributes(call *c, json_t *in, json_t **out);
int sns_op_set_topic_attributes(call *c, json_t *in, json_t **out);
int sns_op_add_permission(call *c, json_t *in, json_t **out);
int sns_op_remove_permission(call *c, json_t *in, json_t **out);
int sns_op_tag_resource(call *c, json_t *in, json_t **out);
int sns_op_untag_resource(call *c, json_t *in, json_t **out);
int sns_op_list_tags_for_resource(call *c, json_t *in, json_t **out);

int sns_op_subscribe(call *c, json_t *in, json_t **out);
int sns_op_confirm_subscription(call *c, json_t *in, json_t **out);
int sns_op_unsubscribe(call *c, json_t *in, json_t **out);
int sns_op_list_subscriptions(call *c, json_t *in, json_t **out);
int sns_op_list_subscriptions_by_topic(call *c, json_t *in, json_t **out);
int sns_op_get_subscription_attributes(call *c, json_t *in, json_t **out);
int sns_op_set_subscription_attributes(call *c, json_t *in, json_t **out);

int sns_op_publish(call *c, json_t *in, json_t **out);
int sns_op_publish_batch(call *c, json_t *in, json_t **out);

/* Unauthenticated paths the SubscribeURL and UnsubscribeURL use (snshttp.c): confirm
 * by token, unsubscribe by ARN. Run inside svc_exec like an operation. */
int sns_confirm_by_token(call *c, json_t *in, json_t **out);
int sns_unsubscribe_by_url(call *c, json_t *in, json_t **out);
/* ferry's routes (snshttp.c): a recipient's STOP reply (PhoneNumber), and the caller's
 * account's recorded push and SMS deliveries ({"Deliveries": [...]}, optional Region). */
int sns_opt_out_by_reply(call *c, json_t *in, json_t **out);
int sns_list_deliveries(call *c, json_t *in, json_t **out);

/* Subscriptions of a topic in ARN order: calls cb until it returns non-zero. */
typedef int (*sns_sub_cb)(void *ud, json_t *sub);
int sns_each_sub(call *c, const sns_arn *topic, sns_sub_cb cb, void *ud);
/* The subscriptions of a topic in ARN order as a new array *arr, each map(sub) (NULL: the
 * subscription itself); -1 with c->err (out of memory included) and *arr NULL. */
int sns_collect_subs(call *c, const sns_arn *topic, json_t *(*map)(const json_t *sub),
                     json_t **arr);

/* Publish's cached view of a topic's deliverable subscriptions (subcache.c). */
typedef struct sns_filter sns_filter;
typedef struct sns_sub_entry {
    char *arn;
    const char *proto;  /* "sqs", "lambda", "http", "https", "application", "sms" */
    char *endpoint;     /* "application" and "sms": the endpoint ARN or phone number */
    sns_filter *filter; /* NULL: takes every message */
    int broken;         /* its stored filter policy no longer parses: takes none */
} sns_sub_entry;
typedef struct sns_subs sns_subs;
/* The topic's confirmed SQS, Lambda, HTTP/S, push and SMS subscriptions, valid until c's
 * arena goes. */
sns_subs *sns_subs_get(call *c, const sns_arn *topic);
const sns_sub_entry *sns_subs_items(const sns_subs *s, size_t *n);
/* sns_load_topic for Publish: the document may be shared, read it only. */
int sns_load_topic_ro(call *c, const char *arn, const char *param, json_t **topic, sns_arn *a);
/* Drops Publish's cached views (after a store reset; commits that write subscriptions or
 * topics make them stale by themselves, through the store's generations). */
void sns_subs_changed(void);

/* Deletes a subscription, its owner index and (for confirmed HTTP/S ones) sends the
 * UnsubscribeConfirmation. */
int sns_delete_sub(call *c, const json_t *sub, int notify);

/* Mobile push (platform.c) and SMS (sms.c). */
int sns_op_create_platform_application(call *c, json_t *in, json_t **out);
int sns_op_delete_platform_application(call *c, json_t *in, json_t **out);
int sns_op_get_platform_application_attributes(call *c, json_t *in, json_t **out);
int sns_op_set_platform_application_attributes(call *c, json_t *in, json_t **out);
int sns_op_list_platform_applications(call *c, json_t *in, json_t **out);
int sns_op_create_platform_endpoint(call *c, json_t *in, json_t **out);
int sns_op_delete_endpoint(call *c, json_t *in, json_t **out);
int sns_op_get_endpoint_attributes(call *c, json_t *in, json_t **out);
int sns_op_set_endpoint_attributes(call *c, json_t *in, json_t **out);
int sns_op_list_endpoints_by_platform_application(call *c, json_t *in, json_t **out);
int sns_op_set_sms_attributes(call *c, json_t *in, json_t **out);
int sns_op_get_sms_attributes(call *c, json_t *in, json_t **out);
int sns_op_check_if_phone_number_is_opted_out(call *c, json_t *in, json_t **out);
int sns_op_list_phone_numbers_opted_out(call *c, json_t *in, json_t **out);
int sns_op_opt_in_phone_number(call *c, json_t *in, json_t **out);
int sns_op_create_sms_sandbox_phone_number(call *c, json_t *in, json_t **out);
int sns_op_verify_sms_sandbox_phone_number(call *c, json_t *in, json_t **out);
int sns_op_delete_sms_sandbox_phone_number(call *c, json_t *in, json_t **out);
int sns_op_list_sms_sandbox_phone_numbers(call *c, json_t *in, json_t **out);
int sns_op_get_sms_sandbox_account_status(call *c, json_t *in, json_t **out);
int sns_op_list_origination_numbers(call *c, json_t *in, json_t **out);
int sns_op_get_data_protection_policy(call *c, json_t *in, json_t **out);
int sns_op_put_data_protection_policy(call *c, json_t *in, json_t **out);

/* The documents of kind in account and c's region (ids starting with prefix; NULL: all),
 * each cb(array, key, doc) appends one item, paged by max into a new *out {key: [...],
 * token_key: ...} (a bad token is InvalidParameter). */
int sns_list_page(call *c, const char *kind, const char *account, const char *prefix,
                  store_list_cb cb, const char *token, long long max, const char *key,
                  const char *token_key, json_t **out);
/* Loads the endpoint arn names: 0 with *ep (caller decrefs), or -1 (InvalidParameter
 * naming param, NotFound). */
int sns_load_endpoint(call *c, const char *arn, const char *param, json_t **ep, sns_arn *a);
/* Publish to a push endpoint (TargetArn) or a phone number (PhoneNumber): recorded. */
int sns_publish_endpoint(call *c, json_t *in, json_t **out);
int sns_publish_sms(call *c, json_t *in, json_t **out);
/* A topic's message to its push ("application") or SMS subscription e: recorded when the
 * endpoint exists and is enabled, or the number has not opted out. */
int sns_record_fanout(call *c, const sns_sub_entry *e, const json_t *msg);
/* Records rec (taken) as a push or SMS delivery of account and region, in c's transaction. */
int sns_record_delivery(call *c, const char *account, const char *region, json_t *rec);
/* An E.164-ish number: optional '+', 5 to 15 digits. */
int sns_valid_phone(const char *ph);

#endif
