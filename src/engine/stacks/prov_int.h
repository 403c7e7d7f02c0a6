/* What the resource providers (prov_*.c) share: calling services as the stack, reading
 * Properties with CloudFormation's types, tags, generated names and ids, results. The
 * stack engine does not include this; it sees providers only through provider.h.
 *
 * Ownership: `json_t *in` arguments of prov_call* are stolen (NULL = out of memory);
 * functions returning char * or json_t * give the caller a new allocation/reference. */
#ifndef FERRY_PROV_INT_H
#define FERRY_PROV_INT_H
#include <jansson.h>
#include <stddef.h>

#include "engine/stacks/provider.h"

/* ---- calling services ----------------------------------------------------------------- */

/* cfn_call in region (NULL = p->region). *out may be NULL when the reply is not needed. */
int prov_call_in(cfn_pctx *p, const char *region, const char *service, const char *op,
                 const json_t *in, json_t **out);
/* The same, stealing in. */
int prov_call(cfn_pctx *p, const char *service, const char *op, json_t *in, json_t **out);
/* As prov_call, for a service's internal entry point fn with arg (svc_invoke_fn): what the
 * API cannot take, such as a pipeline's frozen stages at its creation. Unit tests' hook sees
 * fn->name and not arg. */
int prov_call_fn(cfn_pctx *p, const char *service, const svc_op *fn, const void *arg, json_t *in,
                 json_t **out);
int prov_call_r(cfn_pctx *p, const char *region, const char *service, const char *op, json_t *in,
                json_t **out);
/* For deletes and detaches: an error saying the thing is already gone counts as done
 * (AWS: a delete handler treats NotFound as success). */
int prov_call_gone_ok(cfn_pctx *p, const char *region, const char *service, const char *op,
                      json_t *in);
/* NoSuchEntity (IAM), NotFound (SNS), QueueDoesNotExist (SQS), NotFoundException (KMS),
 * EC2's *NotFound, or any 404. */
int prov_is_gone(const ferr *e);
/* After a failed create: runs del(p, id, props) to undo what was made, keeping the error
 * that caused the failure in p->e. Returns -1 so callers can `return prov_undo(...)`. */
int prov_undo(cfn_pctx *p, int (*del)(cfn_pctx *, const char *, const json_t *), const char *id,
              const json_t *props);

/* AWS: Create* of SNS and SQS return an existing resource of the same name; CloudFormation
 * refuses to take over one it did not make. Calls service op with in (stolen) to look for
 * it: 0 when it is not there, -1 with AlreadyExists naming type and id when it is. */
int prov_refuse_existing(cfn_pctx *p, const char *type, const char *id, const char *service,
                         const char *op, json_t *in);

/* Test seam: when set, every provider call goes to fn instead of the service layer. */
typedef int (*prov_hook_fn)(void *ud, const char *region, const char *service, const char *op,
                            const json_t *in, json_t **out, ferr *e);
void prov_set_hook(prov_hook_fn fn, void *ud);

/* ---- Properties ------------------------------------------------------------------------ */

typedef enum {
    PT_STR,      /* String (numbers and booleans are given as their text) */
    PT_INT,      /* Integer (numeric strings accepted, as CloudFormation does) */
    PT_BOOL,     /* Boolean (also "true"/"false") */
    PT_JSON,     /* Json: an object, or a string holding JSON (kept as given) */
    PT_STRLIST,  /* List of String */
    PT_TAGS,     /* List of {Key, Value} */
    PT_POLICIES, /* List of {PolicyName, PolicyDocument} (IAM inline policies) */
    PT_LIST,     /* List of objects, checked by the provider */
    PT_OBJECT,   /* Object, checked by the provider */
} prov_ptype;

typedef struct prov_prop {
    const char *name;
    prov_ptype type;
    int required;
} prov_prop;

/* v as CloudFormation coerces an Integer (numbers, numeric text) or a String (scalars as
 * their text), for values deeper than a schema reaches: a new reference, NULL when v is
 * none (or out of memory). */
json_t *prov_as_int(const json_t *v);
json_t *prov_as_str(const json_t *v);

/* Checks props (NULL = none) against schema (terminated by a NULL name) and gives a copy
 * with values in their schema types; JSON null values count as absent. Refusals are
 * ValidationError in the wording of CloudFormation's schema validation. */
int prov_props(cfn_pctx *p, const json_t *props, const prov_prop *schema, json_t **out);
/* Normalized props as last deployed (deletes, the old side of updates): validation
 * failures fall back to props as given, so a resource can always be deleted. New ref. */
json_t *prov_props_old(cfn_pctx *p, const json_t *props, const prov_prop *schema);
/* ValidationError "Properties validation failed for resource L with message: MSG". */
int prov_invalid(cfn_pctx *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A Json property as text: strings as given, objects serialized compactly. NULL if absent. */
char *prov_doc_text(const json_t *v);
/* Json values equal as documents (a string and an object holding the same JSON are). */
int prov_doc_equal(const json_t *a, const json_t *b);
/* Attribute text as SNS/SQS want it: scalars as the template's text (cfn_scalar_text),
 * objects and lists as compact JSON. NULL if absent (or out of memory). */
char *prov_attr_text(const json_t *v);
/* A property that is a service attribute of the same name (SNS topic and subscription
 * attributes, SQS queue attributes). Tables end with a NULL name. */
typedef struct prov_attr {
    const char *name;
    const char *dflt; /* what a removed one goes back to; NULL: the resource keeps it */
    int fifo_only;    /* only FIFO resources have it */
} prov_attr;
/* The attributes normalized props pr ask for, as {name: text} (prov_attr_text), and
 * fifo_property (NULL: none) as "true" when pr sets it (AWS: FifoQueue and FifoTopic are
 * given only to make a FIFO resource). NULL: out of memory. */
json_t *prov_attributes(const json_t *pr, const prov_attr *table, const char *fifo_property);
/* Items of a (string list) not in b, as a new array (NULL: out of memory). */
json_t *prov_strlist_minus(const json_t *a, const json_t *b);
int prov_strlist_has(const json_t *list, const char *s);
/* Item of a {PolicyName, PolicyDocument} list by name, or NULL. */
const json_t *prov_policy_find(const json_t *policies, const char *name);
/* Property values equal (NULL = absent). */
int prov_same(const json_t *a, const json_t *b);

/* ---- property casing -------------------------------------------------------------------- */

/* How prov_camel treats one object member (cfn_key as in the template); key holds its API
 * name (first letter lowered, PROV_KEY_MAX bytes) and may be rewritten. Returns the
 * member's value (new reference), or NULL for the default conversion; *skip = 1 drops it. */
#define PROV_KEY_MAX 256
typedef json_t *(*prov_camel_fn)(const char *cfn_key, char *key, const json_t *v, int *skip,
                                 void *ud);
/* v in its API's casing: every object key's first letter lowered, all the way down (the
 * json APIs name members as CloudFormation does, less the capital). fn may be NULL. New
 * reference; NULL out of memory. */
json_t *prov_camel(const json_t *v, prov_camel_fn fn, void *ud);

/* ---- tags ------------------------------------------------------------------------------ */

/* The tags a resource gets: the stack's tags, the resource's Tags over them, and with
 * system=1 AWS's aws:cloudformation:stack-name/stack-id/logical-id. [{Key,Value}]. */
json_t *prov_tags(const cfn_pctx *p, const json_t *tags_prop, int system);
/* [{Key,Value}] -> {Key: Value} (SQS). */
json_t *prov_tags_map(const json_t *list);
/* {Key: Value} -> [{Key,Value}]. These three: NULL when out of memory. */
json_t *prov_tags_list(const json_t *map);
/* What to change to go from current to desired tags (both [{Key,Value}]): *set new or
 * changed tags [{Key,Value}], *unset keys to remove. aws: tags are never removed. 0, or -1
 * (out of memory: both NULL). */
int prov_tags_diff(const json_t *current, const json_t *desired, json_t **set, json_t **unset);
/* How a service lists, sets and removes a resource's tags. */
typedef struct prov_tagging {
    const char *service, *id_key; /* "sns", "ResourceArn" */
    const char *list_op, *tag_op, *untag_op;
    int map_form; /* tags as a {key: value} map (SQS), else [{Key,Value}] */
} prov_tagging;
/* Makes the resource's tags what Tags in np (plus the stack's) say: reads the current ones,
 * untags what went, tags what is new or changed. */
int prov_sync_tags(cfn_pctx *p, const prov_tagging *t, const char *id, const json_t *np);

/* ---- names, ids, results ---------------------------------------------------------------- */

/* The name property when given, else a generated name (cfn_physical_name). */
char *prov_name(const cfn_pctx *p, const json_t *props, const char *prop, int max, int fifo);
/* The id of a resource that has no name of its own (IAM::Policy, SQS::QueuePolicy,
 * SNS::TopicPolicy): "{stack}-{logical}-{13 random}" as CloudFormation generates them. */
char *prov_generated_id(const cfn_pctx *p);
/* *result = {"PhysicalResourceId": id, "Attributes": attrs} (attrs stolen; NULL = {}).
 * 0, or -1 out of memory. */
int prov_result(cfn_pctx *p, const char *physical_id, json_t *attrs, json_t **result);
/* Part of an ARN: 2 service, 3 region, 4 account, 5 resource. 0, or -1 if not an ARN. */
int prov_arn_part(const char *arn, int part, char *out, size_t n);
/* A service timestamp (epoch seconds, or already text) as ISO 8601 text. */
json_t *prov_date(const json_t *v);

/* ---- The shape most providers share (prov_shape.c) ---------------------------------------
 * Create: the properties normalized against the schema and checked, the resource made,
 * then completed (policies, subscriptions...), undone when that fails; the result is its
 * physical id and attributes. Update: old properties normalized leniently, new ones
 * strictly and checked, the changes made, the attributes read again. A provider gives the
 * parts and calls prov_shape_create/update from its cfn_provider functions. */
typedef struct prov_shape prov_shape;
struct prov_shape {
    const prov_prop *schema;
    /* What the schema cannot say about normalized props, or NULL. */
    int (*check)(cfn_pctx *p, const json_t *pr);
    /* Makes the resource: *id its physical id (malloc'd); *attrs its attributes when the
     * reply gave them (else left NULL: read with attrs). */
    int (*make)(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs);
    /* What a new resource gets after make (before its attributes are read), or NULL. */
    int (*finish)(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *pr);
    /* An update's in-place changes from op to np (both normalized), or NULL. */
    int (*change)(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                  const json_t *np);
    /* The resource's attributes (a new object). */
    int (*attrs)(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs);
    int (*del)(cfn_pctx *p, const char *id, const json_t *props);
    const void *data; /* the provider's own description (prov_iam_entity) */
};
/* make and attrs of resources that have no name of their own (IAM::Policy, SQS::QueuePolicy,
 * SNS::TopicPolicy): a generated id (prov_generated_id), Ref and GetAtt Id. */
int prov_shape_generated_id(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id,
                            json_t **attrs);
int prov_shape_id_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs);
/* make and change of what is set on a secret (SecretsManager::ResourcePolicy,
 * RotationSchedule): the physical id, Ref and GetAtt Id are the secret's ARN, whatever form
 * SecretId takes; s->data is a prov_secret_setting whose put sets it (created: on make). */
typedef struct prov_secret_setting {
    int (*put)(cfn_pctx *p, const char *arn, const json_t *pr, int created);
} prov_secret_setting;
int prov_secret_setting_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id,
                             json_t **attrs);
int prov_secret_setting_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                               const json_t *np);
int prov_shape_create(const prov_shape *s, cfn_pctx *p, const json_t *props, json_t **result);
int prov_shape_update(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *old_props,
                      const json_t *new_props, json_t **result);

/* ---- A policy document set on each target of a list (prov_policy_targets.c) ---------- */
typedef struct prov_policy_targets {
    const prov_prop *schema; /* PolicyDocument and the list property */
    const char *list;        /* "Topics", "Queues" */
    const char *clear;       /* the doc passed to set when a target leaves (NULL or "") */
    int (*set)(cfn_pctx *p, const char *target, const char *doc);
} prov_policy_targets;
/* finish and change of a prov_shape whose data is the prov_policy_targets. */
int prov_pt_finish(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *pr);
int prov_pt_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                   const json_t *np);
int prov_pt_del(const prov_policy_targets *ap, cfn_pctx *p, const json_t *props);
/* The prov_shape of such a resource: a generated id, the parts above, the provider's del
 * (calling prov_pt_del with targets) and the prov_policy_targets. */
#define PROV_PT_SHAPE(schema_, del_, targets_) \
    { \
        .schema = (schema_), .make = prov_shape_generated_id, .finish = prov_pt_finish, \
        .change = prov_pt_change, .attrs = prov_shape_id_attrs, .del = (del_), .data = (targets_), \
    }

#endif
