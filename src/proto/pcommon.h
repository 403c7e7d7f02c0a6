/* Shared by the protocol codecs (not part of the public API): scalar conversion
 * between wire text and the internal JSON conventions, AWS-style validation
 * messages with their member paths, and small helpers. */
#ifndef FERRY_PROTO_PCOMMON_H
#define FERRY_PROTO_PCOMMON_H
#include <jansson.h>
#include <stddef.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"
#include "proto/model.h"

#define PROTO_MAX_DEPTH 64

/* Validation errors collected while decoding; AWS reports them all at once. */
typedef struct proto_vctx {
    const proto_service *svc;
    int n;
    buf msg;        /* "...; ..." */
    char path[512]; /* AWS member path, e.g. "tags.1.member.key" */
    size_t plen;
    int malformed; /* set with a protocol-level error (ferr) that wins over validation */
    int oom;       /* a decoded value could not be stored: the request fails (500) */
    int nul;       /* a value carried a NUL: answered with proto_bad_value_code */
} proto_vctx;

void proto_vctx_init(proto_vctx *v, const proto_service *svc);
void proto_vctx_dispose(proto_vctx *v);
/* Appends ".name" (first letter lowercased) / ".N.member"; returns the old length to pop to. */
size_t proto_path_member(proto_vctx *v, const char *name);
size_t proto_path_index(proto_vctx *v, size_t i1);
size_t proto_path_key(proto_vctx *v, const char *key);
static inline void proto_path_pop(proto_vctx *v, size_t old)
{
    v->plen = old;
    v->path[old] = 0;
}
/* "Value null at '<path>' failed to satisfy constraint: Member must not be null" */
void proto_verr_null(proto_vctx *v);
/* "Value '<val>' at '<path>' failed to satisfy constraint: <what>" (val NULL: "Value at") */
void proto_verr_value(proto_vctx *v, const char *val, size_t n, const char *what);
/* 1 after recording "Member must not contain null characters" at the current path when
 * s[0..n) holds a NUL, else 0. AWS counts a NUL as a character no constraint allows, while
 * every C string past the decoder would be cut at it (QueueName=bad%00name creating "bad"),
 * so no decoded string or key may carry one. */
int proto_vnul(proto_vctx *v, const char *s, size_t n);
/* Store a decoded value x (a new reference; NULL: nothing decoded, a no-op) in obj[k] /
 * arr; running out of memory sets v->oom instead of silently losing a member. */
void proto_vset(proto_vctx *v, json_t *obj, const char *k, json_t *x);
void proto_vappend(proto_vctx *v, json_t *arr, json_t *x);
/* x, a value just made; its NULL (out of memory) marks the decode failed. */
json_t *proto_vmade(proto_vctx *v, json_t *x);
/* Turns collected validation errors into e (code: proto_validation_code); out of memory
 * first. */
int proto_vctx_finish(proto_vctx *v, ferr *e);
/* The code svc answers a request that fails validation with (table in validate.c). */
const char *proto_validation_code(const proto_service *svc);
/* The code svc answers a value no constraint could allow (a NUL) with: SQS says
 * InvalidParameterValue, others their validation code (validate.c). */
const char *proto_bad_value_code(const proto_service *svc);

/* Wire text -> internal JSON for a scalar shape (string, numbers, boolean,
 * timestamp (any AWS format), blob (text is kept: callers base64 raw bytes)).
 * Returns a new reference, or NULL after recording a validation error. */
json_t *proto_scalar_parse(proto_vctx *v, const proto_shape *sh, const char *s, size_t n);

/* Internal JSON scalar -> wire text into b. tsfmt: how timestamps are written
 * (TS_ISO8601 / TS_RFC822 / TS_UNIX). Returns 0, or -1 when v doesn't fit. */
int proto_scalar_format(buf *b, const proto_shape *sh, const json_t *v, int tsfmt);
/* Epoch seconds from a number or any AWS timestamp string; -1 when unusable. */
int proto_ts_value(const json_t *v, double *t);
/* Number for epoch seconds: integer when whole, else real. */
json_t *proto_ts_json(double t);
void proto_fmt_double(double d, char out[40]);

/* A JSON string of s, invalid UTF-8 bytes replaced by '?' (error messages may echo input). */
json_t *proto_json_text(const char *s);
/* XML text escaping (&, <, >, ", ', and control characters as character refs). */
int proto_xml_escape(buf *b, const char *s, size_t n);

/* The next "k=v" pair of the query string s[0..n) from *i on, both URL-decoded (a missing
 * "=v" is ""); empty pairs are skipped. 1: a pair, 0: the end, -1: a bad escape. */
int proto_qs_next(arena *a, const char *s, size_t n, size_t *i, const char **k, size_t *klen,
                  const char **v, size_t *vlen, ferr *e);

/* The decoded value of the first parameter named name (compared whole) in the query string
 * q, in a; NULL when absent, malformed or carrying a NUL (for the URLs services serve
 * themselves, e.g. SNS's confirmation links). */
const char *proto_qs_param(arena *a, const char *q, const char *name);

const char *proto_member_wire_name(const proto_member *m); /* locationName or name */

/* The json protocols' name for a canonical (query) error code, and *status its status
 * there; code itself (status untouched) when both name it alike (errcodes.c). */
const char *proto_json_error_code(const char *code, int *status);

#endif
