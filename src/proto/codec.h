/* Wire protocols, model-driven: requests decode into one JSON document shaped by
 * the operation's input; handler results and errors encode in the service's own
 * protocol (query, json 1.0/1.1, rest-json, rest-xml).
 *
 * Internal JSON conventions (what handlers see and produce): structure -> object
 * keyed by model member names; list -> array; map -> object; string/enum ->
 * string; integer/long -> integer; boolean -> true/false; float/double -> real;
 * timestamp -> epoch seconds (integer, real when fractional; the encoder also
 * takes ISO-8601 strings); blob -> base64 string (REST payload blobs are
 * base64-encoded on decode and decoded on encode). Unknown input members are
 * ignored, as AWS does. */
#ifndef FERRY_PROTO_CODEC_H
#define FERRY_PROTO_CODEC_H
#include <jansson.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"
#include "http/hreq.h"
#include "proto/model.h"

#define PROTO_MAX_HEADERS 32

typedef struct proto_response {
    int status;
    buf body;                       /* owned by the caller: buf_dispose */
    const char *content_type;       /* static or arena-owned */
    hdr headers[PROTO_MAX_HEADERS]; /* arena-owned strings; content-type is not among them */
    size_t nheaders;
    /* A streamed body instead of body (blobs' bytes, call_stream_blobs in svc/svc.h): the
     * response's owner frees it (call_stream_free) unless it hands it on. */
    struct call_stream *stream;
    uint64_t stream_len;
} proto_response;

/* Initializes out (status 200, empty body). proto_encode* call it themselves. */
void proto_response_init(proto_response *out);

/* Which service a request is for: from the SigV4 scope service name (may be NULL
 * when unsigned), X-Amz-Target, Action= (query), or the REST path. Returns a
 * borrowed pointer, or NULL with e set (400 "UnknownService" / "InvalidAction"). */
const proto_service *proto_route(arena *a, const hreq *r, const char *scope_service, ferr *e);

/* r as svc addresses it, for proto_streams_input and proto_decode: S3's virtual-hosted
 * addressing, BUCKET.SUFFIX[:port]/key, is /BUCKET/key (SUFFIX: host_suffix, the
 * installation's own S3 host, "" for none; s3.localhost, localhost, s3.amazonaws.com).
 * The signature is always checked against r as sent. Returns r itself, an arena-owned
 * view, or NULL with e set (out of memory). */
const hreq *proto_request_view(arena *a, const proto_service *svc, const hreq *r,
                               const char *host_suffix, ferr *e);

/* 1 when r is for an operation of svc whose input payload is a streaming blob (S3
 * PutObject, UploadPart): its body is not decoded, the handler streams it (call_body_in). */
int proto_streams_input(arena *a, const proto_service *svc, const hreq *r);
/* The same for an operation already matched (NULL: 0). */
int proto_op_streams_input(const proto_service *svc, const proto_op *op);

/* Decodes the request into one JSON object shaped by the operation's input.
 * On success *op is set and *input is arena-owned (released at arena_free).
 * Errors: unknown op -> "InvalidAction" (query) / "UnknownOperationException"
 * (json, rest); a value of the wrong type -> "ValidationError" (query) or
 * "ValidationException" (json, rest) with AWS's wording (required members and the
 * other constraints are proto/validate.h's, checked for every call); malformed
 * body -> "SerializationException" (json), "MalformedQueryString" (query),
 * "MalformedXML" / "SerializationException" (rest). */
int proto_decode(arena *a, const proto_service *svc, const hreq *r, const proto_op **op,
                 json_t **input, ferr *e);

/* request_id goes in the body where the protocol puts it (query/XML) and in S3's
 * x-amz-request-id header; x-amzn-RequestId is left to the caller (gateway).
 *
 * Encodes a handler's result (NULL = empty) in the protocol's response shape.
 * Initializes out; the caller disposes out->body. Returns 0, or -1 when the
 * result cannot be encoded (out then holds an InternalFailure error response). */
int proto_encode(arena *a, const proto_service *svc, const proto_op *op, const json_t *output,
                 const char *request_id, proto_response *out);

/* Encodes e in the protocol's error shape with e->status. svc may be NULL
 * (unknown service): then the query XML ErrorResponse is used. Initializes out. */
void proto_encode_error(arena *a, const proto_service *svc, const ferr *e, const char *request_id,
                        proto_response *out);

/* What each codec (query.h, json.h, rest.h) defines for the three above:
 * proto_<p>_decode, proto_<p>_encode and proto_<p>_encode_error, alike in signature. */
#define PROTO_CODEC_DECLARE(p) \
    int proto_##p##_decode(arena *a, const proto_service *svc, const hreq *r, const proto_op **op, \
                           json_t **input, ferr *e); \
    int proto_##p##_encode(arena *a, const proto_service *svc, const proto_op *op, \
                           const json_t *output, const char *request_id, proto_response *out); \
    void proto_##p##_encode_error(arena *a, const proto_service *svc, const ferr *e, \
                                  const char *request_id, proto_response *out)

/* Enum check for handlers: 0 when value is in allowed (NULL-terminated), else -1
 * with "1 validation error detected: Value 'x' at 'member' failed to satisfy
 * constraint: Member must satisfy enum value set: [A, B]". member as AWS prints
 * it (e.g. "roleSessionName"). */
int proto_check_enum(const proto_service *svc, const char *member, const char *value,
                     const char *const *allowed, ferr *e);

/* Adds a response header (arena-owned copies). -1 when full or OOM. */
int proto_response_header(arena *a, proto_response *out, const char *name, const char *value);

#endif
