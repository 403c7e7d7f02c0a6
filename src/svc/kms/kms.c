/* AWS Key Management Service (json 1.1). The operation table is generated from the model
 * (src/svc/svc.h); see kms_int.h for what lives where. */
#include "kms_int.h"

const svc_def svc_kms = {
    .name = "kms", .event_source = "kms.amazonaws.com", .reset = kms_keys_forget};
