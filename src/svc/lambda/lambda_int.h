/* What the lambda service's files share (lambda.c: names, ARNs, documents, code, rendering;
 * functions.c: functions and tags; versions.c: versions and aliases; policy.c: resource
 * policies; invoke.c: Invoke, concurrency, account settings).
 *
 * Storage: one document per function, kind "lambda.function", id its name:
 *   {"Latest": config, "Versions": {"1": config, ...}, "NextVersion": n,
 *    "Aliases": {name: AliasConfiguration}, "Tags": {k: v},
 *    "Policies": {"": policy, qualifier: policy}, "Concurrency": n (absent: unreserved)}
 * A config is the FunctionConfiguration AWS answers, plus private members the model does
 * not name (so the encoder never sends them): "_Blob" (the package's blob id), "_Sha"
 * (hex SHA-256 of the package, naming its unzipped tree), "_Unzipped" (its size
 * unzipped; Layers items carry the three of their layer version's), "_ReadyAt" (epoch seconds at
 * which a Pending state or an InProgress update settles). */
#ifndef FERRY_SVC_LAMBDA_INT_H
#define FERRY_SVC_LAMBDA_INT_H
#include <jansson.h>

#include "documents.h"
#include "svc/svc.h"

#define LAMBDA_FN_KIND      LAMBDA_FUNCTION_KIND
#define LAMBDA_LAYER_KIND   "lambda.layer"
#define LAMBDA_UNZIPPED_MAX 262144000ULL  /* AWS: 250 MB unzipped, layers included */
#define LAMBDA_ZIPPED_MAX   52428800ULL   /* AWS: 50 MB zipped, direct upload */
#define LAMBDA_CODE_STORAGE 80530636800LL /* AWS: 75 GB of packages per region */

/* The account's concurrency limit: AWS's default 1000, or FERRY_LAMBDA_CONCURRENCY (a seam
 * lowering it, so that a test can exhaust the unreserved pool). */
int lambda_account_concurrency(void);
/* What PutFunctionConcurrency must leave unreserved: AWS's 100 of 1000, a tenth of a
 * lowered limit. */
int lambda_unreserved_min(void);
/* The account's unreserved concurrency in the caller's region: its limit less every
 * function's reservation (cached for a second; lambda_reserved_forget after writes). */
int lambda_unreserved_pool(call *c, int *pool);
void lambda_reserved_forget(void);

/* A FunctionName as clients give it (name, partial ARN ACCOUNT:function:NAME, or ARN, each
 * optionally with :QUALIFIER) and an optional Qualifier parameter, resolved. */
typedef struct lambda_ref {
    const char *account, *name;
    const char *qualifier; /* NULL: unqualified ($LATEST) */
} lambda_ref;

int lambda_ref_parse(call *c, const char *function_name, const char *qualifier, lambda_ref *r);
const char *lambda_fn_arn(call *c, const char *account, const char *name);
/* Loads the function: 1 (*doc borrowed from the arena), 0 absent (ResourceNotFoundException
 * set in c->err, naming the function as AWS does), -1 error. */
int lambda_load(call *c, const lambda_ref *r, json_t **doc);
int lambda_save(call *c, const char *name, json_t *doc);
/* The config a qualifier names: "$LATEST"/NULL, a version, or an alias (its primary
 * version). NULL with ResourceNotFoundException. *alias set when an alias was named. */
json_t *lambda_config(call *c, json_t *doc, const lambda_ref *r, json_t **alias);
/* A copy of config as AWS answers it now (Pending/InProgress settled when due). */
json_t *lambda_render(call *c, const json_t *config);
/* Seconds a Pending/InProgress state (and an event source mapping's transition) lasts:
 * FERRY_LAMBDA_SETTLE_SECONDS, 0 by default. */
double lambda_settle_seconds(void);
/* config's State as lambda_render would answer it, without a copy. */
const char *lambda_state(const json_t *config);
/* Settles config in place (State/LastUpdateStatus, when due). */
void lambda_settle(json_t *config);
/* 1 while an update of config is in progress (ResourceConflictException set), else 0. */
int lambda_busy(call *c, const json_t *config);
/* Marks config as just changed: new RevisionId and LastModified, and (update) an update in
 * progress for the settle time. */
int lambda_touch(call *c, json_t *config, int update);

/* The function fn (and qualifier) names, authorized for action on the ARN as addressed (*res,
 * qualified when a qualifier was given, in the arena). 0, or -1 with c->err (a caller not
 * allowed the action is refused whether or not the function exists, else
 * ResourceNotFoundException). */
int lambda_open(call *c, const char *fn, const char *qualifier, const char *action, lambda_ref *r,
                json_t **doc, const char **res);
/* As lambda_open, with the document shared between calls (call_doc_shared): never change
 * *doc or what it holds. */
int lambda_open_shared(call *c, const char *fn, const char *qualifier, const char *action,
                       lambda_ref *r, json_t **doc, const char **res);
/* As lambda_open for in's FunctionName, which must not name a qualifier. */
int lambda_open_unqualified(call *c, const json_t *in, const char *action, lambda_ref *r,
                            json_t **doc, const char **arn);

/* Authorizes action on resource (an ARN of the function, qualified or not) with the
 * function's policy for that qualifier as the resource policy. */
int lambda_authorize(call *c, const json_t *doc, const lambda_ref *r, const char *action,
                     const char *resource);

/* Code: Code.ZipFile or Code.S3Bucket/S3Key from in (CreateFunction's Code, or
 * UpdateFunctionCode's members) checked and stored in the blob store; sets _Blob, _Sha,
 * CodeSha256 and CodeSize in config. 0, or -1 (call_fetch's first run included). */
int lambda_code_store(call *c, const json_t *code, json_t *config);
/* AWS: code and layers unzipped together within 250 MB (InvalidParameterValueException). */
int lambda_check_unzipped(call *c, const json_t *config);
/* Names (1) or stops naming (0) a blob: its lambda.blobref document. */
int lambda_blobref(call *c, const char *blob, int on);
/* Drops the blob references of configs no longer kept in doc besides except. */
int lambda_blob_release(call *c, const json_t *doc, const char *blob);
/* The directory the package of config is unzipped in (made on first use): in c's arena. */
const char *lambda_code_dir(call *c, const json_t *config);

/* A function's Layers item for the layer version arn ({Arn, CodeSize} and the package's
 * private _Blob/_Sha), which the caller must be allowed lambda:GetLayerVersion on (another
 * account's: through the version's policy). *item is a new reference. 0, or -1
 * (InvalidParameterValueException for a version that does not exist). */
int lambda_layer_resolve(call *c, const char *arn, json_t **item);
/* "2019-08-14T22:26:11.234+0000", as Lambda writes dates. */
void lambda_timestamp(double t, char out[40]);

/* Code.Location (location.c): a URL that downloads config's package for ten minutes, in
 * the arena (NULL: none), and the route that serves it. */
const char *lambda_code_location(call *c, const json_t *config);
int lambda_code_serve(ferry_env *env, arena *a, const svc_request *r, proto_response *resp);

/* Configuration members CreateFunction and UpdateFunctionConfiguration share: validated and
 * set in config (create: defaults for what in lacks). */
int lambda_apply_config(call *c, const json_t *in, json_t *config, int create);

/* -1 with ResourceConflictException when policy (NULL: none) has a statement sid. */
int lambda_sid_taken(call *c, const json_t *policy, const char *sid);

/* What the caller's account holds in the region: functions, their code (versions and
 * layers included) and reserved concurrency (that of function except left out). */
typedef struct lambda_usage {
    long long functions, code, reserved;
} lambda_usage;
int lambda_account_usage(call *c, const char *except, lambda_usage *u);

/* A listing's page size: MaxItems, at most 50 (AWS answers no more whatever is asked). */
long long lambda_max_items(const json_t *in);

/* The version alias sends an invocation to: cfg (its own), or by weight its additional one
 * (invoke.c). Borrowed from doc. */
json_t *lambda_route(call *c, json_t *doc, json_t *alias, json_t *cfg);

/* The functions engine's spec for running config (version executed) of the function doc
 * r names (invoke.c), in c's arena: 0, or -1 (TooManyRequestsException when its reserved
 * concurrency is 0). */
struct fn_spec;
int lambda_spec(call *c, const lambda_ref *r, const json_t *doc, const json_t *cfg,
                const char *executed, struct fn_spec *s);

/* Queues an Event invocation of r with payload in c->txn (a write transaction) for the
 * asynchronous engine, and answers 202 (async.c). */
int lambda_async_enqueue(call *c, const lambda_ref *r, const char *payload, size_t len,
                         json_t **out);

/* Event source mappings (esm.c): the engine looks at the mappings again once c commits. */
void lambda_esm_changed(call *c);
/* c->arg of an Invoke an event source mapping makes (esm.c): lambda_authorize allows it. */
extern const char lambda_trusted_invoke[];
int lambda_op_invoke(call *c, json_t *in, json_t **out);

/* The function's execution role as a session of it acts (rolecheck.c), for checks made
 * before a configuration is accepted; "Invalid role." for an ARN that is none. */
int lambda_role_principal(call *c, const char *role_arn, const char *session, principal *p);
/* A dead-letter target (SQS queue or SNS topic ARN) the role may send to, by its own
 * policies and the target's; else AWS's InvalidParameterValueException. */
int lambda_role_may_send(call *c, const char *role_arn, const char *target);
/* An asynchronous destination (SQS queue, SNS topic or Lambda function ARN) the role may
 * send, publish or invoke to, by its own policies and the target's; else AWS's
 * InvalidParameterValueException. */
int lambda_role_may_deliver(call *c, const char *role_arn, const char *target);

/* Errors as AWS words them. */
int lambda_invalid(call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int lambda_not_found(call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int lambda_conflict(call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int lambda_precondition(call *c, const char *what);
/* RevisionId given in in and different from have's: PreconditionFailedException. */
int lambda_check_revision(call *c, const json_t *in, const json_t *have, const char *what);

#endif
