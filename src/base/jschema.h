/* JSON Schema draft 4, the part API Gateway's models use (type, properties, required, items,
 * additionalProperties, patternProperties, enum, minimum/maximum and their exclusive flags,
 * multipleOf, minLength/maxLength, pattern, minItems/maxItems, uniqueItems,
 * minProperties/maxProperties, allOf/anyOf/oneOf/not, $ref): checking a schema and
 * validating a document against it. Messages are worded as API Gateway's validator (the
 * Java json-schema-validator) words them, so $context.error.validationErrorString and the
 * execution log read as AWS's. Schemas and documents are untrusted: recursion, $ref chains
 * and regular expression matching are bounded. */
#ifndef FERRY_JSCHEMA_H
#define FERRY_JSCHEMA_H
#include <jansson.h>
#include <stddef.h>

/* A $ref that is not local ("#/definitions/x"): the schema it names, borrowed, or NULL
 * (unresolvable: the reference is then an error of the schema). */
typedef const json_t *(*jschema_resolve_fn)(void *ud, const char *ref);

/* Checks that schema is a schema of the supported draft: 0, or -1 with why in msg. */
int jschema_check(const json_t *schema, jschema_resolve_fn resolve, void *ud, char *msg, size_t n);

/* Validates doc against schema: 0 valid, 1 invalid (each failure appended to errs, an
 * array, as a string; errs may be NULL), -1 out of memory. A schema jschema_check refused
 * is answered as it can be: an unusable keyword fails the document. */
int jschema_validate(const json_t *schema, const json_t *doc, jschema_resolve_fn resolve, void *ud,
                     json_t *errs);

/* errs as the validator's report lists them: "[first, second]" (malloc'd; NULL on OOM). */
char *jschema_errors_string(const json_t *errs);

#endif
