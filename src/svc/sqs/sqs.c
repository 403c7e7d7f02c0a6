/* Amazon SQS: the operation table. Both wire protocols clients use reach these handlers
 * with the same JSON: json 1.0 (current SDKs) and query (older ones such as Debian's
 * botocore and awscli, through the proto overlay of src/proto/overlays.c). */
#include "sqs_int.h"

static const svc_op ops[] = {
    {"AddPermission", sqs_op_add_permission, 0},
    {"CancelMessageMoveTask", sqs_op_cancel_message_move_task, 0},
    {"ChangeMessageVisibility", sqs_op_change_message_visibility, 0},
    {"ChangeMessageVisibilityBatch", sqs_op_change_message_visibility_batch, 0},
    {"CreateQueue", sqs_op_create_queue, 0},
    {"DeleteMessage", sqs_op_delete_message, 0},
    {"DeleteMessageBatch", sqs_op_delete_message_batch, 0},
    {"DeleteQueue", sqs_op_delete_queue, 0},
    {"GetQueueAttributes", sqs_op_get_queue_attributes, SVC_READ},
    {"GetQueueUrl", sqs_op_get_queue_url, SVC_READ},
    {"ListDeadLetterSourceQueues", sqs_op_list_dead_letter_source_queues, SVC_READ},
    {"ListMessageMoveTasks", sqs_op_list_message_move_tasks, SVC_READ},
    {"ListQueueTags", sqs_op_list_queue_tags, SVC_READ},
    {"ListQueues", sqs_op_list_queues, SVC_READ},
    {"PurgeQueue", sqs_op_purge_queue, 0},
    {"ReceiveMessage", sqs_op_receive_message, 0},
    {"RemovePermission", sqs_op_remove_permission, 0},
    {"SendMessage", sqs_op_send_message, 0},
    {"SendMessageBatch", sqs_op_send_message_batch, 0},
    {"SetQueueAttributes", sqs_op_set_queue_attributes, 0},
    {"StartMessageMoveTask", sqs_op_start_message_move_task, 0},
    {"TagQueue", sqs_op_tag_queue, 0},
    {"UntagQueue", sqs_op_untag_queue, 0},
};

const svc_def svc_sqs = {"sqs", "sqs.amazonaws.com", ops, sizeof(ops) / sizeof(ops[0]), NULL, NULL};
