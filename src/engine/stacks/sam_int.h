/* Internal to the SAM transform (sam.c, sam_api.c, sam_policy.c). */
#ifndef FERRY_CFN_SAM_INT_H
#define FERRY_CFN_SAM_INT_H
#include <jansson.h>

#include "base/buf.h"

typedef struct sam_x {
    const json_t *tpl; /* the template as given */
    json_t *out;       /* expanded Resources, in the order generated */
    json_t *globals;   /* Globals or NULL */
    /* APIs the events feed: {id: {"Http": bool, "Implicit": bool, "Props": {...},
     * "Body": swagger/openapi or absent (DefinitionUri), "Condition"}} */
    json_t *apis;
    json_t *renames; /* {old logical id: new} (layer versions get a hash suffix) */
    json_t *s3;      /* [{Bucket, Config, Permission}] bucket notifications to add */
    json_t *params;  /* {name: value} the parameters' values SAM resolves (given or Default) */
    buf errs;
    int nerr, oom;
} sam_x;

/* Adds a generated resource (taken; NULL: out of memory). */
void sam_put(sam_x *x, const char *id, json_t *res);
/* Records "Resource with id [id] is invalid. <message>". */
void sam_error(sam_x *x, const char *id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* {"Fn::Sub": [fmt, {var: val}]} (val copied), or {"Fn::Sub": fmt} when var is NULL. */
json_t *sam_sub(const char *fmt, const char *var, const json_t *val);
/* Globals[section] merged under props as SAM does (maps merge, lists append, scalars and
 * intrinsic functions of the resource win): new reference. */
json_t *sam_with_globals(sam_x *x, const char *section, const json_t *props);
/* A string, or a Ref to a parameter with a value: the text; else NULL. */
const char *sam_str(sam_x *x, const json_t *v);
/* Copies props[k] to o[k] when present: 0, or -1 (out of memory). */
int sam_copy(json_t *o, const json_t *props, const char *k);
/* First 10 hex digits of the SHA-256 of v's canonical JSON (out: 11 bytes). */
void sam_hash10(const json_t *v, char out[11]);
/* Copies id keeping only [A-Za-z0-9] (out: n bytes). */
void sam_alnum(const char *in, char *out, size_t n);
/* 1 when o is a one-key object Ref / Fn::... / Condition. */
int sam_is_intrinsic(const json_t *o);

/* s3://bucket/key[?versionId=v], or {Bucket, Key, Version}: {b, k, v} (Lambda's S3Bucket,
 * S3Key, S3ObjectVersion, or API Gateway's Bucket, Key, Version). NULL with the error
 * recorded for resource id's property prop (or out of memory: x->oom). */
json_t *sam_s3_location(sam_x *x, const char *id, const char *prop, const json_t *uri,
                        const char *b, const char *k, const char *v);

/* Policy templates (sam_policy.c): 1 name is one (*stmts: new array of statements),
 * 0 not a template, -1 a parameter is missing (*missing names it). */
int sam_policy_template(const char *name, const json_t *args, json_t **stmts, const char **missing);

/* APIs (sam_api.c). Declares an AWS::Serverless::Api (http 0) or HttpApi (http 1). */
void sam_api_declare(sam_x *x, const char *id, const json_t *res, int http);
/* An Api / HttpApi event of function fn: its route on the API (created implicitly when the
 * event names none) and the Permission; target is the Fn::Sub text of the function's ARN
 * ("Fn.Arn" or the alias id), fnref what FunctionName gets. */
void sam_api_event(sam_x *x, const char *fn, const char *ev, const json_t *props, int http,
                   const char *target, const json_t *fnref, const json_t *cond);
/* Emits every API's resources (RestApi + Deployment + Stage, or Api + Stage). */
void sam_api_emit(sam_x *x);

#endif
