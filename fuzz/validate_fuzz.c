/* libFuzzer target: model constraint validation (proto/validate.c) over any JSON document,
 * types the codecs would have refused included. Input: "<signing name> <Operation>\n<json>". */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "proto/model.h"
#include "proto/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *nl = memchr(data, '\n', size);
    if (!nl || nl - (const char *)data > 200) return 0;
    char head[201], name[201] = "", op[201] = "";
    memcpy(head, data, (size_t)(nl - (const char *)data));
    head[nl - (const char *)data] = 0;
    if (sscanf(head, "%200s %200s", name, op) != 2) return 0;
    const proto_service *svc = proto_service_by_signing_name(name);
    const proto_op *o = svc ? proto_op_by_name(svc, op) : NULL;
    if (!o) return 0;
    json_error_t je;
    size_t rest = size - (size_t)(nl + 1 - (const char *)data);
    json_t *in = json_loadb(nl + 1, rest, JSON_ALLOW_NUL, &je);
    if (!in) return 0;
    ferr e = {0};
    proto_validate(svc, o, in, &e);
    json_decref(in);
    return 0;
}
