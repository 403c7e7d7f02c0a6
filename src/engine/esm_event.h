/* The event an SQS event source mapping hands its function, and what the function answers
 * (engine/esm.c). Pure: JSON in, JSON out. */
#ifndef FERRY_ESM_EVENT_H
#define FERRY_ESM_EVENT_H
#include <jansson.h>
#include <stddef.h>

/* One Records[] item of AWS's SQS event for msg, a message as ReceiveMessage answers it
 * ({MessageId, ReceiptHandle, Body, MD5OfBody, Attributes, MessageAttributes,
 * MD5OfMessageAttributes}): messageId, receiptHandle, body, attributes, messageAttributes
 * ({name: {stringValue|binaryValue, stringListValues, binaryListValues, dataType}}),
 * md5OfBody, [md5OfMessageAttributes,] eventSource "aws:sqs", eventSourceARN, awsRegion.
 * A new reference, or NULL (out of memory). */
json_t *esm_event_record(const json_t *msg, const char *queue_arn, const char *region);

/* What a filter pattern is matched against for record: the record with its body parsed
 * when it is JSON (AWS: "body" patterns address the JSON body's properties). New reference,
 * or NULL (out of memory). */
json_t *esm_filter_view(const json_t *record);

/* ReportBatchItemFailures: which of the n records (their messageIds in ids) the function's
 * response payload[0..len) reports failed, as AWS reads it: no payload, not JSON, no or an
 * empty batchItemFailures list: none failed (failed[] all 0, returns 0); an item whose
 * itemIdentifier is missing, empty or names no record of the batch: the whole batch failed
 * (returns -1). Else marks failed[i] and returns how many. */
int esm_batch_failures(const char *payload, size_t len, const char *const *ids, size_t n,
                       unsigned char *failed);

#endif
