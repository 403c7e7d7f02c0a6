/* AWS's tag lists, [{"Key": k, "Value": v}] under "Tags" in a service's document (IAM,
 * Secrets Manager, ...): TagResource merges, UntagResource removes by key. */
#ifndef FERRY_JTAGS_H
#define FERRY_JTAGS_H
#include <jansson.h>
/* Sets each of tags ([{Key, Value}]) in doc's "Tags" (made when absent): a Key already there
 * gets the new Value. 0, or -1 out of memory. */
int jtags_merge(json_t *doc, const json_t *tags) __attribute__((warn_unused_result));
/* Removes the tags whose Key is in keys (a list of strings) from doc's "Tags". */
void jtags_remove(json_t *doc, const json_t *keys);
#endif
