/* The service layer: one folder per AWS service, one function per operation, JSON in and
 * JSON out inside one store transaction. Handlers never see the wire format (proto/ did
 * that) nor the signature (auth/ did that). */
#ifndef FERRY_SVC_H
#define FERRY_SVC_H
#include <jansson.h>

#include "auth/principal.h"
#include "base/arena.h"
#include "base/err.h"
#include "http/hreq.h"
#include "store/store.h"

/* Server-wide state every call can read. */
typedef struct ferry_env {
    store *st;
    int auth_open;               /* --auth open: any signature, account from the key id */
    char default_account[13];
    char endpoint[256];          /* how clients reach us, e.g. http://127.0.0.1:4566 */
    double started;              /* epoch seconds */
} ferry_env;

typedef struct call {
    arena *a;
    ferry_env *env;
    const char *request_id;
    const char *service;   /* signing name, e.g. "sts" */
    const char *op;        /* operation name, e.g. "GetCallerIdentity" */
    const char *account;   /* the caller's account */
    const char *region;
    const principal *who;
    store_txn *txn;
    const hreq *http;
    ferr *err;
    json_t *resources;     /* audit: [{"ResourceType","ResourceName"}], filled by handlers */
} call;

typedef int (*svc_fn)(call *c, json_t *in, json_t **out);

enum {
    SVC_READ = 1, /* read-only: runs in a read transaction, audited as ReadOnly */
};

typedef struct svc_op {
    const char *name;
    svc_fn fn;
    unsigned flags;
} svc_op;

typedef struct svc_def {
    const char *name;         /* SigV4 signing name and model endpoint prefix */
    const char *event_source; /* CloudTrail eventSource, e.g. "sts.amazonaws.com" */
    const svc_op *ops;        /* sorted by name */
    size_t nops;
} svc_def;

const svc_def *svc_find(const char *name);
const svc_op *svc_find_op(const svc_def *d, const char *op);

/* Authorization: every operation asks before acting. action like "sts:GetCallerIdentity",
 * resource an ARN or "*". Returns 0 or -1 with AccessDenied in c->err. */
int call_authorize(call *c, const char *action, const char *resource);

/* Records a resource touched by the call for the audit trail. */
void call_resource(call *c, const char *type, const char *name);

/* Small JSON helpers for handlers: borrowed strings, NULL when absent. */
const char *jstr(const json_t *o, const char *key);
long long jint(const json_t *o, const char *key, long long dflt);
int jbool(const json_t *o, const char *key, int dflt);
/* Sets key to a new string (copied); returns o for chaining. */
json_t *jset_str(json_t *o, const char *key, const char *v);

/* Store key helpers scoped to the call's account and region ("" for global kinds). */
store_key call_key(const call *c, const char *kind, const char *id);



/* Pagination over an already-filtered array: takes items [offset, offset+max) of `all`
 * into out[key], and sets out[token_key] when more remain. The token is opaque to clients;
 * a token that does not decode is bad_token_code (400, "Invalid NextToken"). */
int svc_page(call *c, json_t *all, const char *token, long long max, json_t *out,
             const char *key, const char *token_key, const char *bad_token_code);
#endif
