/* Shared by the protocol fuzz targets: route, decode, validate (as svc/exec.c does before
 * a handler), re-encode the decoded input as output (a stress test for the encoders), and
 * encode any error. */
#ifndef FERRY_FUZZ_PROTO_H
#define FERRY_FUZZ_PROTO_H
#include "proto/codec.h"
#include "proto/validate.h"

static inline void fuzz_proto_roundtrip(arena *a, const hreq *r, const char *scope)
{
    ferr e = {0};
    proto_response out;
    const proto_service *svc = proto_route(a, r, scope, &e);
    if (svc) {
        const proto_op *op;
        json_t *input;
        if (proto_decode(a, svc, r, &op, &input, &e) == 0) {
            proto_validate(svc, op, input, &e);
            proto_encode(a, svc, op, input, "rid", &out);
            buf_dispose(&out.body);
        }
    }
    if (ferr_isset(&e)) {
        proto_encode_error(a, svc, &e, "rid", &out);
        buf_dispose(&out.body);
    }
}

#endif
