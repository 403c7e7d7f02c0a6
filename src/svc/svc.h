/* The service layer: one folder per AWS service, one function per operation, JSON in and
 * JSON out inside one store transaction. Handlers never see the wire format (proto/ did
 * that), the signature (auth/ did that) nor HTTP: what a handler may know of its caller
 * is in the call (caller, client, wait). Error codes are the canonical (query-protocol)
 * ones, e.g. AccessDenied; the json encoder words them the json way. */
#ifndef FERRY_SVC_H
#define FERRY_SVC_H
#include <jansson.h>
#include <stdint.h>

#include "auth/httpauth.h"
#include "auth/principal.h"
#include "base/arena.h"
#include "base/err.h"
#include "base/hdr.h"
#include "base/jval.h"
#include "store/blob.h"
#include "store/store.h"

typedef struct auditq auditq;
typedef struct waiters waiters;
typedef struct gencache gencache;

/* Server-wide state every call can read. */
typedef struct ferry_env {
    store *st;
    blob_store *blobs; /* object bytes (S3), beside st; NULL when the server keeps none */
    auditq *audit;     /* group-committed audit records (engine/audit.h) */
    waiters *waits;    /* long polls waiting for svc_notify (engine/waiters.h) */
    int auth_open;     /* --auth open: any signature, account from the key id */
    char default_account[13];
    char endpoint[256];   /* how clients reach us, e.g. http://127.0.0.1:4566 */
    char s3_host[128];    /* --s3-host: BUCKET.<this> is virtual-hosted S3 ("" none) */
    double started;       /* epoch seconds */
    const char *data_dir; /* the store's directory (files beside it: KMS's master key); NULL
                             when there is none */
    const char *dns;      /* --dns ADDR:PORT: where Route 53's DNS server answers (NULL:
                             nowhere) */
} ferry_env;

/* Who is on the other end of a call. Client calls come over HTTP (signed API calls, and the
 * unsigned URLs a service serves through its routes); internal calls come from ferry itself
 * (an engine, or a service calling another through svc_invoke). Some rules differ: internal
 * callers may set AWS-reserved tags and name a queue by its ARN, and cannot park. A call
 * built by hand is a client call unless it says otherwise. */
typedef enum caller_kind {
    CALLER_CLIENT = 0,
    CALLER_INTERNAL,
} caller_kind;

/* What a client call knows about its client (all NULL/0 for internal calls). */
typedef struct call_client {
    const char *source_ip;  /* "" when unknown */
    const char *host;       /* the Host the client reached us at, "" when not sent */
    const char *user_agent; /* NULL when not sent */
    int secure;             /* 1 over TLS */
} call_client;

/* A long poll between the runs of one request. The server keeps one per request and frees
 * it with the request, whatever happens; a handler reaches it as c->wait, which is NULL
 * when the caller cannot park (internal calls). */
/* A streamed request body, in the blob store (see call_body). */
typedef struct call_body {
    blob_info info;           /* id, size, MD5, SHA-256 (and CRCs) of the payload */
    const char *checksum_alg; /* CRC32, CRC32C, SHA1 or SHA256 when the client sent one */
    const char *checksum;     /* its value (base64), verified against the payload */
    const char *note;         /* what the handler left with call_body_want */
} call_body;

typedef struct call_wait {
    int resumed, final;  /* in: a re-run after svc_notify(key) / at wake_at (or shutdown) */
    double until;        /* the handler's own: its deadline, kept between runs (0 at first) */
    char request_id[37]; /* the request's id, the same in every run ("" until the first) */
    char own[64];        /* the handler's own, kept between runs ("" at first): e.g. the id
                           of the work it waits for */
    const char *key;     /* out (call_park): what to wait for, in the request's arena */
    double wake_at;      /* out (call_park): run again with final=1 at the latest then */
    uint64_t seq;        /* out: waiters_seq() read before the handler looked */
    /* Streamed bodies (call_body): what the handler asked for and what the server then read. */
    int body_wanted;       /* out: the handler asked for the body */
    int body_sealed;       /* out: ... sealed with body_key */
    blob_key body_key;     /* out */
    const char *body_note; /* out, in the request's arena */
    const call_body *body; /* in: the body, in the blob store (the request's arena) */
    ferr body_err;         /* in: why reading the body failed (then body is NULL) */
    int body_failed;       /* in */
    int body_pending;      /* in: the body streams and is not read yet (a run from headers) */
} call_wait;

typedef struct call {
    arena *a;
    ferry_env *env;
    const char *request_id;
    const char *service; /* signing name, e.g. "sts" */
    const char *op;      /* operation name, e.g. "GetCallerIdentity" */
    const char *account; /* the caller's account */
    const char *region;
    const principal *who;
    store_txn *txn;
    caller_kind caller;
    call_client client; /* caller == CALLER_CLIENT */
    ferr *err;
    const char *resources;      /* audit: [{"ResourceType","ResourceName"}] as JSON text, in the
                              arena (call_resource) */
    const char *resource_names; /* the same as audit_rec's resource_names, in the arena */
    size_t resource_names_len;
    const json_t *context; /* extra condition keys for authorization, e.g. {"aws:SourceArn":
                              "arn:aws:sns:..."} when a service calls on a topic's behalf */
    call_wait *wait;       /* long polls (call_park); NULL: the caller cannot park */
    /* An internal entry point's argument for its own handler (svc_invoke_fn); NULL for
     * every call made by operation name. Only that handler reads it. */
    const void *arg;
    /* Set by authorization when the call reaches into another account's resource: AWS
     * records such calls in both accounts' trails. */
    const char *resource_account;
    /* Set by helpers that return nothing (call_resource) when they ran out of memory: the
     * operation fails with InternalFailure even if its handler succeeded. */
    int oom;
    /* call_fetch: what the handler asked for (the next run gets it), and what was fetched
     * for this call (fetch.c, in the arena). */
    const char *fetch_url;
    size_t fetch_max;
    struct call_fetched *fetched;
    struct call_stream *stream; /* call_stream_blobs: the output payload */
    int status;                 /* a success status other than the operation's (S3's 206, 304) */
    int want_write;             /* call_want_write: run again in a write transaction */
    /* Set by authorization when it refuses: why (svc/authzwhy.h), the trail's
     * additionalEventData as JSON text in the arena, recorded while the call's error is a
     * refusal (403); decision_shared: the resource owner's copy of the event shows it too. */
    const char *decision;
    int decision_shared;
} call;
typedef struct call_fetched call_fetched;

/* What a handler may know of its client, whatever carried the call: the client's address
 * ("" for calls made inside ferry) and the base URL it reached ferry at (scheme and Host as
 * sent; ferry's own endpoint for internal calls or when no Host was sent). Handlers, the
 * trail and authorization ask these, never c->client: internal calls carry no client. */
const char *call_source_ip(const call *c);
const char *call_base_url(call *c);
/* The client's User-Agent: NULL when not sent, and for calls made inside ferry. */
const char *call_user_agent(const call *c);
/* 1 when the client called over TLS (aws:SecureTransport); 0 for calls made inside ferry. */
int call_secure(const call *c);

/* Long polls: a handler with nothing to answer yet (and c->wait set) returns
 * call_park(c, key, wake_at). Its transaction is rolled back and nothing is audited; it is
 * run again with c->wait->resumed after svc_notify(key), or with c->wait->final at wake_at.
 * Returns SVC_WAIT, or -1 (c->err) when the caller cannot park or on OOM. */
#define SVC_WAIT 1
int call_park(call *c, const char *key, double wake_at);

/* A read-only operation that finds it must write after all (Lambda's Invoke of type Event
 * records the event) returns call_want_write(c) when store_txn_is_write(c->txn) is 0: the
 * read transaction is rolled back and the call runs again in a write transaction, audited
 * as a write. Inside another call's read transaction (svc_invoke_in) it fails. -1. */
int call_want_write(call *c);

/* Network I/O never runs under the store's write lock (it would stall every writer of
 * every account). A handler that needs url's body (at most max bytes, http(s) only) calls
 * call_fetch where it needs it, after its own checks and authorization. The first time it
 * returns -1 with c->err set, and the handler fails as it would for any error; svc_exec
 * then rolls the transaction back, fetches with no transaction open, and runs the call
 * again, when call_fetch answers 0 (*body, NUL-terminated, and *len in the call's arena)
 * or 1 (the fetch failed: not http(s), unreachable, not 200, too large, too slow; the
 * handler words the error as its service does). Inside another call's transaction
 * (svc_invoke_in) the -1 stands. */
int call_fetch(call *c, const char *url, size_t max, const char **body, size_t *len);
/* The URL call_fetch reads an S3 object from, as the caller (Lambda's S3Bucket/S3Key code,
 * CodeCommit's first commit): version NULL for the latest. Arena; NULL out of memory. */
const char *call_s3_url(call *c, const char *bucket, const char *key, const char *version);

/* Streamed request bodies (S3 PutObject, UploadPart: operations whose input payload is a
 * streaming blob). Their handler first runs before the server has read any of the body:
 * call_body_in answers NULL, and after its own checks and authorization the handler returns
 * call_body_want, like call_fetch: the transaction is rolled back, the server streams the
 * body into the blob store (sealed with key unless NULL; its signature, hashes and checksums
 * verified on the way) and runs the call again, when call_body_in answers the body (with the
 * note the handler left, e.g. its wrapped data key: a second run must not make another). The
 * handler names the blob's id in its documents; if the call then fails, the blob is deleted.
 * Internal callers cannot stream: call_body_want fails with InternalFailure for them. */
#define SVC_BODY 2
const call_body *call_body_in(const call *c);
int call_body_want(call *c, const blob_key *key, const char *note);
/* The operation's output payload is bytes [off, off + len) of the concatenation of blobs
 * (one, or an object's multipart parts), each opened with its key (sealed: 0 for plaintext).
 * The first is opened now, inside the handler's transaction, and the bytes are streamed once
 * the handler is done. 0, or -1 with c->err (a blob is gone: InternalFailure). */
typedef struct call_segment {
    const char *id;
    uint64_t off; /* where the segment's bytes begin in the blob */
    uint64_t size;
    int sealed;
    blob_key key;
} call_segment;
typedef struct call_stream call_stream;
int call_stream_blobs(call *c, const call_segment *segs, size_t n, uint64_t off, uint64_t len);
/* For the server: the next bytes of s (*got 0 at its end), its length, and its end. */
int call_stream_read(call_stream *s, void *p, size_t n, size_t *got, ferr *e);
uint64_t call_stream_len(const call_stream *s);
void call_stream_free(call_stream *s); /* NULL is a no-op */
/* The gateway takes c's stream for the server, which frees it when the response is done. */
call_stream *call_stream_take(call *c);

typedef int (*svc_fn)(call *c, json_t *in, json_t **out);

enum {
    /* Read-only: runs in a read transaction, audited as ReadOnly. Derived, not hand-set:
     * an operation is read-only when its name starts with Get, List, Describe, Lookup,
     * Head, BatchGet, Simulate or Validate (CloudTrail's readOnly convention), unless
     * src/svc/<folder>/flags.list says otherwise ("GetSessionToken write"). */
    SVC_READ = 1,
    /* Served without a signature (AWS: the model's authtype "none", e.g. STS's
     * AssumeRoleWithWebIdentity, whose token is the credential): from flags.list
     * ("<Operation> unsigned"). An unsigned request runs with c->who NULL. */
    SVC_UNSIGNED = 2,
    /* Reads the audit trail (flags.list "<Operation> trail"): the reads' events still
     * queued for it are committed before it begins, so it sees every call before it. */
    SVC_TRAIL = 4,
};

/* One operation of a service's model. Handlers are named <folder>_op_<snake_case name>
 * (sqs_op_send_message in src/svc/sqs/) and are found by the build; fn is NULL for an
 * operation ferry does not implement (answered 501 NotImplemented). */
typedef struct svc_op {
    const char *name;
    svc_fn fn;
    unsigned flags;
} svc_op;

/* URLs a service serves itself, outside the signed API: SNS's SubscribeURL and
 * UnsubscribeURL links today; S3 presigned URLs, API Gateway stages and Lambda function URLs
 * to come. A service lists them as routes in its svc_def; the gateway tries every service's
 * routes (registry order) before the API path. A route handler sees this view of the
 * request, not the HTTP layer's. */
typedef struct proto_response proto_response;

typedef struct svc_request {
    const char *method;
    const char *host;       /* Host as sent, "" when none */
    const char *path;       /* percent-encoded as sent, starts with '/' */
    const char *query;      /* raw, after '?', "" when none */
    const char *rest;       /* set by the match: path after the route's path_prefix */
    const char *host_label; /* set by the match: for host routes, the host before
                               host_suffix ("BUCKET" of BUCKET.s3.localhost:4566), else NULL */
    const unsigned char *body;
    size_t body_len;
    call_client client;
    /* First header with that lowercase name, or NULL. */
    const char *(*header)(const struct svc_request *r, const char *lname);
    const void *impl; /* the gateway's, for header */
    /* Every header as received (names lowercased), for routes that pass them on (API
     * Gateway's proxy events); NULL/0 when the gateway gives none. */
    const hdr *headers;
    size_t nheaders;
    /* Who signed r with SigV4 (any service in its scope, e.g. execute-api): 0 and *who, 1
     * when r carries no signature, -1 with e when it is refused. NULL: cannot tell. */
    int (*signer)(const struct svc_request *r, principal *who, ferr *e);
    /* The credentials of its Authorization header, parsed by the server (auth/httpauth.h),
     * for routes that check their own (Basic, a bearer token): never the header itself. */
    http_creds creds;
} svc_request;

/* A route's client address, "" when unknown. */
const char *svc_request_source_ip(const svc_request *r);
/* A route's client User-Agent, NULL when not sent. */
const char *svc_request_user_agent(const svc_request *r);

/* The call a route runs an operation as for its client: caller CALLER_CLIENT with the
 * route's client, in who's account. The route sets what else it needs (txn, account) on the
 * result. Routes make their calls here, never from the request's client themselves. */
call svc_route_call(const svc_request *r, arena *a, ferry_env *env, const char *request_id,
                    const char *service, const char *op, const principal *who, const char *region,
                    ferr *e);
/* c's client as a request made from c would carry it (API Gateway's TestInvokeMethod): c's
 * own when a client called, none for calls made inside ferry. */
call_client call_client_of(const call *c);

/* Returns 1 when it answered (resp initialized and filled; the caller disposes its body),
 * or 0 to decline: the request goes on to the API path (e.g. an S3 request that is signed,
 * not presigned). */
typedef int (*svc_route_fn)(ferry_env *env, arena *a, const svc_request *r, proto_response *resp);

typedef struct svc_route {
    const char *methods;     /* space-separated, e.g. "GET HEAD"; NULL: any. Others get 405 */
    const char *host_suffix; /* ".s3.localhost": LABEL.s3.localhost[:port] only; NULL: any host */
    const char *path_prefix; /* "/_ferry/sns/"; NULL: any path */
    svc_route_fn fn;
} svc_route;

/* 1 when r's host and path fall under rt (r->rest and r->host_label set, in a), else 0. */
int svc_route_match(const svc_route *rt, arena *a, svc_request *r);
/* Tries every service's routes: 1 when one answered r (or refused its method with 405),
 * 0 when none did. */
int svc_route_dispatch(ferry_env *env, arena *a, svc_request *r, proto_response *resp);

/* AWS's own cap on one operation's request body (Lambda's code uploads: 70,167,211 bytes),
 * which replaces the server's --max-body for it. Beyond it the server answers 413
 * RequestEntityTooLargeException "Request must be smaller than N bytes for the OP
 * operation" from the headers, in the service's protocol (gateway_body). Matched from the
 * headers alone: rest-json and rest-xml operations. */
typedef struct svc_body_limit {
    const char *op;
    size_t bytes;
} svc_body_limit;

/* What a service folder defines about itself: `const svc_def svc_<folder>`. Its operations
 * come from the model (svc_table). */
typedef struct svc_def {
    const char *name;         /* SigV4 signing name and model endpoint prefix */
    const char *event_source; /* CloudTrail eventSource, e.g. "sts.amazonaws.com" */
    void (*reset)(void);      /* optional: drop in-memory caches after the store is emptied */
    /* optional: runs inside the transaction after each of its write operations succeeded,
     * before the operation is audited and committed (IAM moves its generation here);
     * -1 with c->err set fails the operation. */
    int (*before_commit)(call *c);
    void (*written)(void); /* optional: called after each of its write operations commits */
    /* optional: before each handler, the service's own condition keys taken from the input
     * (S3's s3:x-amz-server-side-encryption, s3:prefix...) added to c->context, so that every
     * authorization of the call sees them; -1 with c->err fails the call (OOM). */
    int (*condition_keys)(call *c, const json_t *in);
    const svc_route *routes; /* optional: URLs it serves outside the signed API */
    size_t nroutes;
    /* optional: 1 when a request for one of its routes carries credentials the service
     * accepts, checked from the headers alone (before the body is read). The server then
     * takes a body of unknown length (chunked) for it, as it does for a signed request:
     * git sends its larger pushes so. */
    int (*route_preauth)(ferry_env *env, arena *a, const svc_request *r);
    const svc_body_limit *body_limits; /* optional: see svc_body_limit */
    size_t nbody_limits;
} svc_def;

/* Generated at build time (build/gen/svc_ops.c) from src/proto/services.list: one entry
 * per `<model stem> <folder>` line, with every operation of the model sorted by name. */
typedef struct svc_table {
    const svc_def *def;
    const char *model; /* the model's stem, e.g. "sqs-2012-11-05" */
    const svc_op *ops;
    size_t nops;
} svc_table;
extern const svc_table svc_tables[];
extern const size_t svc_ntables;

const svc_def *svc_find(const char *name);
/* The service implementing the model stem ("apigatewayv2-2018-11-29"), or NULL: how the
 * gateway tells apart two services signing with one name (apigateway). */
const svc_def *svc_find_model(const char *stem);
/* Calls every service's reset hook (POST /_ferry/reset, after store_reset). */
void svc_reset_all(void);
/* The implemented operation op of d, or NULL (not in the model, or no handler). */
const svc_op *svc_find_op(const svc_def *d, const char *op);
/* Runs op's handler and, when a write succeeded, the before_commit hook of c->service,
 * in c->txn. Returns what the handler returns (0, -1, SVC_WAIT). */
int svc_run(call *c, const svc_op *op, json_t *in, json_t **out);

/* Authorization: every operation asks before acting. action like "sts:GetCallerIdentity",
 * resource an ARN or "*" (the resource's account is the caller's unless the ARN says
 * otherwise). Returns 0 or -1 with AccessDenied in c->err. */
int call_authorize(call *c, const char *action, const char *resource);

/* The full form, for resources that carry a policy (queue, topic, role trust, key...).
 * Across accounts both the caller's identity policies and resource_policy must allow. */
typedef struct authz_req {
    const char *action;
    const char *resource;         /* ARN or "*" */
    const char *resource_account; /* owner; NULL = from the ARN, else the caller's */
    const char *resource_policy;  /* policy JSON text, or NULL */
    const json_t *context;        /* extra condition keys {"sts:ExternalId": "x"} or NULL */
    const char *denied_code;      /* error code on refusal; NULL = "AccessDenied" */
    const char *denied_prefix;    /* put before the refusal's message (EC2's "You are not
                                     authorized to perform this operation. "); NULL: none */
    int resource_policy_required; /* it must allow even in the caller's own account (trust) */
    int granted; /* a KMS grant allows it: allowed unless a policy explicitly denies (AWS) */
    const char *federated; /* the identity provider ARN a web identity came through: with
                              c->who NULL, only a resource policy naming it may allow */
    int rcp_exempt;        /* RCPs never apply to the resource (AWS: KMS's AWS managed keys) */
    /* the refusal ends with an encoded authorization failure message, which
     * sts:DecodeAuthorizationMessage opens (EC2; svc/authzmsg.h) */
    int encoded;
} authz_req;
int call_authorize_ex(call *c, const authz_req *r);

/* Runs a handler as the gateway does: in a transaction (read-only when the op says so),
 * committed on success, audited (inside the transaction when it writes). Returns 0, -1
 * (c->err set), or SVC_WAIT. *out is a new reference on success. */
int svc_exec(call *c, const svc_op *op, json_t *in, json_t **out);
/* Records c in the audit trail: inside t when given, else group-committed (queued without
 * waiting when c still holds a transaction: the writer would wait for its lock). */
void svc_audit(const call *c, store_txn *t, int read_only, int status);

/* Internal call path for engines and cross-service calls: runs service:op as who (e.g. a
 * role session, or a PRIN_SERVICE principal "sns.amazonaws.com"), authorized and audited
 * like a client call, with extra condition keys in context. *out is a new reference. */
int svc_invoke(ferry_env *env, const principal *who, const char *region, const char *service,
               const char *op, const json_t *in, json_t **out, const json_t *context, ferr *e);
/* As svc_invoke, inside the caller's write transaction t, so that many calls share one
 * commit: the operation runs under a savepoint (a failure undoes only its own writes) and
 * its audit record, refusals included, joins t. Work the handler defers (long-poll wakes)
 * is registered on a: the caller frees a after t is committed. The service's written hook
 * is not called (no service that uses it is called this way yet). t may also be a read
 * transaction when op is read-only (a read that needs another service's read). */
int svc_invoke_in(store_txn *t, arena *a, ferry_env *env, const principal *who, const char *region,
                  const char *service, const char *op, const json_t *in, json_t **out,
                  const json_t *context, ferr *e);

/* As svc_invoke, for a service's internal entry point: runs op, a handler the service keeps
 * out of its table (op->name is the operation it runs as, for the trail), with c->arg = arg.
 * This is how an engine passes what no client input can reach, e.g. a nested stack's
 * parent (cfn_create_nested_stack). */
int svc_invoke_fn(ferry_env *env, const principal *who, const char *region, const char *service,
                  const svc_op *op, const void *arg, const json_t *in, json_t **out, ferr *e);
/* As svc_invoke_fn, inside the caller's transaction t as svc_invoke_in runs (a: the
 * caller's arena, freed after t is committed), with extra condition keys in context. t and
 * a NULL: in a transaction of its own, as svc_invoke_fn. */
int svc_invoke_fn_in(store_txn *t, arena *a, ferry_env *env, const principal *who,
                     const char *region, const char *service, const svc_op *op, const void *arg,
                     const json_t *in, json_t **out, const json_t *context, ferr *e);

/* Wakes the long polls waiting on key (call after the change is committed). */
void svc_notify(ferry_env *env, const char *key);

/* A handler's result, *out = svc_out(c, json_pack(...)): v, or NULL with c->oom set, so
 * that running out of memory fails the call instead of answering an empty result. */
json_t *svc_out(call *c, json_t *v);

/* Records a resource touched by the call for the audit trail (out of memory: sets c->oom). */
void call_resource(call *c, const char *type, const char *name);

/* Store key helpers scoped to the call's account and region ("" for global kinds). */
store_key call_key(const call *c, const char *kind, const char *id);
/* The document kind/id of the caller's account and region: 1 (*doc, the call's arena
 * owns it), 0 absent (*doc NULL), -1 with c->err. */
int call_doc_get(call *c, const char *kind, const char *id, json_t **doc);
/* The documents of kind in the caller's account and region whose ids start with prefix
 * (NULL: all), in id order: an array the call's arena owns, or NULL with c->err. */
json_t *call_doc_list(call *c, const char *kind, const char *prefix);
/* The same in account and region (NULL: every one). */
json_t *call_doc_list_in(call *c, const char *kind, const char *account, const char *region,
                         const char *prefix);

/* The document k as store_get reads it, shared read-only between calls while the
 * generation of its kind holds for c's transaction (store_txn_generation): one parse for
 * many calls. cache holds json_t documents (its val_free releases them); NULL: not shared,
 * the call owns *doc. 1 (*doc, held until the call ends: never change a shared one), 0
 * absent, -1 with c->err. */
int call_doc_shared(call *c, gencache *cache, const store_key *k, json_t **doc);
/* A cache of shared documents: static gencache_static x = SVC_DOC_CACHE(max). */
void svc_doc_free(void *doc);
#define SVC_DOC_CACHE(max) GENCACHE_STATIC(max, svc_doc_free)
/* The same in transaction t for code without a call (a service route): held until a ends. */
int svc_doc_shared(store_txn *t, arena *a, gencache *cache, const store_key *k, json_t **doc,
                   ferr *e);

/* Writes the document kind/id of the caller's account and region. 0, or -1 with c->err. */
int call_doc_put(call *c, const char *kind, const char *id, const json_t *doc);

/* "arn:PARTITION:service:REGION:ACCOUNT:resource" of the caller's account and region, in the
 * arena (NULL: out of memory). */
const char *call_arn(call *c, const char *service, const char *resource);
/* The part of arn after "...:kind/" when arn is one of service's ARNs of that kind in the
 * caller's account and region (call_arn(c, service, kind) + "/"), else NULL. */
const char *call_arn_rest(call *c, const char *service, const char *arn, const char *kind);
/* Authorizes "prefix:<the operation's name>" on arn (NULL: "*"): call_authorize's result. */
int call_authorize_op(call *c, const char *prefix, const char *arn);

/* Pagination over an already-filtered array: takes items [offset, offset+max) of `all`
 * into out[key], and sets out[token_key] when more remain. The token is opaque to clients;
 * a token that does not decode is bad_token_code (400, "Invalid NextToken"). */
int svc_page(call *c, json_t *all, const char *token, long long max, json_t *out, const char *key,
             const char *token_key, const char *bad_token_code);
#endif
