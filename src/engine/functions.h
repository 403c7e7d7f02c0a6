/* Lambda execution environments: functions run as local processes behind the Lambda Runtime
 * API (engine/functions.c). The lambda service (src/svc/lambda/) owns functions, versions,
 * aliases and code, decides who may invoke what, and hands this engine a resolved fn_spec;
 * the engine keeps warm environments per spec revision, scales them out up to the
 * concurrency limit, enforces the timeout and memory size, and ships the processes' output
 * to CloudWatch Logs (through svc_invoke, as every engine reaches a service).
 *
 * Two ways to invoke. A client's Invoke parks (call_park) on fn_wait_key(id) after
 * functions_start, keeps the id in c->wait->own, and takes the result with functions_take
 * when woken. Internal callers (SNS deliveries, custom resources, pipelines), which cannot
 * park, call functions_invoke, which blocks their thread until the invocation ends. */
#ifndef FERRY_FUNCTIONS_H
#define FERRY_FUNCTIONS_H
#include <jansson.h>
#include <stddef.h>

#include "svc/svc.h"

/* What one execution environment runs: one version of one function, as configured. All
 * borrowed: the engine copies what it keeps. */
typedef struct fn_spec {
    const char *account, *region;
    const char *name;     /* FunctionName */
    const char *arn;      /* the version's qualified ARN (...:function:NAME:VERSION) */
    const char *version;  /* "$LATEST", "1", ... */
    const char *revision; /* RevisionId: an environment serves only the revision it started
                             with (code or configuration changed: new environments) */
    const char *runtime;  /* "python3.12", "nodejs20.x", "provided.al2023", ... */
    const char *handler;  /* "app.handler"; NULL for provided runtimes */
    const char *code_dir; /* the unzipped deployment package, read only, shared by environments */
    const char *const *layer_dirs; /* the unzipped layers, in order (they make up /opt) */
    size_t n_layers;
    const json_t *variables; /* Environment.Variables {"K": "V"}, or NULL */
    const char *role_arn;    /* the execution role, assumed as lambda.amazonaws.com */
    int timeout_s;           /* 1..900 */
    int memory_mb;           /* 128..10240 */
    int concurrency;         /* reserved concurrency; -1 unreserved (the account's pool) */
    int unreserved;          /* an unreserved function's pool: the account's limit less every
                       reservation (0: AWS's default 1000) */
    const char *log_group;   /* "/aws/lambda/NAME" */
} fn_spec;

/* How an invocation ended. */
typedef struct fn_result {
    int failed; /* ferry could not run it (err says why: the Invoke's error,
                                   e.g. TooManyRequestsException, ServiceException) */
    ferr err;
    char *payload; /* the function's response, or its error document; malloc'd */
    size_t len;
    const char *function_error; /* NULL, or "Unhandled" (a static string) */
    char *log_tail;             /* the invocation's last 4 KB of log, malloc'd (NULL none) */
    char request_id[40];        /* the invocation's request id (the function's awsRequestId) */
} fn_result;

/* Starts an invocation of s with payload (a JSON document of len bytes). 0 and the
 * invocation's id in id (at most 39 characters), or -1 with the error in e (the
 * invocation never ran: TooManyRequestsException when the concurrency limit is reached). */
int functions_start(ferry_env *env, const fn_spec *s, const char *payload, size_t len,
                    const char *request_id, char id[40], ferr *e);

/* What a parked Invoke waits for: svc_notify(env, key) is called when invocation id ends. */
void fn_wait_key(const char *id, char key[48]);

/* 1 and *out when invocation id has ended (the caller owns out: fn_result_clear), 0 while it
 * runs, -1 for an id the engine does not know (taken already, or ferry restarted). */
int functions_take(ferry_env *env, const char *id, fn_result *out);

/* The client gave up (its request ended): the result will not be taken. */
void functions_forget(ferry_env *env, const char *id);

/* Blocks until an invocation of s ends: 0 and *out, or -1 with e (never started). */
int functions_invoke(ferry_env *env, const fn_spec *s, const char *payload, size_t len,
                     const char *request_id, fn_result *out, ferr *e);

void fn_result_clear(fn_result *r);

/* The engine itself (engines.c starts and stops it). */
extern const struct engine_def functions_engine;

#endif
