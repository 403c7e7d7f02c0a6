/* SNS subscription filter policies: parsed and validated with AWS's rules and wording,
 * compiled once, matched against a message's attributes or its JSON body.
 *
 * AWS: "A subscription accepts a message when each property name in the filter policy
 * matches [an attribute / a body property] and, for each, at least one property value
 * matches." Operators: exact string/number, prefix, suffix, equals-ignore-case,
 * anything-but (values, prefix, suffix), numeric (=, <, <=, >, >= and ranges), exists,
 * cidr, $or; nested keys in MessageBody scope. */
#ifndef FERRY_SNS_FILTER_H
#define FERRY_SNS_FILTER_H
#include <jansson.h>
#include <stddef.h>

#include "base/err.h"

typedef struct sns_filter sns_filter;

/* SNS_SCOPE_EVENT: EventBridge's event patterns, the same language (AWS's event ruler) over
 * an event's JSON as in MessageBody scope, plus "wildcard" (also inside anything-but),
 * without SNS's key and complexity limits, refused as InvalidEventPatternException with
 * EventBridge's wording (prefix "Event pattern is not valid. Reason: "). */
enum { SNS_SCOPE_ATTRIBUTES = 0, SNS_SCOPE_BODY = 1, SNS_SCOPE_EVENT = 2 };

#define SNS_FILTER_MAX_BYTES        (256 * 1024) /* AWS: "The maximum size of a filter policy is 256 KB" */
#define SNS_FILTER_MAX_KEYS         5
#define SNS_FILTER_MAX_COMBINATIONS 150

/* Parses and validates text[0..len) as a policy for scope. prefix starts the message as
 * the calling operation words it ("Invalid parameter: " from SetSubscriptionAttributes,
 * "Invalid parameter: Attributes Reason: " from Subscribe); the reason follows, e.g.
 * "FilterPolicy: Filter policy is too complex". Returns a filter the caller owns
 * (sns_filter_free), or NULL with e = InvalidParameter (400). */
sns_filter *sns_filter_parse(const char *text, size_t len, int scope, const char *prefix, ferr *e);
void sns_filter_free(sns_filter *f); /* NULL is a no-op */
int sns_filter_scope(const sns_filter *f);

/* 1 when the message passes. attrs: Publish's MessageAttributes as decoded
 * ({"name": {"DataType", "StringValue"|"BinaryValue"}}, NULL = none). body: the message
 * parsed as JSON (NULL when it is not JSON); only objects can match a body policy. */
int sns_filter_match(const sns_filter *f, const json_t *attrs, const json_t *body);

#endif
