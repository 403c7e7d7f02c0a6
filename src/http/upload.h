/* A streamed request body (S3 PutObject, UploadPart) on its way into the blob store: the
 * aws-chunked framing undone, each chunk's signature and the payload's hash, Content-MD5 and
 * x-amz-checksum-* verified as the bytes pass, nothing held in memory but a write buffer. A
 * body that fails any check leaves nothing behind. */
#ifndef FERRY_UPLOAD_H
#define FERRY_UPLOAD_H
#include "auth/sigv4.h"
#include "http/hreq.h"
#include "store/blob.h"
#include "svc/svc.h"

typedef struct upload upload;

/* For the body of r (its headers say how it is framed and what it must hash to), sealed
 * with key when given. chain: the request's signature when its chunks are signed
 * (x-amz-content-sha256 STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]), else NULL. NULL with
 * e when the headers already refuse (a malformed Content-MD5 or checksum header, a framing
 * that needs a signature it lacks). Caller owns: upload_finish or upload_abort. */
upload *upload_new(blob_store *bs, const hreq *r, const blob_key *key, const sigv4_chain *chain,
                   ferr *e);
/* After a failure the upload can only be aborted. */
int upload_write(upload *u, const void *p, size_t n, ferr *e);
/* The body is over: every check, and the blob committed (durable, unreferenced) and
 * described in *out (strings in a). Frees u, also on failure (the blob is then gone). */
int upload_finish(upload *u, call_body *out, arena *a, ferr *e);
void upload_abort(upload *u); /* frees u; NULL is a no-op */

#endif
