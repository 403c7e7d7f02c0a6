/* Trait overlays: the wire traits of a protocol a service used to speak, which its current
 * model no longer carries. SQS moved from awsquery to awsJson1_0 (awsQueryCompatible), and
 * clients built before that (Debian's botocore 1.29, awscli 2.9) still send it query forms
 * with the query-era names: flattened maps and lists with their own element names
 * (Attribute.N.Name, SendMessageBatchRequestEntry.N.Id, AttributeName.N), XML results
 * wrapped in <OpResult>, error codes like AWS.SimpleQueueService.NonExistentQueue.
 *
 * An overlay is data: per service, per structure member (optionally per operation) the
 * locationNames that differ, the result wrapper, the XML namespace and the error codes.
 * From it ferry derives a "query view" of the json model (protocol query, same operations
 * and members) that the query codec uses unchanged; handlers see the same JSON either way. */
#ifndef FERRY_PROTO_OVERLAY_H
#define FERRY_PROTO_OVERLAY_H
#include <stddef.h>

#include "proto/model.h"

/* Wire names for one structure member, wherever it appears (op NULL) or in one operation.
 * "%s" in item stands for the operation name. */
typedef struct proto_overlay_member {
    const char *op;     /* operation, or NULL: every operation */
    const char *member; /* structure member name in the model */
    const char *name;   /* the member's own locationName (a flattened map's entries), or NULL */
    const char *item;   /* list: the items' locationName, or NULL */
    const char *key;    /* map: entry key locationName, or NULL */
    const char *value;  /* map: entry value locationName, or NULL */
} proto_overlay_member;

/* A handler's error code (the json model's) and what the query protocol calls it. */
typedef struct proto_overlay_error {
    const char *code;
    const char *query_code;
    const char *query_message; /* the query wording when it differs, or NULL */
} proto_overlay_error;

typedef struct proto_overlay {
    const char *stem;           /* model stem, e.g. "sqs-2012-11-05" */
    const char *xml_namespace;  /* of the query responses */
    const char *result_wrapper; /* "%sResult": element wrapping each operation's result */
    /* A string member a query request may leave out and send as the request URL instead
     * (SQS: QueueUrl, when the form is POSTed to the queue's URL). NULL: none. */
    const char *url_member;
    /* json errors: __type is this namespace, '#', and the shape name, the fully qualified
     * name AWS sends ("com.amazonaws.sqs#QueueDoesNotExist") and current SDKs match */
    const char *json_type_prefix;
    const proto_overlay_member *members;
    size_t nmembers;
    const proto_overlay_error *errors;
    size_t nerrors;
} proto_overlay;

/* The overlay of svc (its json model or its query view), or NULL. */
const proto_overlay *proto_overlay_for(const proto_service *svc);

/* The query view of a json service with an overlay: built once (thread-safe), never freed.
 * NULL when svc has none (or on OOM). A view's protocol is PROTO_QUERY; its signing name,
 * operations and member names are svc's. */
const proto_service *proto_overlay_query_view(const proto_service *svc);

/* 1 when svc is a query view made by proto_overlay_query_view. */
int proto_overlay_is_view(const proto_service *svc);

/* The query protocol's code for a handler's error code (code itself when the overlay does
 * not rename it); *message gets the query wording when it differs, else NULL. */
const char *proto_overlay_query_code(const proto_service *svc, const char *code,
                                     const char **message);

/* Every overlay ferry knows (src/proto/overlays.c). */
extern const proto_overlay *const proto_overlays[];
extern const size_t proto_noverlays;

#endif
