/* CloudFormation templates: parsing (JSON, and YAML with the short-form tags !Ref, !GetAtt,
 * !Sub ...), structure checks, parameters, conditions, intrinsic functions and the
 * dependency order of resources. Pure functions over jansson documents: no store, no
 * threads, so the fuzz target and unit tests drive them directly.
 *
 * Errors are ValidationError (400) with AWS's wording ("Template format error: ...",
 * "Template error: ...", "Parameters: [X] must have values"). */
#ifndef FERRY_CFN_TEMPLATE_H
#define FERRY_CFN_TEMPLATE_H
#include <jansson.h>
#include <stddef.h>

#include "base/err.h"

#define CFN_TEMPLATE_MAX 51200 /* AWS: TemplateBody at most 51,200 bytes */

/* Body -> JSON (new reference): JSON when it starts with '{', else YAML with the short
 * forms turned into their Fn:: long forms. NULL with "Template format error: YAML not
 * well-formed. (line L, column C)" / "JSON not well-formed" errors. */
json_t *cfn_template_parse(const char *body, size_t len, ferr *e);

/* Static checks that need no parameter values: top-level sections, Resources with a Type,
 * resource attributes, Outputs with a Value, intrinsic names and argument shapes,
 * unresolved Refs/GetAtts, condition names, and dependency cycles. */
int cfn_template_check(const json_t *tpl, ferr *e);

/* A scalar template value as the text CloudFormation passes on ("5", "0.1", "true", "x"):
 * a number in its shortest form that reads back the same. NULL for objects, arrays and
 * null, and when out of memory. New string (free()). */
char *cfn_scalar_text(const json_t *v);
/* A parameter's Default or AllowedValues item as text: a scalar as cfn_scalar_text, a list
 * (a YAML sequence) as its items joined by "," (an item that is not a scalar: empty). NULL
 * for other values, and when out of memory. New string (free()). */
char *cfn_param_text(const json_t *v);

/* Resource types in template order, de-duplicated (new array). */
json_t *cfn_template_types(const json_t *tpl);

/* Capabilities the template needs: sets *iam (1 CAPABILITY_IAM, 2 CAPABILITY_NAMED_IAM)
 * and *expand (Transform present); reason gets "The following resource(s) require
 * capabilities: [AWS::IAM::Role]". */
void cfn_template_capabilities(const json_t *tpl, int *iam, int *expand, char *reason, size_t n);

/* Parameter values: decl = the template's Parameters, given = [{ParameterKey,
 * ParameterValue, UsePreviousValue}], previous = {name: raw string} of the stack (or NULL).
 * On success *raw = {name: string} (what the caller passed or the default, before list
 * splitting; SSM parameter names for SSM types) for every declared parameter. Checks
 * unknown and missing parameters and every constraint (AllowedValues, AllowedPattern,
 * Min/MaxLength, Min/MaxValue, Number types). */
int cfn_params_bind(const json_t *decl, const json_t *given, const json_t *previous, json_t **raw,
                    ferr *e);
/* The typed value a Ref gives for one parameter: string, or array for List/CommaDelimited.
 * raw is the resolved string (after SSM lookup). New reference. */
json_t *cfn_param_value(const json_t *pdecl, const char *raw);
/* 1 when the parameter type is AWS::SSM::Parameter::Value<...>. */
int cfn_param_is_ssm(const json_t *pdecl);

/* Resolution context for intrinsic functions. Strings with the "\x01?" value stand for a
 * value not known yet (a static check, or a resource not created); functions given one
 * return one. */
typedef struct cfn_ctx {
    const json_t *tpl;
    const char *account, *region, *stack_name, *stack_id;
    const json_t *notification_arns; /* array or NULL */
    const json_t *params;            /* {name: typed value} (cfn_param_value) */
    json_t *conds;                   /* {name: true|false}, filled lazily; owned by caller */
    /* Resource values: {logical: {"Ref": "...", "Attributes": {...}}}; logical ids absent
     * from it resolve to unknown (static) or fail (strict). */
    const json_t *res;
    int strict; /* 1: unknowns are errors (deployment) */
    /* Fn::ImportValue: 1 found (*value malloc'd), 0 missing, -1 error. NULL: unknown. */
    int (*import)(void *ud, const char *name, char **value, ferr *e);
    void *ud;
    json_t *imports;    /* names imported, appended while resolving (array) or NULL */
    json_t *unresolved; /* static check: Ref targets that do not exist (array) or NULL */
} cfn_ctx;

int cfn_is_unknown(const json_t *v);
int cfn_is_novalue(const json_t *v);
/* Resolves every intrinsic in node; new reference, or NULL with e. AWS::NoValue inside an
 * object or array removes the member; at the top it returns the novalue marker. */
json_t *cfn_resolve(cfn_ctx *x, const json_t *node, ferr *e);
/* Evaluates the named condition (Conditions section): 1 true, 0 false, -1 error. */
int cfn_condition(cfn_ctx *x, const char *name, ferr *e);
/* Fills x->conds for every condition. */
int cfn_conditions_all(cfn_ctx *x, ferr *e);

/* Logical ids a resource depends on (Ref, GetAtt, Sub and DependsOn), new array, only ids
 * that are resources of tpl. */
json_t *cfn_resource_deps(const json_t *tpl, const char *logical);
/* Creation order of the resources in `ids` (array of logical ids; deps outside it are
 * ignored): new array, or NULL with "Circular dependency between resources: [A, B]". */
json_t *cfn_order(const json_t *tpl, const json_t *ids, ferr *e);

#endif
