/* AWS's tag lists, [{"Key": k, "Value": v}] under "Tags" in a service's document (IAM,
 * Secrets Manager, ...), or the lower-case [{"key", "value"}] under "tags" of ECS, App Mesh
 * and other rest-json services: TagResource merges, UntagResource removes by key. */
#ifndef FERRY_JTAGS_H
#define FERRY_JTAGS_H
#include <jansson.h>

/* The names a tag list uses: the list's field in the document, a tag's key and value. */
typedef struct jtags_names {
    const char *list, *key, *value;
} jtags_names;
extern const jtags_names jtags_upper; /* "Tags", "Key", "Value" */
extern const jtags_names jtags_lower; /* "tags", "key", "value" */

/* Sets each of tags (a list in n's names) in doc's list (made when absent): a key already
 * there gets the new value (a missing value is ""). 0, or -1 out of memory. */
int jtags_merge_named(json_t *doc, const jtags_names *n, const json_t *tags)
    __attribute__((warn_unused_result));
/* Removes the tags whose key is in keys (a list of strings) from doc's list. */
void jtags_remove_named(json_t *doc, const jtags_names *n, const json_t *keys);

/* The same with AWS's usual names (jtags_upper). */
int jtags_merge(json_t *doc, const json_t *tags) __attribute__((warn_unused_result));
void jtags_remove(json_t *doc, const json_t *keys);
#endif
