/* SNS's stored documents: the service owns their layout; the delivery engine
 * (src/engine/delivery*.c) reads subscriptions and works off messages through this header.
 *
 * Kinds (keyed by the topic owner's account and region), ids and documents:
 *   sns_sub (topic owner, region, "TOPIC:UUID")
 *     {"SubscriptionArn", "TopicArn", "Owner", "Protocol", "Endpoint", "Confirmed": bool,
 *      "Token", "Attributes": {"RawMessageDelivery", "FilterPolicy", "FilterPolicyScope",
 *      "RedrivePolicy", "DeliveryPolicy", ...}, "AuthenticateOnUnsubscribe": bool}
 *   sns_msg (topic owner, region, 20-digit sequence "-" 8 random hex digits): a message with
 *     deliveries pending
 *     {"Type": "Notification" | "SubscriptionConfirmation" | "UnsubscribeConfirmation",
 *      "MessageId", "TopicArn", "Message", "Subject"?, "MessageStructure"?,
 *      "MessageAttributes"? (as Publish decoded them), "Timestamp" (ISO 8601, ms),
 *      "SignatureVersion" ("1" | "2"), "Token"?, "MessageGroupId"?,
 *      "MessageDeduplicationId"?, "SequenceNumber"?,
 *      "Deliveries": ["SubscriptionArn" (not tried yet) | {"SubscriptionArn", "Attempts",
 *        "Stage" (1: to the dead-letter queue), "Due", "LastError", "Sub"? (a copy of the
 *        subscription, for an UnsubscribeConfirmation sent after it is gone)}]}
 *   One document per message keeps Publish to one write however many subscriptions
 *   match; it is deleted when its last delivery is done, and rewritten only when a
 *   delivery fails (to keep its retry state). */
#ifndef FERRY_SNS_DOCUMENTS_H
#define FERRY_SNS_DOCUMENTS_H

#define SNS_KIND_SUB "sns_sub"
#define SNS_KIND_MSG "sns_msg"

/* The policy SNS gives a new topic (JSON text, malloc'd; NULL when out of memory): the
 * owner's account may do everything with it. CloudFormation restores it when a
 * TopicPolicy lets go of a topic. */
char *sns_default_policy(const char *topic_arn, const char *owner);

#endif
