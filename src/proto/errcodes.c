/* The same failure has two names in AWS: the query-era protocols (query, ec2, rest-xml) say
 * AccessDenied, the json ones (json 1.0/1.1, rest-json) AccessDeniedException, often with
 * another status. ferry's gateway and services produce the query name (the canonical code);
 * the json error encoder words it the json way through this one table. */
#include <string.h>

#include "proto/pcommon.h"

static const struct {
    const char *code, *json;
    int json_status;
} names[] = {
    {"AccessDenied", "AccessDeniedException", 400},
    {"ExpiredToken", "ExpiredTokenException", 400},
    {"IncompleteSignature", "IncompleteSignatureException", 400},
    {"InvalidClientTokenId", "UnrecognizedClientException", 400},
    {"MissingAuthenticationToken", "MissingAuthenticationTokenException", 403},
    {"SignatureDoesNotMatch", "InvalidSignatureException", 400},
};

const char *proto_json_error_code(const char *code, int *status)
{
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(code, names[i].code)) continue;
        *status = names[i].json_status;
        return names[i].json;
    }
    return code;
}
