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

typedef struct auditq auditq;
typedef struct waiters waiters;

/* Server-wide state every call can read. */
typedef struct ferry_env {
    store *st;
    auditq *audit;               /* group-committed audit records (engine/audit.h) */
    waiters *waits;              /* long polls waiting for svc_notify (engine/waiters.h) */
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
    const json_t *context; /* extra condition keys for authorization, e.g. {"aws:SourceArn":
                              "arn:aws:sns:..."} when a service calls on a topic's behalf */
    /* Long polls: a handler that has nothing yet sets wait_key and wait_until and returns
     * SVC_WAIT; it is run again (resumed=1) after svc_notify(wait_key) or, with final=1,
     * at wait_until. Its transaction is rolled back while it waits; nothing is audited. */
    const char *wait_key;
    double wait_until;
    int resumed, final;
    /* Set by authorization when the call reaches into another account's resource: AWS
     * records such calls in both accounts' trails. */
    const char *resource_account;
} call;

#define SVC_WAIT 1

typedef int (*svc_fn)(call *c, json_t *in, json_t **out);

enum {
    /* Read-only: runs in a read transaction, audited as ReadOnly. Derived, not hand-set:
     * an operation is read-only when its name starts with Get, List, Describe, Lookup,
     * Head, BatchGet, Simulate or Validate (CloudTrail's readOnly convention), unless
     * src/svc/<folder>/flags.list says otherwise ("GetSessionToken write"). */
    SVC_READ = 1,
};

/* One operation of a service's model. Handlers are named <folder>_op_<snake_case name>
 * (sqs_op_send_message in src/svc/sqs/) and are found by the build; fn is NULL for an
 * operation ferry does not implement (answered 501 NotImplemented). */
typedef struct svc_op {
    const char *name;
    svc_fn fn;
    unsigned flags;
} svc_op;

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
    void (*written)(void);    /* optional: called after each of its write operations commits */
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
    const char *resource;          /* ARN or "*" */
    const char *resource_account;  /* owner; NULL = from the ARN, else the caller's */
    const char *resource_policy;   /* policy JSON text, or NULL */
    const json_t *context;         /* extra condition keys {"sts:ExternalId": "x"} or NULL */
    const char *denied_code;       /* error code on refusal; NULL = "AccessDenied" */
    int resource_policy_required;  /* it must allow even in the caller's own account (trust) */
} authz_req;
int call_authorize_ex(call *c, const authz_req *r);

/* Runs a handler as the gateway does: in a transaction (read-only when the op says so),
 * committed on success, audited (inside the transaction when it writes). Returns 0, -1
 * (c->err set), or SVC_WAIT. *out is a new reference on success. */
int svc_exec(call *c, const svc_op *op, json_t *in, json_t **out);
/* Records c in the audit trail: inside t when given, else group-committed. */
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
 * is not called (no service that uses it is called this way yet). */
int svc_invoke_in(store_txn *t, arena *a, ferry_env *env, const principal *who,
                  const char *region, const char *service, const char *op, const json_t *in,
                  json_t **out, const json_t *context, ferr *e);

/* Wakes the long polls waiting on key (call after the change is committed). */
void svc_notify(ferry_env *env, const char *key);

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
