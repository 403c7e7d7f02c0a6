/* The trait overlays ferry applies (see overlay.h). Each table lists only what differs
 * between a service's json model and the query protocol its older clients speak, as the
 * query-era model (botocore's sqs 2012-11-05 service-2.json, protocol "query") named it. */
#include "proto/overlay.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* SQS, json 1.0 since 2023 (awsQueryCompatible); query before. */
static const proto_overlay_member sqs_members[] = {
    /* flattened maps: Attribute.N.Name / Attribute.N.Value, <Attribute><Name/><Value/> */
    {NULL, "Attributes", "Attribute", NULL, "Name", "Value"},
    {NULL, "MessageAttributes", "MessageAttribute", NULL, "Name", "Value"},
    {NULL, "MessageSystemAttributes", "MessageSystemAttribute", NULL, "Name", "Value"},
    {NULL, "tags", "Tag", NULL, "Key", "Value"},
    {NULL, "Tags", "Tag", NULL, "Key", "Value"},
    /* flattened lists: the items carry the singular name (AttributeName.N, <QueueUrl>) */
    {NULL, "AttributeNames", NULL, "AttributeName", NULL, NULL},
    {NULL, "MessageAttributeNames", NULL, "MessageAttributeName", NULL, NULL},
    {NULL, "MessageSystemAttributeNames", NULL, "MessageSystemAttributeName", NULL, NULL},
    {NULL, "StringListValues", NULL, "StringListValue", NULL, NULL},
    {NULL, "BinaryListValues", NULL, "BinaryListValue", NULL, NULL},
    {NULL, "AWSAccountIds", NULL, "AWSAccountId", NULL, NULL},
    {NULL, "Actions", NULL, "ActionName", NULL, NULL},
    {NULL, "TagKeys", NULL, "TagKey", NULL, NULL},
    {NULL, "QueueUrls", NULL, "QueueUrl", NULL, NULL},
    {NULL, "queueUrls", NULL, "QueueUrl", NULL, NULL},
    {NULL, "Messages", NULL, "Message", NULL, NULL},
    /* batches: SendMessageBatchRequestEntry.N.Id, <SendMessageBatchResultEntry> */
    {NULL, "Entries", NULL, "%sRequestEntry", NULL, NULL},
    {NULL, "Successful", NULL, "%sResultEntry", NULL, NULL},
    {NULL, "Failed", NULL, "BatchResultErrorEntry", NULL, NULL},
    {"ListMessageMoveTasks", "Results", NULL, "%sResultEntry", NULL, NULL},
};

static const proto_overlay_error sqs_errors[] = {
    {"QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue",
     "The specified queue does not exist for this wsdl version."},
    {"QueueNameExists", "QueueAlreadyExists", NULL},
    {"QueueDeletedRecently", "AWS.SimpleQueueService.QueueDeletedRecently", NULL},
    {"PurgeQueueInProgress", "AWS.SimpleQueueService.PurgeQueueInProgress", NULL},
    {"BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", NULL},
    {"BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong", NULL},
    {"EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest", NULL},
    {"InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId", NULL},
    {"TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", NULL},
    {"UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation", NULL},
    {"MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight", NULL},
    /* model validation (proto/validate.c) answers with the json model's code */
    {"ValidationException", "ValidationError", NULL},
};

static const proto_overlay sqs = {
    .stem = "sqs-2012-11-05",
    .xml_namespace = "http://queue.amazonaws.com/doc/2012-11-05/",
    .result_wrapper = "%sResult",
    .url_member = "QueueUrl",
    .json_type_prefix = "com.amazonaws.sqs#",
    .members = sqs_members,
    .nmembers = N(sqs_members),
    .errors = sqs_errors,
    .nerrors = N(sqs_errors),
};

const proto_overlay *const proto_overlays[] = {&sqs};
const size_t proto_noverlays = N(proto_overlays);
