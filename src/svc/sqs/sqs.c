/* Amazon SQS. Both wire protocols clients use reach the handlers with the same JSON:
 * json 1.0 (current SDKs) and query (older ones such as Debian's botocore and awscli,
 * through the proto overlay of src/proto/overlays.c). The operation table is generated
 * from the model (src/svc/svc.h). */
#include "sqs_int.h"

const svc_def svc_sqs = {.name = "sqs", .event_source = "sqs.amazonaws.com"};
